#include "onnx/importer.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "onnx/onnx_pb.h"
#include "onnx/tensor_proto.h"
#include "ops/infer_graph.h"
#include "ops/op.h"

namespace kiln::onnx_import {
namespace {

struct Unsupported {
  std::vector<std::string> lines;
};

class GraphImporter {
 public:
  GraphImporter(std::string base_dir, std::map<std::string, int> opsets, Unsupported& unsupported)
      : base_dir_(std::move(base_dir)), opsets_(std::move(opsets)), unsupported_(unsupported) {}

  Expected<std::unique_ptr<ir::Graph>> convert(const onnx::GraphProto& gp, const ir::Graph* parent) {
    auto g = std::make_unique<ir::Graph>();
    g->name = gp.name();
    g->opsets = opsets_;
    g->parent = parent;
    for (const auto& init : gp.initializer()) {
      if (init.name().empty()) return corrupt("graph '" + gp.name() + "': an initializer has no name");
      KILN_ASSIGN_OR_RETURN(Tensor t,
                            tensor_from_proto(init, base_dir_, "initializer '" + init.name() + "'"));
      ir::Value* v = g->get_or_create_value(init.name());
      v->dtype = t.dtype();
      v->shape = t.shape();
      v->rank_known = true;
      v->constant = std::move(t);
    }
    if (gp.sparse_initializer_size() > 0) {
      return unsupported("graph '" + gp.name() + "': sparse initializers are not supported");
    }
    for (const auto& vi : gp.input()) {
      ir::Value* v = g->get_or_create_value(vi.name());
      if (v->is_constant()) continue;  // an initializer that is also listed as an input (IR < 4)
      KILN_RETURN_IF_ERROR(apply_value_info(vi, *v, "input"));
      g->inputs.push_back(v);
    }
    for (const auto& vi : gp.value_info()) {
      // Intermediate types are recomputed by kiln's own inference; value_info is advisory only.
      (void)vi;
    }
    int counter = 0;
    for (const auto& np : gp.node()) {
      auto node = std::make_unique<ir::Node>();
      node->name = np.name().empty() ? np.op_type() + "_" + std::to_string(counter) : np.name();
      ++counter;
      node->op_type = np.op_type();
      node->domain = np.domain() == "ai.onnx" ? "" : np.domain();
      auto os = opsets_.find(node->domain);
      node->opset = os == opsets_.end() ? 0 : os->second;
      for (const auto& in : np.input())
        node->inputs.push_back(in.empty() ? nullptr : g->get_or_create_value(in));
      for (const auto& out : np.output()) {
        if (out.empty()) {
          node->outputs.push_back(nullptr);
          continue;
        }
        ir::Value* v = g->get_or_create_value(out);
        if (v->producer || v->is_constant()) {
          return corrupt(node->describe() + ": output '" + out + "' is already produced by " +
                         (v->producer ? v->producer->describe() : std::string("an initializer")));
        }
        node->outputs.push_back(v);
        v->producer = node.get();
      }
      for (const auto& ap : np.attribute()) {
        auto a = convert_attribute(ap, *node, g.get());
        if (!a) return a.status();
        node->attrs[ap.name()] = std::move(*a);
      }
      if (!ops::find_op(node->domain, node->op_type)) {
        unsupported_.lines.push_back("  " + node->op_type + " '" + node->name + "' (domain '" +
                                     (node->domain.empty() ? "ai.onnx" : node->domain) + "', opset " +
                                     std::to_string(node->opset) + ")");
      }
      g->add_node(std::move(node));
    }
    for (const auto& vi : gp.output()) {
      ir::Value* v = g->get_or_create_value(vi.name());
      if (!vi.type().has_tensor_type() && vi.has_type()) {
        return unsupported("graph output '" + vi.name() + "' is not a tensor (" + type_kind(vi.type()) +
                           "); kiln supports tensor outputs only");
      }
      if (v->dtype == DataType::kUndefined && vi.type().has_tensor_type()) {
        v->dtype = from_onnx_dtype(vi.type().tensor_type().elem_type());
      }
      g->outputs.push_back(v);
    }
    KILN_RETURN_IF_ERROR(g->topological_sort());
    return g;
  }

 private:
  static std::string type_kind(const onnx::TypeProto& t) {
    if (t.has_sequence_type()) return "a sequence";
    if (t.has_optional_type()) return "an optional";
    if (t.has_map_type()) return "a map";
    if (t.has_sparse_tensor_type()) return "a sparse tensor";
    return "an unknown type";
  }

