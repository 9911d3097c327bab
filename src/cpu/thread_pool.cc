#include "cpu/thread_pool.h"

#include <immintrin.h>

namespace kiln::cpu {
namespace {
// Layers come back to back: a worker that just finished one spins this long for the next before
// it sleeps on the condition variable (a wake-up costs tens of microseconds).
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(int threads)
    : threads_(threads < 1 ? 1 : threads), shares_(std::make_unique<Share[]>(static_cast<size_t>(threads_))) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  bump();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::drain(int thread) {
  // Its own share first, then the others' unstarted tasks (a counter may run past its end: harmless).
  for (int k = 0; k < threads_; ++k) {
    Share& s = shares_[static_cast<size_t>((thread + k) % threads_)];
    for (int64_t t = s.next.fetch_add(1); t < s.end; t = s.next.fetch_add(1)) call_(fn_, t, thread);
  }
}

void ThreadPool::bump() {
  // Sequentially consistent with the sleeper's count: a worker that counted itself after this
  // load sees the new generation before it waits; one counted before is woken under the mutex.
  generation_.fetch_add(1);
  if (sleepers_.load() == 0) return;
  { std::lock_guard<std::mutex> lock(mutex_); }
  wake_.notify_all();
}

void ThreadPool::run(int64_t tasks, Trampoline call, void* fn) {
  call_ = call;
  fn_ = fn;
  for (int t = 0; t < threads_; ++t) {
    Share& s = shares_[static_cast<size_t>(t)];
    s.next.store(tasks * t / threads_, std::memory_order_relaxed);
    s.end = tasks * (t + 1) / threads_;
  }
  busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  bump();
  drain(0);
  for (int spins = 0; busy_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < kSpinIterations) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (int spins = 0; now == seen && spins < kSpinIterations; ++spins) {
      _mm_pause();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      sleepers_.fetch_sub(1);
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    drain(index);
    busy_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace kiln::cpu
