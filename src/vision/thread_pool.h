// A small fixed pool for the vision pipeline's data-parallel loops: `run(n, fn)` calls fn(0..n-1)
// on the pool's threads and the caller's, and returns when all are done. The thread count is
// bounded (1..kMaxThreads); a pool of 1 runs everything on the caller's thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::vision {

class ThreadPool {
 public:
  static constexpr int kMaxThreads = 64;
  /// `threads` counts the caller: a pool of T starts T-1 workers. Clamped to 1..kMaxThreads.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  /// Calls fn(i) for every i in [0, tasks), spread over the pool; blocks until all returned.
  /// Not reentrant: one `run` at a time per pool.
  void run(int tasks, const std::function<void(int)>& fn);

 private:
  void work(long generation);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* fn_ = nullptr;
  int tasks_ = 0;
  int next_ = 0;      // next task index to hand out
  int finished_ = 0;  // tasks completed in this round
  long generation_ = 0;
  bool stop_ = false;
};

}  // namespace kiln::vision