  Status apply_value_info(const onnx::ValueInfoProto& vi, ir::Value& v, const char* role) {
    if (!vi.has_type() || vi.type().value_case() == onnx::TypeProto::VALUE_NOT_SET) {
      return Status::ok();  // untyped (function-expanded subgraph inputs): known at run time
    }
    if (!vi.type().has_tensor_type()) {
      return unsupported(std::string("graph ") + role + " '" + vi.name() + "' is not a tensor (" +
                         type_kind(vi.type()) + "); kiln supports tensor inputs only");
    }
    const auto& tt = vi.type().tensor_type();
    v.dtype = from_onnx_dtype(tt.elem_type());
    if (v.dtype == DataType::kUndefined) {
      return unsupported(std::string("graph ") + role + " '" + vi.name() + "' has element type " +
                         onnx_dtype_name(tt.elem_type()) + ", which kiln does not support");
    }
    if (tt.has_shape()) {
      v.rank_known = true;
      v.shape.clear();
      v.dim_names.clear();
      for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value() && d.dim_value() >= 0) {
          v.shape.push_back(d.dim_value());
          v.dim_names.emplace_back();
        } else {
          v.shape.push_back(-1);
          v.dim_names.push_back(d.has_dim_param() ? d.dim_param() : std::string());
        }
      }
    }
    return Status::ok();
  }

  Expected<ir::Attribute> convert_attribute(const onnx::AttributeProto& ap, const ir::Node& node,
                                            const ir::Graph* g) {
    ir::Attribute a;
    std::string what = node.describe() + " attribute '" + ap.name() + "'";
    if (!ap.ref_attr_name().empty()) {
      return unsupported(what + " refers to a function attribute; functions are not supported");
    }
    switch (ap.type()) {
      case onnx::AttributeProto_AttributeType_FLOAT:
        a.kind = ir::Attribute::Kind::kFloat;
        a.f = ap.f();
        break;
      case onnx::AttributeProto_AttributeType_INT:
        a.kind = ir::Attribute::Kind::kInt;
        a.i = ap.i();
        break;
      case onnx::AttributeProto_AttributeType_STRING:
        a.kind = ir::Attribute::Kind::kString;
        a.s = ap.s();
        break;
      case onnx::AttributeProto_AttributeType_TENSOR: {
        a.kind = ir::Attribute::Kind::kTensor;
        KILN_ASSIGN_OR_RETURN(a.t, tensor_from_proto(ap.t(), base_dir_, what));
        break;
      }
      case onnx::AttributeProto_AttributeType_GRAPH: {
        a.kind = ir::Attribute::Kind::kGraph;
        KILN_ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> sub, convert(ap.g(), g));
        a.g = std::move(sub);
        break;
      }
      case onnx::AttributeProto_AttributeType_FLOATS:
        a.kind = ir::Attribute::Kind::kFloats;
        a.floats.assign(ap.floats().begin(), ap.floats().end());
        break;
      case onnx::AttributeProto_AttributeType_INTS:
        a.kind = ir::Attribute::Kind::kInts;
        a.ints.assign(ap.ints().begin(), ap.ints().end());
        break;
      case onnx::AttributeProto_AttributeType_STRINGS:
        a.kind = ir::Attribute::Kind::kStrings;
        a.strings.assign(ap.strings().begin(), ap.strings().end());
        break;
      case onnx::AttributeProto_AttributeType_TENSORS:
        a.kind = ir::Attribute::Kind::kTensors;
        for (const auto& tp : ap.tensors()) {
          KILN_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(tp, base_dir_, what));
          a.tensors.push_back(std::move(t));
        }
        break;
      case onnx::AttributeProto_AttributeType_GRAPHS:
        a.kind = ir::Attribute::Kind::kGraphs;
        for (const auto& gp : ap.graphs()) {
          KILN_ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> sub, convert(gp, g));
          a.graphs.emplace_back(std::move(sub));
        }
        break;
      case onnx::AttributeProto_AttributeType_SPARSE_TENSOR:
      case onnx::AttributeProto_AttributeType_SPARSE_TENSORS:
      case onnx::AttributeProto_AttributeType_TYPE_PROTO:
      case onnx::AttributeProto_AttributeType_TYPE_PROTOS:
        return unsupported(what + " has a type kiln does not support (sparse tensor or type proto)");
      case onnx::AttributeProto_AttributeType_UNDEFINED:
      default:
        // IR 1 models omit the type; infer it from which field is set.
        if (ap.has_f()) {
          a.kind = ir::Attribute::Kind::kFloat;
          a.f = ap.f();
        } else if (ap.has_i()) {
          a.kind = ir::Attribute::Kind::kInt;
          a.i = ap.i();
        } else if (ap.has_s()) {
          a.kind = ir::Attribute::Kind::kString;
          a.s = ap.s();
        } else if (ap.ints_size()) {
          a.kind = ir::Attribute::Kind::kInts;
          a.ints.assign(ap.ints().begin(), ap.ints().end());
        } else if (ap.floats_size()) {
          a.kind = ir::Attribute::Kind::kFloats;
          a.floats.assign(ap.floats().begin(), ap.floats().end());
        } else
          return corrupt(what + " has no type and no value");
        break;
    }
    return a;
  }

  std::string base_dir_;
  std::map<std::string, int> opsets_;
  Unsupported& unsupported_;
};

