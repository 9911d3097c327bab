// kiln::Model: an imported graph run by the reference interpreter.
#include <set>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "onnx/importer.h"
#include "runtime/interpreter.h"

namespace kiln {

struct Model::Impl {
  std::unique_ptr<ir::Graph> graph;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Expected<Model> Model::load_onnx(const std::string& path, const ImportOptions& options) {
  KILN_ASSIGN_OR_RETURN(auto graph, onnx_import::import_file(path, options));
  auto impl = std::make_unique<Impl>();
  for (const ir::Value* v : graph->inputs) impl->inputs.push_back({v->name, v->dtype, v->shape});
  for (const ir::Value* v : graph->outputs) impl->outputs.push_back({v->name, v->dtype, v->shape});
  impl->graph = std::move(graph);
  return Model(std::move(impl));
}

const std::vector<TensorInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Model::outputs() const { return impl_->outputs; }
const ir::Graph& Model::graph() const { return *impl_->graph; }

Expected<std::vector<NamedTensor>> Model::run(const std::vector<NamedTensor>& inputs, const RunOptions& options) const {
  std::vector<Tensor> bound(impl_->inputs.size());
  std::set<std::string> seen;
  for (const NamedTensor& nt : inputs) {
    size_t k = 0;
    while (k < impl_->inputs.size() && impl_->inputs[k].name != nt.name) ++k;
    if (k == impl_->inputs.size()) {
      std::string names;
      for (const auto& i : impl_->inputs) names += (names.empty() ? "'" : ", '") + i.name + "'";
      return invalid_argument("the model has no input named '" + nt.name + "'; its inputs are " + names);
    }
    if (!seen.insert(nt.name).second) return invalid_argument("input '" + nt.name + "' is given twice");
    const TensorInfo& info = impl_->inputs[k];
    if (nt.tensor.dtype() != info.dtype) {
      return invalid_argument(std::string("input '") + nt.name + "' must be " + dtype_name(info.dtype) + ", got " +
                              dtype_name(nt.tensor.dtype()));
    }
    const ir::Value* v = impl_->graph->inputs[k];
    if (v->rank_known) {
      bool ok = info.shape.size() == nt.tensor.shape().size();
      for (size_t d = 0; ok && d < info.shape.size(); ++d) ok = info.shape[d] < 0 || info.shape[d] == nt.tensor.shape()[d];
      if (!ok) {
        return invalid_argument("input '" + nt.name + "' must have shape " + shape_str(info.shape) + ", got " +
                                shape_str(nt.tensor.shape()) + " (set dynamic dims with --shapes)");
      }
    }
    bound[k] = nt.tensor;
  }
  for (size_t k = 0; k < bound.size(); ++k) {
    if (bound[k].empty()) return invalid_argument("input '" + impl_->inputs[k].name + "' is not given");
  }
  runtime::Interpreter interp({.check_shapes = options.check_shapes});
  KILN_ASSIGN_OR_RETURN(std::vector<Tensor> out, interp.run(*impl_->graph, bound));
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < out.size(); ++i) named.push_back({impl_->outputs[i].name, std::move(out[i])});
  return named;
}

}  // namespace kiln
