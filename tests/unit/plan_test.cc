// Plan files: build -> save -> load gives back the same engine (every field of EngineData, and
// bit-identical outputs); truncated, bit-flipped, foreign and future plans are refused with a clear
// error, never a crash (run these under KILN_SANITIZE=ON too).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>

#include <unistd.h>

#include "cpu/tactic.h"
#include "kiln/engine.h"
#include "onnx/onnx_pb.h"
#include "onnx/tensor_proto.h"
#include "plan/format.h"
#include "plan/plan.h"
#include "plan_test_util.h"
#include "runtime/huge_pages.h"

namespace kiln {
namespace {

using plan_test::aligned_copy;
using plan_test::expect_same_engine;
using plan_test::read_plan;
using plan_test::reseal;
using plan_test::section_of;

const std::string kNode = "/usr/share/libonnx-testdata/data/node/";
const std::filesystem::path kModels =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / ".cache/models";

std::shared_ptr<Engine> build(const std::string& path, std::map<std::string, Shape> shapes = {}) {
  BuilderConfig cfg;
  cfg.shapes = std::move(shapes);
  auto e = Builder::build_onnx(path, cfg);
  EXPECT_TRUE(e.has_value()) << path << ": " << e.status().message();
  return e ? *e : nullptr;
}

std::string serialize(const Engine& e) {
  auto bytes = e.serialize();
  EXPECT_TRUE(bytes.has_value()) << bytes.status().message();
  return bytes ? *bytes : std::string();
}

// The conformance test's own inputs when it has them, else deterministic random values.
std::vector<NamedTensor> inputs_for(const Engine& e, const std::string& data_dir) {
  std::vector<NamedTensor> in;
  std::mt19937 rng(7);
  for (size_t i = 0; i < e.inputs().size(); ++i) {
    const TensorInfo& info = e.inputs()[i];
    std::string pb = data_dir + "/input_" + std::to_string(i) + ".pb";
    if (!data_dir.empty() && std::filesystem::exists(pb)) {
      onnx::TensorProto proto;
      std::ifstream f(pb, std::ios::binary);
      EXPECT_TRUE(proto.ParseFromIstream(&f)) << pb;
      auto t = onnx_import::tensor_from_proto(proto, data_dir, pb);
      EXPECT_TRUE(t.has_value()) << t.status().message();
      in.push_back({info.name, t ? *t : Tensor()});
      continue;
    }
    std::vector<double> v(static_cast<size_t>(shape_numel(info.shape)));
    std::uniform_real_distribution<double> u(-1, 1);
    for (double& x : v) x = dtype_is_float(info.dtype) ? u(rng) : static_cast<double>(rng() % 3);
    in.push_back({info.name, Tensor::from_doubles(info.dtype, info.shape, v)});
  }
  return in;
}

std::vector<NamedTensor> run(const Engine& e, const std::vector<NamedTensor>& in) {
  auto ctx = e.create_context();
  EXPECT_TRUE(ctx.has_value());
  auto out = (*ctx)->run(in);
  EXPECT_TRUE(out.has_value()) << out.status().message();
  return out ? *out : std::vector<NamedTensor>{};
}

void expect_bit_identical(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].tensor.dtype(), b[i].tensor.dtype()) << a[i].name;
    ASSERT_EQ(a[i].tensor.shape(), b[i].tensor.shape()) << a[i].name;
    EXPECT_EQ(0, std::memcmp(a[i].tensor.raw(), b[i].tensor.raw(), a[i].tensor.nbytes())) << a[i].name;
  }
}

