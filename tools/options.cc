#include "options.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "core/dtype.h"
#include "core/npy.h"
#include "onnx/importer.h"

namespace kiln::cli {

void ModelOptions::add_to(CLI::App& app) {
  app.add_option("model", model, "ONNX model (.onnx) or kiln plan (.kplan)")->required();
  app.add_option("--shapes", shapes_raw,
                 "Shapes of inputs with dynamic dims, NAME:DxDxD (comma-separated or repeated); the name is "
                 "everything before the last ':'");
}

Status parse_shapes(const std::string& text, std::map<std::string, Shape>& out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
      return invalid_argument("--shapes '" + item + "': expected NAME:DIMS, e.g. x:1x3x640x640");
    }
    std::string name = item.substr(0, colon);
    Shape shape;
    std::stringstream ds(item.substr(colon + 1));
    std::string d;
    while (std::getline(ds, d, 'x')) {
      if (d.empty() || !std::all_of(d.begin(), d.end(), ::isdigit) || d.size() > 12) {
        return invalid_argument("--shapes '" + item + "': dimension '" + d + "' is not a positive integer");
      }
      int64_t v = std::stoll(d);
      if (v <= 0) return invalid_argument("--shapes '" + item + "': dimensions must be positive");
      shape.push_back(v);
    }
    if (out.count(name)) return invalid_argument("--shapes gives input '" + name + "' twice");
    out[name] = shape;
  }
  return Status::ok();
}

Status ModelOptions::parse(ImportOptions& options) const {
  for (const auto& s : shapes_raw) KILN_RETURN_IF_ERROR(parse_shapes(s, options.shapes));
  return Status::ok();
}

void InputOptions::add_to(CLI::App& app) {
  app.add_option("--input", inputs_raw, "Bind an input: NAME=FILE (.npy or ONNX TensorProto .pb); repeatable");
  app.add_option("--seed", seed, "Seed for random inputs (inputs not given by --input)");
}

Status parse_input_binding(const std::string& text, std::string& name, std::string& file) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument("--input '" + text + "': expected NAME=FILE");
  }
  name = text.substr(0, eq);
  file = text.substr(eq + 1);
  return Status::ok();
}

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor random_tensor(DataType dt, const Shape& shape, std::mt19937_64& rng) {
  Tensor t(dt, shape);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  visit_dtype(dt, [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        p[i] = small(rng) >= 5;
      } else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>) {
        p[i] = T(static_cast<float>(real(rng)));
      } else {
        p[i] = static_cast<T>(small(rng));
      }
    }
  });
  return t;
}
}  // namespace

Expected<std::vector<NamedTensor>> InputOptions::load(const std::vector<TensorInfo>& model_inputs) const {
  std::vector<NamedTensor> out;
  for (const auto& raw : inputs_raw) {
    std::string name, file;
    KILN_RETURN_IF_ERROR(parse_input_binding(raw, name, file));
    Tensor t;
    if (ends_with(file, ".pb")) {
      KILN_ASSIGN_OR_RETURN(NamedTensor nt, onnx_import::read_tensor_pb(file));
      t = std::move(nt.tensor);
    } else {
      KILN_ASSIGN_OR_RETURN(t, read_npy(file));
    }
    out.push_back({name, std::move(t)});
  }
  std::mt19937_64 rng(seed);
  for (const TensorInfo& info : model_inputs) {
    bool given = std::any_of(out.begin(), out.end(), [&](const NamedTensor& nt) { return nt.name == info.name; });
    if (given) continue;
    for (int64_t d : info.shape) {
      if (d < 0) {
        return invalid_argument("input '" + info.name + "' has dynamic shape " + shape_str(info.shape) +
                                "; give it with --shapes " + info.name + ":DIMS or bind a file with --input");
      }
    }
    out.push_back({info.name, random_tensor(info.dtype, info.shape, rng)});
  }
  return out;
}

std::string summarize(const Tensor& t) {
  std::ostringstream os;
  os.precision(6);
  int64_t n = t.numel();
  if (n == 0) return "(empty)";
  double mn = t.as_double(0), mx = mn, sum = 0;
  int64_t nonfinite = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = t.as_double(i);
    if (!std::isfinite(v)) {
      ++nonfinite;
      continue;
    }
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    sum += v;
  }
  os << "min " << mn << "  max " << mx << "  mean " << sum / static_cast<double>(n) << "  [";
  for (int64_t i = 0; i < std::min<int64_t>(n, 5); ++i) os << (i ? ", " : "") << t.as_double(i);
  os << (n > 5 ? ", ...]" : "]");
  if (nonfinite) os << "  (" << nonfinite << " non-finite)";
  return os.str();
}

}  // namespace kiln::cli
