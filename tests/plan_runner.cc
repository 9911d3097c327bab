// Loads a plan with the runtime alone and runs it once on zero-filled inputs of the plan's shapes.
// It links only kiln_runtime: deploying a plan needs no protobuf, no ONNX and no optimizer
// (tests/plan_runtime_only.cmake checks the binaries' dependencies too).
//   plan_runner model.kplan
#include <cstdio>

#include "kiln/engine.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: plan_runner PLAN.kplan\n");
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
  return 0;
}