// Builds `model`, saves it both ways, loads it back both ways and checks the loaded engines are the
// built one: same EngineData, same plan bytes when written again, bit-identical outputs.
void round_trip(const std::string& model, const std::string& data_dir,
                std::map<std::string, Shape> shapes = {}, bool expect_shapes_only = false) {
  SCOPED_TRACE(model);
  auto built = build(model, std::move(shapes));
  ASSERT_TRUE(built);
  std::string bytes = serialize(*built);
  auto from_bytes = Engine::deserialize(bytes);
  ASSERT_TRUE(from_bytes.has_value()) << from_bytes.status().message();
  std::string path =
      (std::filesystem::temp_directory_path() / ("kiln_plan_test_" + std::to_string(::getpid()) + ".kplan"))
          .string();
  ASSERT_TRUE(built->save(path).is_ok());
  auto from_file = Engine::load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(from_file.has_value()) << from_file.status().message();

  for (const auto* loaded : {&*from_bytes, &*from_file}) {
    expect_same_engine(built->data(), (*loaded)->data());
    EXPECT_EQ(serialize(**loaded), bytes) << "writing a loaded plan again must give the same bytes";
  }
  // A constant every reader's tactic packed is stored as its shape only: the plan holds its
  // weights once, packed.
  const int shapes_only = plan_test::count_shape_only((*from_file)->data());
  if (expect_shapes_only) {
    EXPECT_GT(shapes_only, 0);
  }
  EXPECT_EQ(plan_test::expect_constants_in_blob((*from_file)->data(), bytes.size()),
            plan_test::count_tensors(built->data()) - shapes_only);
  auto in = inputs_for(*built, data_dir);
  auto expected = run(*built, in);
  expect_bit_identical(expected, run(**from_bytes, in));
  expect_bit_identical(expected, run(**from_file, in));
}

TEST(Plan, HugePageBytesAreAlignedZeroedAndWritable) {
  // A loaded plan and a context's arena live in these: every byte zero at first, all of them
  // writable, 2 MiB aligned from 1 MiB up (so the kernel can back them with huge pages) outside
  // sanitizer builds.
  for (size_t n : {size_t{0}, size_t{100}, (size_t{1} << 20) - 1, size_t{1} << 20, (size_t{3} << 20) + 5}) {
    std::shared_ptr<std::byte[]> p = runtime::huge_page_bytes(n);
    ASSERT_TRUE(p) << n;
    const auto at = reinterpret_cast<uintptr_t>(p.get());
#if defined(__SANITIZE_ADDRESS__)
    const bool huge = false;  // sanitizer builds take the heap (huge_pages.h)
#else
    const bool huge = n >= (size_t{1} << 20);
#endif
    EXPECT_EQ(at % (huge ? size_t{2} << 20 : 64), 0u) << n;
    size_t nonzero = 0;
    for (size_t i = 0; i < n; ++i) nonzero += p[i] != std::byte{0};
    EXPECT_EQ(nonzero, 0u) << n;
    if (n) {
      std::memset(p.get(), 0xAB, n);
      EXPECT_EQ(p[n - 1], std::byte{0xAB});
    }
  }
}

