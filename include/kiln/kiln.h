// kiln's public C++ API.
//
//   kiln::ImportOptions opts;
//   opts.shapes["x"] = {1, 3, 640, 640};
//   auto model = kiln::Model::load_onnx("det.onnx", opts);
//   if (!model) { std::cerr << model.status().message(); return 1; }
//   auto outputs = model->run({{"x", input}});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/status.h"
#include "kiln/tensor.h"

namespace kiln {

namespace ir {
class Graph;
}

struct ImportOptions {
  /// Fixed shapes for graph inputs with dynamic dims, by input name.
  std::map<std::string, Shape> shapes;
};

/// Describes one graph input or output.
struct TensorInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;  // -1 where the dim is only known at run time
};

struct RunOptions {
  /// Check every op's shape inference against what its kernel produced (slower; for tests).
  bool check_shapes = false;
};

/// An imported network run by the reference executor.
class Model {
public:
  /// Imports an ONNX file (and its external data files, resolved next to it).
  static Expected<Model> load_onnx(const std::string& path, const ImportOptions& options = {});

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  /// The imported graph (for tools and tests inside kiln).
  const ir::Graph& graph() const;

  /// Runs the network. Every graph input must be bound by name; returns the graph outputs in order.
  Expected<std::vector<NamedTensor>> run(const std::vector<NamedTensor>& inputs,
                                         const RunOptions& options = {}) const;

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
