// CLI option groups shared by subcommands. Each has `add_to(app)` for CLI11 and a `parse`
// that turns the raw strings into typed values with a clear error.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "kiln/kiln.h"

namespace kiln::cli {

/// MODEL [--shapes name:1x3x640x640,other:1x10]
struct ModelOptions {
  std::string model;
  std::vector<std::string> shapes_raw;

  void add_to(CLI::App& app);
  /// Parses --shapes into `options.shapes`.
  Status parse(ImportOptions& options) const;
};

/// Parses "name:1x3x640x640" (several may be joined by commas).
Status parse_shapes(const std::string& text, std::map<std::string, Shape>& out);

/// --input NAME=FILE (.npy or ONNX TensorProto .pb), repeatable; --seed for random inputs.
struct InputOptions {
  std::vector<std::string> inputs_raw;
  uint64_t seed = 0;

  void add_to(CLI::App& app);
  /// Loads the given files and fills the others with seeded random values in [-1, 1]
  /// (integers in [0, 10)). Every model input must end up bound.
  Expected<std::vector<NamedTensor>> load(const std::vector<TensorInfo>& model_inputs) const;
};

/// Parses "NAME=FILE".
Status parse_input_binding(const std::string& text, std::string& name, std::string& file);

/// A one-line summary of a tensor's values: min, max, mean and the first few elements.
std::string summarize(const Tensor& t);

}  // namespace kiln::cli