TEST(Plan, Crc32cMatchesPublishedVectors) {
  EXPECT_EQ(plan::crc32c("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0'), ones(32, '\xff'), inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(plan::crc32c(zeros.data(), 32), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(plan::crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(plan::crc32c(inc.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(plan::crc32c(inc.data() + 1, 30), plan::crc32c(std::string(inc, 1, 30).data(), 30));
}

TEST(Plan, CodesRoundTripForEveryDtypeAndAttributeKind) {
  std::set<uint8_t> codes;
  for (int t = 0; t <= static_cast<int>(DataType::kBool); ++t) {
    auto dt = static_cast<DataType>(t);
    EXPECT_EQ(plan::dtype_from_code(plan::dtype_code(dt)), dt) << dtype_name(dt);
    codes.insert(plan::dtype_code(dt));
  }
  EXPECT_EQ(codes.size(), static_cast<size_t>(DataType::kBool) + 1);
  EXPECT_FALSE(plan::dtype_from_code(8));  // ONNX STRING: not a kiln type
  for (int k = 0; k <= static_cast<int>(ir::Attribute::Kind::kGraphs); ++k) {
    auto kind = static_cast<ir::Attribute::Kind>(k);
    EXPECT_EQ(plan::attribute_from_code(plan::attribute_code(kind)), kind);
  }
  EXPECT_FALSE(plan::attribute_from_code(0));
  EXPECT_FALSE(plan::attribute_from_code(11));
}

TEST(Plan, RoundTripIf) { round_trip(kNode + "test_if/model.onnx", kNode + "test_if/test_data_set_0"); }
TEST(Plan, RoundTripLoop) {
  round_trip(kNode + "test_loop11/model.onnx", kNode + "test_loop11/test_data_set_0");
}
TEST(Plan, RoundTripScan) {
  round_trip(kNode + "test_scan9_sum/model.onnx", kNode + "test_scan9_sum/test_data_set_0");
}
TEST(Plan, RoundTripConv) {
  round_trip(kNode + "test_conv_with_strides_padding/model.onnx",
             kNode + "test_conv_with_strides_padding/test_data_set_0");
}

TEST(Plan, RoundTripBlazeface) {
  auto model = kModels / "blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx";
  if (!std::filesystem::exists(model))
    model = kModels / "blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx";
  if (!std::filesystem::exists(model))
    GTEST_SKIP() << "no blazeface model under " << kModels << " (scripts/setup)";
  round_trip(model.string(), "", {}, cpu::host_isa() != cpu::Isa::kGeneric);
}

TEST(Plan, RoundTripOcrDetection) {
  auto model = kModels / "ocr-models/package/assets/ch_PP-OCRv4_det_infer.onnx";
  if (!std::filesystem::exists(model))
    GTEST_SKIP() << "no PP-OCRv4 model under " << kModels << " (scripts/setup)";
  round_trip(model.string(), "", {{"x", {1, 3, 64, 64}}});
}

// Every attribute kind, constants sharing bytes, empty and zero-size tensors, NaN payloads,
// unknown ranks, symbolic dims, nested subgraphs, placements and tactic parameters.
TEST(Plan, RoundTripEveryFieldOfAHandMadeEngine) {
  auto data = plan_test::hand_made_engine();
  auto bytes = plan::write(*data);
  ASSERT_TRUE(bytes.has_value()) << bytes.status().message();
  auto [blob, size] = aligned_copy(*bytes);
  auto back = plan::read(blob, size);
  ASSERT_TRUE(back.has_value()) << back.status().message();
  expect_same_engine(*data, **back);
  EXPECT_EQ(plan_test::expect_constants_in_blob(**back, size), plan_test::count_tensors(*data));
  EXPECT_EQ(plan_test::count_tensors(*data), 12);
  const ir::Graph& g = *(*back)->graph;
  EXPECT_EQ(g.find_value("w_reshaped")->constant->raw(), g.find_value("w")->constant->raw())
      << "shared bytes stored once";
  auto again = plan::write(**back);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *bytes);
}

TEST(Plan, TruncatedAtEveryLengthIsRefused) {
  auto built = build(kNode + "test_if/model.onnx");
  ASSERT_TRUE(built);
  std::string bytes = serialize(*built);
  ASSERT_GT(bytes.size(), 500u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto e = Engine::deserialize(bytes.substr(0, n));
    ASSERT_FALSE(e.has_value()) << n;
    EXPECT_EQ(e.status().code(), StatusCode::kCorrupt) << n;
    EXPECT_NE(e.status().message().find(n == 0 ? "empty" : "truncated"), std::string::npos)
        << e.status().message();
  }
}

// The same, with the header's size and checksum fixed up: now the section table and every section
// parser see the cut, and must each say where.
TEST(Plan, TruncatedAndResealedAtEveryLengthIsRefusedByTheParser) {
  for (std::string bytes :
       {serialize(*build(kNode + "test_if/model.onnx")), *plan::write(*plan_test::hand_made_engine())}) {
    for (size_t n = plan::kHeaderBytes; n < bytes.size(); ++n) {
      Status st = read_plan(reseal(bytes.substr(0, n)));
      ASSERT_FALSE(st.is_ok()) << n;
      EXPECT_EQ(st.code(), StatusCode::kCorrupt) << n;
      EXPECT_NE(st.message().find("byte "), std::string::npos) << st.message();
    }
  }
}

TEST(Plan, EveryBitFlipIsCaughtByTheHeaderOrTheChecksum) {
  std::string bytes = serialize(*build(kNode + "test_if/model.onnx"));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string b = bytes;
      b[i] = static_cast<char>(b[i] ^ (1 << bit));
      auto e = Engine::deserialize(b);
      ASSERT_FALSE(e.has_value()) << "byte " << i << " bit " << bit;
      const std::string& m = e.status().message();
      const char* expect = i < 8               ? "not a kiln plan"
                           : i < 12            ? "format version"
                           : i >= 16 && i < 24 ? "header (byte 16) says"
                                               : "checksum mismatch: the plan is corrupted";
      EXPECT_NE(m.find(expect), std::string::npos) << "byte " << i << ": " << m;
      EXPECT_EQ(e.status().code(), i >= 8 && i < 12 ? StatusCode::kUnsupported : StatusCode::kCorrupt) << m;
    }
  }
}

