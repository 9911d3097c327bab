#include <sstream>

#include "ir/graph.h"

namespace kiln::ir {

namespace {
std::string type_str(const Value* v) {
  if (!v) return "-";
  std::string s = v->name + ":" + dtype_name(v->dtype);
  s += v->rank_known ? "[" + shape_str(v->shape) + "]" : "[?]";
  return s;
}

std::string attr_str(const Attribute& a) {
  std::ostringstream os;
  switch (a.kind) {
    case Attribute::Kind::kFloat: os << a.f; break;
    case Attribute::Kind::kInt: os << a.i; break;
    case Attribute::Kind::kString: os << '"' << a.s << '"'; break;
    case Attribute::Kind::kTensor: os << "tensor(" << dtype_name(a.t.dtype()) << "[" << shape_str(a.t.shape()) << "])"; break;
    case Attribute::Kind::kGraph: os << "graph(" << (a.g ? a.g->nodes().size() : 0) << " nodes)"; break;
    case Attribute::Kind::kFloats:
      os << "[";
      for (size_t i = 0; i < a.floats.size(); ++i) os << (i ? "," : "") << a.floats[i];
      os << "]";
      break;
    case Attribute::Kind::kInts:
      os << "[";
      for (size_t i = 0; i < a.ints.size(); ++i) os << (i ? "," : "") << a.ints[i];
      os << "]";
      break;
    case Attribute::Kind::kStrings: os << "strings(" << a.strings.size() << ")"; break;
    case Attribute::Kind::kTensors: os << "tensors(" << a.tensors.size() << ")"; break;
    case Attribute::Kind::kGraphs: os << "graphs(" << a.graphs.size() << ")"; break;
  }
  return os.str();
}
}  // namespace

std::string to_text(const Graph& g) {
  std::ostringstream os;
  os << "graph '" << g.name << "'\n";
  for (const Value* v : g.inputs) os << "  input  " << type_str(v) << "\n";
  size_t nconst = 0;
  for (const auto& v : g.values()) nconst += v->is_constant() ? 1 : 0;
  os << "  " << nconst << " constants\n";
  for (const auto& n : g.nodes()) {
    os << "  " << n->op_type << " '" << n->name << "' (";
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      const Value* in = n->inputs[i];
      os << (i ? ", " : "") << (in ? in->name + (in->is_constant() ? "*" : "") : "-");
    }
    os << ") -> (";
    for (size_t i = 0; i < n->outputs.size(); ++i) os << (i ? ", " : "") << type_str(n->outputs[i]);
    os << ")";
    for (const auto& [k, a] : n->attrs) os << " " << k << "=" << attr_str(a);
    os << "\n";
  }
  for (const Value* v : g.outputs) os << "  output " << type_str(v) << "\n";
  return os.str();
}

}  // namespace kiln::ir
