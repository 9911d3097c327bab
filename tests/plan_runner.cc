// Loads a plan with the runtime alone and runs it on zero-filled inputs of the plan's shapes.
// It links only kiln_runtime: deploying a plan needs no protobuf, no ONNX and no optimizer
// (tests/plan_runtime_only.cmake checks the binaries' dependencies too).
//   plan_runner model.kplan [--no-alloc RUNS]
// With --no-alloc, after one run it runs RUNS more through Context::run_into and fails if any of
// them allocated on the heap (this program counts operator new while they run).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kiln/engine.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

// Every heap allocation of the process goes through these (the sized/aligned forms included).
void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  int no_alloc_runs = 0;
  if (argc == 4 && std::strcmp(argv[2], "--no-alloc") == 0) no_alloc_runs = std::atoi(argv[3]);
  if ((argc != 2 && argc != 4) || (argc == 4 && no_alloc_runs <= 0)) {
    std::fprintf(stderr, "usage: plan_runner PLAN.kplan [--no-alloc RUNS]\n");
    return 2;
  }
  auto engine = kiln::Engine::load(argv[1]);
  if (!engine) {
    std::fprintf(stderr, "plan_runner: %s\n", engine.status().message().c_str());
    return 1;
  }
  std::vector<kiln::NamedTensor> inputs;
  for (const kiln::TensorInfo& info : (*engine)->inputs()) {
    for (int64_t d : info.shape) {
      if (d < 0) {
        std::fprintf(stderr, "plan_runner: input '%s' has a dynamic shape %s\n", info.name.c_str(),
                     kiln::shape_str(info.shape).c_str());
        return 1;
      }
    }
    inputs.push_back({info.name, kiln::Tensor(info.dtype, info.shape)});
  }
  auto ctx = (*engine)->create_context();
  if (!ctx) {
    std::fprintf(stderr, "plan_runner: %s\n", ctx.status().message().c_str());
    return 1;
  }
  auto outputs = (*ctx)->run(inputs);
  if (!outputs) {
    std::fprintf(stderr, "plan_runner: %s\n", outputs.status().message().c_str());
    return 1;
  }
  std::printf("plan   %s: %zu layers, arena %lld bytes\n", argv[1], (*engine)->layers().size(),
              static_cast<long long>((*engine)->memory().arena_bytes));
  for (const kiln::NamedTensor& out : *outputs) {
    double sum = 0;
    for (int64_t i = 0; i < out.tensor.numel(); ++i) sum += out.tensor.as_double(i);
    std::printf("output %s  %s[%s]  sum %.6g\n", out.name.c_str(), kiln::dtype_name(out.tensor.dtype()),
                kiln::shape_str(out.tensor.shape()).c_str(), sum);
  }
  if (no_alloc_runs > 0) {
    std::vector<kiln::Tensor> into;
    for (const kiln::NamedTensor& out : *outputs) into.emplace_back(out.tensor.dtype(), out.tensor.shape());
    counting = true;
    kiln::Status st;
    for (int r = 0; r < no_alloc_runs && st.is_ok(); ++r) st = (*ctx)->run_into(inputs, into);
    counting = false;
    if (!st.is_ok()) {
      std::fprintf(stderr, "plan_runner: %s\n", st.message().c_str());
      return 1;
    }
    for (size_t i = 0; i < into.size(); ++i) {
      if (std::memcmp(into[i].raw(), (*outputs)[i].tensor.raw(), into[i].nbytes()) != 0) {
        std::fprintf(stderr, "plan_runner: run_into's output %zu differs from run's\n", i);
        return 1;
      }
    }
    std::printf("allocations in %d runs: %ld\n", no_alloc_runs, allocations.load());
    if (allocations.load() != 0) return 1;
  }
  return 0;
}