// Bit flips behind a valid checksum (what a buggy writer or a crafted file looks like): the parser
// must refuse or accept, never crash or read out of bounds. Every bit of every section but WEIGHTS
// (whose bytes are only tensor data), every 61st bit there.
TEST(Plan, ResealedBitFlipsNeverCrashTheParser) {
  for (std::string bytes : {serialize(*build(kNode + "test_if/model.onnx")),
                            serialize(*build(kNode + "test_conv_with_strides_padding/model.onnx")),
                            *plan::write(*plan_test::hand_made_engine())}) {
    size_t weights = section_of(bytes, plan::SectionId::kWeights).first;
    int refused = 0, accepted = 0;
    // From the section count on (reseal rewrites size and checksum; magic and version are checked above).
    for (size_t bitpos = plan::kOffSectionCount * 8; bitpos < bytes.size() * 8;
         bitpos += bitpos / 8 < weights ? 1 : 61) {
      std::string b = bytes;
      b[bitpos / 8] = static_cast<char>(b[bitpos / 8] ^ (1 << (bitpos % 8)));
      Status st = read_plan(reseal(b));
      if (st.is_ok()) {
        ++accepted;
      } else {
        ++refused;
        EXPECT_TRUE(st.code() == StatusCode::kCorrupt || st.code() == StatusCode::kUnsupported)
            << st.message();
        EXPECT_FALSE(st.message().empty());
      }
    }
    EXPECT_GT(refused, accepted / 4) << "most structural flips must be caught";
    std::printf("resealed bit flips over %zu bytes: %d refused, %d accepted (names, floats, weights)\n",
                bytes.size(), refused, accepted);
  }
}

TEST(Plan, ResealedRandomOverwritesNeverCrashTheParser) {
  std::string bytes = *plan::write(*plan_test::hand_made_engine());
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 4000; ++iter) {
    std::string b = bytes;
    int n = 1 + static_cast<int>(rng() % 8);
    size_t at = plan::kOffSectionCount + rng() % (b.size() - plan::kOffSectionCount - n);
    for (int k = 0; k < n; ++k) b[at + k] = static_cast<char>(iter % 3 == 0 ? 0xff : rng());
    Status st = read_plan(reseal(b));
    EXPECT_TRUE(st.is_ok() || !st.message().empty());
  }
}

TEST(Plan, ForeignTargetIsRefusedNamingTheFeatures) {
  auto built = build(kNode + "test_conv_with_strides_padding/model.onnx");
  ASSERT_TRUE(built);
  std::string bytes = serialize(*built);
  size_t target = section_of(bytes, plan::SectionId::kTarget).first;
  uint32_t arch_len;
  std::memcpy(&arch_len, bytes.data() + target, 4);
  size_t at = target + 4 + arch_len;
  uint64_t features;
  std::memcpy(&features, bytes.data() + at, 8);
  EXPECT_EQ(features, built->data().target.features);
  // Claim a feature this machine lacks (or drop one it has).
  uint64_t flip = (features & runtime::kAvx512f) ? runtime::kAvx512f : runtime::kAvx512bf16;
  features ^= flip;
  std::memcpy(bytes.data() + at, &features, 8);
  auto e = Engine::deserialize(reseal(bytes));
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.status().code(), StatusCode::kUnsupported);
  const std::string& m = e.status().message();
  EXPECT_NE(m.find("CPU features"), std::string::npos) << m;
  EXPECT_NE(m.find(runtime::feature_names(flip)), std::string::npos) << m;
}

