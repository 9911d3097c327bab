// The CPU thread pool: every task of a loop runs exactly once, on a thread index in range, for any
// count of tasks and threads (shares uneven, empty, stolen from), loop after loop; a loop's share t
// goes to thread t when nothing holds a thread back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "cpu/thread_pool.h"

namespace kiln::cpu {
namespace {

TEST(CpuThreadPool, EveryTaskOnceAcrossSharesAndSteals) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (int64_t tasks : {0, 1, 2, 3, 5, 7, 64, 1001}) {
      for (int round = 0; round < 3; ++round) {
        std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
        std::atomic<bool> bad_thread{false};
        pool.parallel_for(tasks, [&](int64_t t, int thread) {
          if (thread < 0 || thread >= threads) bad_thread = true;
          // Uneven work, so shares finish at different times and get stolen from.
          if (t % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
          runs[static_cast<size_t>(t)].fetch_add(1);
        });
        EXPECT_FALSE(bad_thread);
        for (int64_t t = 0; t < tasks; ++t)
          ASSERT_EQ(runs[static_cast<size_t>(t)].load(), 1)
              << threads << " threads, task " << t << " of " << tasks;
      }
    }
  }
}

TEST(CpuThreadPool, ThreadTTakesShareTFirst) {
  // Each task holds its thread long enough that nobody finishes early: thread t then runs the t-th
  // contiguous share (what keeps a layer's data on the core that wrote it). A neighbour may stall
  // a thread on this shared machine, so one of a few tries must show it.
  ThreadPool pool(2);
  int best = 0;
  for (int attempt = 0; attempt < 5 && best < 8; ++attempt) {
    std::vector<int> owner(8, -1);
    pool.parallel_for(8, [&](int64_t t, int thread) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      owner[static_cast<size_t>(t)] = thread;
    });
    int home = 0;
    for (int64_t t = 0; t < 8; ++t) home += owner[static_cast<size_t>(t)] == (t < 4 ? 0 : 1);
    best = std::max(best, home);
  }
  EXPECT_EQ(best, 8) << "tasks should run on the thread whose share they are in";
}

TEST(CpuThreadPool, WorkersThatFellAsleepWakeForTheNextLoop) {
  // Past its spin a worker sleeps on the condition variable; a loop started then (or while it is
  // about to sleep) must still reach it: every task runs, and the pool never hangs.
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 6; ++round) {
      std::this_thread::sleep_for(std::chrono::microseconds(round % 2 ? 50 : 20000));
      std::atomic<int> runs{0};
      pool.parallel_for(64, [&](int64_t, int) { runs.fetch_add(1); });
      ASSERT_EQ(runs.load(), 64) << threads << " threads, round " << round;
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
