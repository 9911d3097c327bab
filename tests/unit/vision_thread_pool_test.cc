// The vision pipeline's thread pool: every task runs exactly once per round, rounds do not mix.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "vision/thread_pool.h"

namespace kiln::vision {
namespace {

TEST(VisionThreadPool, EveryTaskOncePerRound) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int round = 0; round < 500; ++round) {
      const int tasks = 1 + round % 11;
      std::vector<std::atomic<int>> hits(tasks);
      pool.run(tasks, [&](int i) { hits[i].fetch_add(1); });
      for (int i = 0; i < tasks; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " threads, round " << round;
    }
    pool.run(0, [](int) { FAIL() << "no tasks, no calls"; });
  }
}

TEST(VisionThreadPool, SizeIsBounded) {
  EXPECT_EQ(ThreadPool(0).size(), 1);
  EXPECT_EQ(ThreadPool(-5).size(), 1);
  EXPECT_EQ(ThreadPool(1000).size(), ThreadPool::kMaxThreads);
}

}  // namespace
}  // namespace kiln::vision