TEST(Plan, OtherFormatVersionIsRefusedNamingBoth) {
  std::string bytes = serialize(*build(kNode + "test_conv_with_strides_padding/model.onnx"));
  uint32_t v = plan::kFormatVersion + 1;
  std::memcpy(bytes.data() + plan::kOffVersion, &v, 4);
  auto e = Engine::deserialize(bytes);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.status().code(), StatusCode::kUnsupported);
  const std::string& m = e.status().message();
  EXPECT_NE(m.find("format version " + std::to_string(v)), std::string::npos) << m;
  EXPECT_NE(m.find("reads format version " + std::to_string(plan::kFormatVersion)), std::string::npos) << m;
  EXPECT_NE(m.find(std::string("kiln ") + plan::kKilnVersion), std::string::npos) << m;
}

TEST(Plan, NotAPlanAndTrailingBytesAreRefused) {
  EXPECT_NE(Engine::deserialize("").status().message().find("empty"), std::string::npos);
  EXPECT_NE(Engine::deserialize(std::string(100, 'x')).status().message().find("not a kiln plan"),
            std::string::npos);
  std::string bytes = serialize(*build(kNode + "test_conv_with_strides_padding/model.onnx"));
  auto e = Engine::deserialize(bytes + "junk");
  EXPECT_NE(e.status().message().find("trailing bytes"), std::string::npos) << e.status().message();
}

// Targeted corruptions behind a valid checksum, each refused with a message naming what is wrong.
TEST(Plan, ParserNamesWhatIsWrong) {
  std::string bytes = *plan::write(*plan_test::hand_made_engine());
  auto patched = [&](const std::string& marker, size_t skip, std::vector<uint8_t> with) {
    size_t at = bytes.find(marker);
    EXPECT_NE(at, std::string::npos) << marker;
    std::string b = bytes;
    for (size_t k = 0; k < with.size(); ++k) b[at + marker.size() + skip + k] = static_cast<char>(with[k]);
    return read_plan(reseal(b));
  };
  auto expect_error = [](const Status& st, const std::string& what) {
    EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.message();
    EXPECT_NE(st.message().find(what), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("GRAPH section, byte "), std::string::npos) << st.message();
  };
  expect_error(patched("VALUE_X", 0, {8}), "value 'VALUE_X' has unknown data type code 8");
  expect_error(patched("ATTR_KIND", 0, {11}), "attribute 'ATTR_KIND' has unknown attribute kind 11");
  // OP_Y's first input id (after the domain string and the opset): 1000 values do not exist.
  expect_error(patched("OP_Y", 4 + 6 + 4 + 4, {0xe8, 0x03, 0, 0}), "refers to value 1000");
  // A count far beyond the section's bytes must fail before anything is reserved.
  expect_error(patched("ATTR_INTS", 1, {0xff, 0xff, 0xff, 0x7f}), "count of ints is 2147483647");

  std::string b = bytes;
  size_t steps = section_of(b, plan::SectionId::kSteps).first;
  uint32_t node = 99;
  std::memcpy(b.data() + steps + 4, &node, 4);
  Status st = read_plan(reseal(b));
  EXPECT_NE(st.message().find("STEPS section, byte " + std::to_string(steps + 4) + ": step 0 runs node 99"),
            std::string::npos)
      << st.message();
}