Status apply_shape_overrides(ir::Graph& g, const ImportOptions& options) {
  for (const auto& [name, shape] : options.shapes) {
    ir::Value* v = nullptr;
    for (ir::Value* in : g.inputs)
      if (in->name == name) v = in;
    if (!v) {
      std::string names;
      for (ir::Value* in : g.inputs) names += (names.empty() ? "'" : ", '") + in->name + "'";
      return invalid_argument("--shapes names input '" + name + "', but the model's inputs are " + names);
    }
    if (v->rank_known && v->shape.size() != shape.size()) {
      return invalid_argument("--shapes " + name + ":" + shape_str(shape) + " has rank " +
                              std::to_string(shape.size()) + ", but input '" + name + "' has rank " +
                              std::to_string(v->shape.size()) + " (" + shape_str(v->shape) + ")");
    }
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] <= 0) {
        return invalid_argument("--shapes " + name + ": dimension " + std::to_string(i) +
                                " must be positive");
      }
      if (v->rank_known && v->shape[i] >= 0 && v->shape[i] != shape[i]) {
        return invalid_argument("--shapes " + name + ":" + shape_str(shape) +
                                " conflicts with the model's fixed shape " + shape_str(v->shape) +
                                " at dimension " + std::to_string(i));
      }
    }
    v->shape = shape;
    v->rank_known = true;
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<ir::Graph>> import_bytes(const std::string& bytes, const std::string& base_dir,
                                                  const std::string& what, const ImportOptions& options) {
  onnx::ModelProto model;
  if (bytes.empty()) return corrupt(what + ": the file is empty; expected an ONNX model");
  if (!model.ParseFromString(bytes)) {
    return corrupt(what +
                   ": not a valid ONNX model (protobuf parsing failed; the file is truncated, corrupted or "
                   "not ONNX)");
  }
  if (!model.has_graph() || model.ir_version() <= 0) {
    return corrupt(what + ": not an ONNX model (no graph or no ir_version in the protobuf)");
  }
  std::map<std::string, int> opsets;
  for (const auto& os : model.opset_import()) {
    opsets[os.domain() == "ai.onnx" ? "" : os.domain()] = static_cast<int>(os.version());
  }
  if (opsets.empty()) opsets[""] = 1;  // IR version 1/2 models carry no opset_import
  Unsupported unsup;
  GraphImporter importer(base_dir, opsets, unsup);
  auto g = importer.convert(model.graph(), nullptr);
  if (!g) return g.status().with_context(what);
  if (!unsup.lines.empty()) {
    std::ostringstream os;
    os << what << ": " << unsup.lines.size() << " node(s) use ops kiln does not support:\n";
    for (const auto& l : unsup.lines) os << l << "\n";
    os << "Replace them in the exporter, or ask for the op to be added.";
    return unsupported(os.str());
  }
  std::unique_ptr<ir::Graph> root = std::move(*g);
  KILN_RETURN_IF_ERROR(apply_shape_overrides(*root, options).with_context(what));
  KILN_RETURN_IF_ERROR(ir::verify(*root).with_context(what));
  KILN_RETURN_IF_ERROR(ops::infer_graph(*root).with_context(what));
  return root;
}

Expected<std::unique_ptr<ir::Graph>> import_file(const std::string& path, const ImportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return io_error("'" + path + "': no such file");
  if (std::filesystem::is_directory(path, ec))
    return io_error("'" + path + "' is a directory, not an ONNX file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("'" + path + "': cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return import_bytes(bytes, dir, "'" + path + "'", options);
}

Expected<NamedTensor> read_tensor_pb(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("'" + path + "': cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return corrupt("'" + path + "': not a valid ONNX TensorProto");
  std::string dir = std::filesystem::path(path).parent_path().string();
  KILN_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(proto, dir, "'" + path + "'"));
  return NamedTensor{proto.name(), std::move(t)};
}

}  // namespace kiln::onnx_import

namespace kiln::onnx_import {

std::string interface_limitation(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return {};
  auto check = [](const onnx::ValueInfoProto& vi) -> std::string {
    const auto& t = vi.type();
    if (t.has_sequence_type()) return "'" + vi.name() + "' is a sequence";
    if (t.has_optional_type()) return "'" + vi.name() + "' is an optional";
    if (t.has_map_type()) return "'" + vi.name() + "' is a map";
    if (t.has_tensor_type() && t.tensor_type().elem_type() == onnx::TensorProto_DataType_STRING)
      return "'" + vi.name() + "' is a string tensor";
    return {};
  };
  for (const auto& vi : model.graph().input())
    if (auto r = check(vi); !r.empty()) return "graph input " + r;
  for (const auto& vi : model.graph().output())
    if (auto r = check(vi); !r.empty()) return "graph output " + r;
  return {};
}

}  // namespace kiln::onnx_import
