// BitShift: shifts unsigned integers left or right (attribute `direction`), broadcasting. A shift
// by the type's width or more gives 0 (C++ leaves it undefined).
#include <string>

#include "ops/elementwise.h"

namespace kiln::ops {
namespace {

struct BitShift {
  static constexpr TypeSet kTypes = TypeSet::kUnsigned;
  std::string direction;
  bool left;
  explicit BitShift(const ir::Node& n)
      : direction(n.attr_string("direction", "")), left(direction == "LEFT") {}
  Status check(const ir::Node& n) const {
    if (direction == "LEFT" || direction == "RIGHT") return Status::ok();
    return invalid_argument(n.describe() + ": direction is '" + direction + "'; set it to 'LEFT' or 'RIGHT'");
  }
  template <typename C>
  C operator()(C x, C shift) const {
    if (shift >= sizeof(C) * 8) return 0;
    return static_cast<C>(left ? static_cast<wrap_t<C>>(x) << shift : x >> shift);
  }
};

}  // namespace

KILN_REGISTER_OP({.op_type = "BitShift", .infer = infer_binary<BitShift>, .reference = run_binary<BitShift>});

}  // namespace kiln::ops