TEST(Plan, PlacementsMustMatchTheirValues) {
  auto data = plan_test::hand_made_engine();
  for (auto& [v, p] : data->placement)
    if (p.offset >= 0) p.bytes += 4;
  auto bytes = plan::write(*data);
  ASSERT_TRUE(bytes.has_value());
  Status st = read_plan(*bytes);
  EXPECT_NE(st.message().find("ARENA section"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("placement of 'z' has 28 bytes but the value is float32[2x3]"),
            std::string::npos)
      << st.message();
}

TEST(Plan, WriterRefusesConstantSequences) {
  auto data = plan_test::hand_made_engine();
  data->graph->find_value("seq")->constant =
      Tensor::sequence(DataType::kFloat32, {Tensor::from_floats({1}, {1})});
  auto bytes = plan::write(*data);
  ASSERT_FALSE(bytes.has_value());
  EXPECT_NE(bytes.status().message().find("constant 'seq' is a tensor sequence"), std::string::npos)
      << bytes.status().message();
}

TEST(Plan, WriterRefusesGraphsNestedTooDeep) {
  auto data = plan_test::hand_made_engine();
  ir::Graph* g = data->graph.get();
  for (int depth = 0; depth <= plan::kMaxGraphDepth; ++depth) {
    auto sub = std::make_shared<ir::Graph>();
    sub->parent = g;
    auto n = std::make_unique<ir::Node>();
    n->name = "nest" + std::to_string(depth);
    n->op_type = "If";
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::kGraph;
    a.g = sub;
    n->attrs["then_branch"] = a;
    g->add_node(std::move(n));
    g = sub.get();
  }
  auto bytes = plan::write(*data);
  ASSERT_FALSE(bytes.has_value());
  EXPECT_NE(bytes.status().message().find("nested deeper than 64"), std::string::npos)
      << bytes.status().message();
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// A plan's fast tactics travel with their packed weights and are resolved by name on load.
// (The ONNX node tests feed Conv weights as graph inputs, so a real model gives the constant
// weights tactics need.)
std::shared_ptr<Engine> build_mobilenet() {
  const std::string model = (kModels / "mobilenetv2.onnx").string();
  if (!std::filesystem::exists(model)) return nullptr;
  BuilderConfig cfg;
  cfg.tactics = "heuristic";
  auto e = Builder::build_onnx(model, cfg);
  EXPECT_TRUE(e.has_value()) << e.status().message();
  return e ? *e : nullptr;
}

TEST(PlanTactics, ConvPlanKeepsItsTacticAndPackedWeights) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: no fast tactics";
  auto built = build_mobilenet();
  if (!built) GTEST_SKIP() << "no mobilenetv2.onnx under " << kModels << " (scripts/setup)";
  const runtime::Step& step = built->data().steps.at(0);
  // The first conv reads the image: an im2col GEMM (planar) or the blocked direct kernel.
  EXPECT_TRUE(step.tactic.rfind("conv2d.gemm", 0) == 0 || step.tactic.rfind("blocked.direct", 0) == 0)
      << step.tactic;
  ASSERT_EQ(step.prepared.size(), 1u);
  auto loaded = Engine::deserialize(serialize(*built));
  ASSERT_TRUE(loaded.has_value()) << loaded.status().message();
  EXPECT_EQ((*loaded)->data().steps.at(0).impl, step.impl);
  EXPECT_EQ((*loaded)->layers().at(0).tactic, step.tactic);
}

TEST(PlanTactics, PackedWeightsAreStoredOnceAndTheirShapesOnlyWhereNothingElseReadsThem) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: no fast tactics";
  auto built = build_mobilenet();
  if (!built) GTEST_SKIP() << "no mobilenetv2.onnx under " << kModels << " (scripts/setup)";
  const std::string bytes = serialize(*built);
  // Every conv's W and B went into its tactic's packed weights: the plan holds those once.
  int64_t raw = 0;
  for (const runtime::Step& s : built->data().steps)
    for (size_t k = 1; k < s.node->inputs.size() && k < 3; ++k)
      if (const ir::Value* v = s.node->inputs[k]; v && v->is_constant())
        raw += static_cast<int64_t>(v->constant->nbytes());
  EXPECT_GT(raw, 10 << 20);
  // Packed (with channel padding) they are a little more than the raw bytes; raw and packed
  // together were twice (MobileNetV2: 28.1 MB before, 14.1 MB now).
  EXPECT_LT(static_cast<int64_t>(bytes.size()), raw * 3 / 2) << "raw weights stored too: raw " << raw;
  auto [blob, size] = aligned_copy(bytes);
  auto data = plan::read(blob, size);
  ASSERT_TRUE(data.has_value()) << data.status().message();
  EXPECT_GT(plan_test::count_shape_only(**data), 50);
  ASSERT_TRUE(plan::check_shape_only_constants(**data).is_ok());
  // A reader that needs the values (here: the first conv run by the reference kernel instead) is
  // refused at load, naming the constant, and at save.
  runtime::Step& first = (*data)->steps.at(0);
  const ir::Value* w = first.node->inputs.at(1);
  ASSERT_TRUE(w->constant->raw() == nullptr);
  first.tactic = "reference";
  first.impl = nullptr;
  first.prepared.clear();
  Status st = plan::check_shape_only_constants(**data);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("'" + w->name + "' is stored without its values"), std::string::npos)
      << st.message();
  EXPECT_FALSE(plan::write(**data).has_value());
}

