// A fixed set of worker threads that runs one parallel loop at a time. Threads are created with
// the pool and never while running; a loop allocates nothing. The calling thread takes part, so a
// pool of T threads starts T - 1 workers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  /// Calls fn(task, thread) for every task in [0, tasks), spread over the threads (thread is in
  /// [0, threads()), for per-thread scratch). Returns when all tasks are done. Thread t first runs
  /// the t-th contiguous share of the tasks, in order, then takes what others have not started: a
  /// layer's share lands on the core that computed the same share of the layer before (the kernels
  /// order tasks by output channels or pixels alike), while a core slowed by a neighbour still
  /// gets help.
  template <typename F>
  void parallel_for(int64_t tasks, F&& fn) {
    if (tasks <= 0) return;
    if (threads_ == 1 || tasks == 1) {
      for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
      return;
    }
    run(
        tasks, [](void* f, int64_t task, int thread) { (*static_cast<F*>(f))(task, thread); }, &fn);
  }

 private:
  using Trampoline = void (*)(void*, int64_t, int);
  void run(int64_t tasks, Trampoline call, void* fn);
  void worker(int index);
  void drain(int thread);
  void bump();  // starts a loop (or stop_) for the workers

  // One thread's share of the current loop: tasks [next, end), taken from the front.
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };

  int threads_;
  std::unique_ptr<Share[]> shares_;  // one per thread, made with the pool
  std::vector<std::thread> workers_;
  // Waking: a loop bumps generation_; workers spin on it, then sleep on wake_. The mutex is taken
  // only to sleep and to wake sleepers (sleepers_ > 0), never on a loop's hot path: a worker
  // blocked on it in the kernel waits tens of microseconds for its wake-up, and a small layer's
  // time became that wait (MobileNetV2's 14x14 depthwise layers: 19 µs alone, 75 at 2 threads).
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  // The current loop.
  Trampoline call_ = nullptr;
  void* fn_ = nullptr;
  std::atomic<int> busy_{0};  // workers still inside the current loop
};

}  // namespace kiln::cpu
