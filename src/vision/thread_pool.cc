#include "vision/thread_pool.h"

#include <algorithm>

namespace kiln::vision {

ThreadPool::ThreadPool(int threads) {
  const int n = std::clamp(threads, 1, kMaxThreads);
  for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// Takes tasks of round `generation` until none are left. A worker that woke for an earlier round
// finds the generation changed and takes nothing: it must not run a new round's tasks with the old
// round's function (which no longer exists).
void ThreadPool::work(long generation) {
  for (;;) {
    const std::function<void(int)>* fn;
    int i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (generation_ != generation || next_ >= tasks_) return;
      i = next_++;
      fn = fn_;  // valid while this task runs: the round cannot finish before it does
    }
    (*fn)(i);
    std::lock_guard<std::mutex> lock(mu_);
    if (++finished_ == tasks_) done_.notify_all();
  }
}

void ThreadPool::worker_loop() {
  long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    work(seen);
  }
}

void ThreadPool::run(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(i);
    return;
  }
  long generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    tasks_ = tasks;
    next_ = 0;
    finished_ = 0;
    generation = ++generation_;
  }
  wake_.notify_all();
  work(generation);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return finished_ == tasks_; });
}

}  // namespace kiln::vision