TEST(PlanTactics, UnknownTacticOrMismatchedPackedWeightsAreRefused) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: no fast tactics";
  auto built = build_mobilenet();
  if (!built) GTEST_SKIP() << "no mobilenetv2.onnx under " << kModels << " (scripts/setup)";
  runtime::EngineData& d = const_cast<runtime::EngineData&>(built->data());
  ASSERT_EQ(d.steps[0].prepared.size(), 1u);
  const std::string tactic = d.steps[0].tactic;
  d.steps[0].tactic = "conv2d.winograd.avx1024";
  auto unknown = Engine::deserialize(serialize(*built));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.status().message().find("'conv2d.winograd.avx1024' is not in this kiln"),
            std::string::npos)
      << unknown.status().message();
  d.steps[0].tactic = tactic;
  const ir::Value* packed = d.steps[0].prepared[0];
  const ir::Value* other = nullptr;  // another layer's (unpacked) weights
  for (size_t i = 1; i < d.steps.size() && !other; ++i)
    if (d.steps[i].node->input(1) && d.steps[i].node->input(1)->is_constant())
      other = d.steps[i].node->input(1);
  ASSERT_NE(other, nullptr);
  d.steps[0].prepared = {other};
  auto wrong = Engine::deserialize(serialize(*built));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.status().message().find("prepared weights"), std::string::npos) << wrong.status().message();
  d.steps[0].prepared = {packed};
  EXPECT_TRUE(Engine::deserialize(serialize(*built)).has_value());
}

// Resealed bit flips in a plan whose layers run fast tactics (packed weights, tactic parameters,
// elementwise programs): a flip is refused at load, or the plan loads and then runs to completion
// (numbers may be wrong, bytes never out of bounds). Run under AddressSanitizer by scripts/test_asan.
TEST(PlanTactics, ResealedBitFlipsInATunedPlanAreRefusedOrRunSafely) {
  if (cpu::host_isa() == cpu::Isa::kGeneric) GTEST_SKIP() << "no AVX2 on this CPU: no fast tactics";
  const std::string model =
      (kModels / "blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx").string();
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no blazeface under " << kModels << " (scripts/setup)";
  BuilderConfig cfg;
  cfg.tactics = "heuristic";
  auto built = Builder::build_onnx(model, cfg);
  ASSERT_TRUE(built.has_value()) << built.status().message();
  const std::string bytes = serialize(**built);
  const size_t weights = section_of(bytes, plan::SectionId::kWeights).first;
  std::mt19937 rng(99);
  int refused = 0, ran = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string b = bytes;
    // Structure (graph, steps, arena) rather than weight values: a flipped weight is just a number.
    const size_t at = plan::kOffSectionCount + rng() % (weights - plan::kOffSectionCount);
    b[at] = static_cast<char>(b[at] ^ (1 << (rng() % 8)));
    auto e = Engine::deserialize(reseal(b));
    if (!e) {
      ++refused;
      EXPECT_FALSE(e.status().message().empty());
      continue;
    }
    auto ctx = (*e)->create_context();
    ASSERT_TRUE(ctx.has_value());
    std::vector<NamedTensor> in;
    for (const TensorInfo& i : (*e)->inputs()) {
      bool fixed = true;
      for (int64_t d : i.shape) fixed = fixed && d >= 0 && d < (1 << 20);
      if (!fixed || shape_numel(i.shape) > (1 << 24)) continue;
      in.push_back({i.name, Tensor(i.dtype, i.shape)});
    }
    auto out = (*ctx)->run(in);
    ++ran;
    EXPECT_TRUE(out.has_value() || !out.status().message().empty());
  }
  std::printf("tuned-plan bit flips: %d refused, %d loaded and ran\n", refused, ran);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace kiln
