// Importer features built from ModelProtos made here: nodes out of order, external data,
// dynamic dims resolved by --shapes, shape inference through the graph.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "onnx/importer.h"
#include "onnx/onnx_pb.h"

namespace kiln {
namespace {

void add_input(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims, const std::string& dyn = "") {
  auto* vi = g->add_input();
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d < 0) dim->set_dim_param(dyn); else dim->set_dim_value(d);
  }
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + out[0]);
  for (auto& s : in) n->add_input(s);
  for (auto& s : out) n->add_output(s);
  return n;
}

// y = Relu(x) * 2 + b, written with the nodes in reverse order.
onnx::ModelProto reversed_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("reversed");
  add_input(g, "x", {-1, 4}, "batch");
  add_node(g, "Add", {"t2", "b"}, {"y"});
  add_node(g, "Mul", {"t1", "two"}, {"t2"});
  add_node(g, "Relu", {"x"}, {"t1"});
  auto* two = g->add_initializer();
  two->set_name("two");
  two->set_data_type(onnx::TensorProto_DataType_FLOAT);
  two->add_float_data(2.0f);
  auto* b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto_DataType_FLOAT);
  b->add_dims(4);
  for (float v : {1.f, 2.f, 3.f, 4.f}) b->add_float_data(v);
  g->add_output()->set_name("y");
  return m;
}

TEST(Importer, SortsNodesAndResolvesDynamicDims) {
  onnx::ModelProto m = reversed_model();
  ImportOptions opts;
  opts.shapes["x"] = {3, 4};
  auto g = onnx_import::import_bytes(m.SerializeAsString(), ".", "'reversed'", opts);
  ASSERT_TRUE(g) << g.status().message();
  const auto& nodes = (*g)->nodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0]->op_type, "Relu");
  EXPECT_EQ(nodes[2]->op_type, "Add");
  EXPECT_EQ((*g)->outputs[0]->shape, (Shape{3, 4}));  // inferred through the graph
  EXPECT_NE(ir::to_text(**g).find("Relu 'Relu_t1' (x) -> (t1:float32[3x4])"), std::string::npos) << ir::to_text(**g);

  auto plain = onnx_import::import_bytes(m.SerializeAsString(), ".", "'reversed'", {});
  ASSERT_TRUE(plain);
  EXPECT_EQ((*plain)->outputs[0]->shape, (Shape{-1, 4}));  // unknown batch stays unknown
}

TEST(Importer, CycleIsReportedWithANodeName) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  add_input(g, "x", {2});
  add_node(g, "Add", {"x", "b"}, {"a"});
  add_node(g, "Relu", {"a"}, {"b"});
  g->add_output()->set_name("b");
  auto r = onnx_import::import_bytes(m.SerializeAsString(), ".", "'cyclic'", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("cycle"), std::string::npos) << r.status().message();
}

TEST(Importer, ReadsExternalDataAndChecksItsBounds) {
  auto dir = std::filesystem::temp_directory_path() / "kiln_external_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "weights.bin", std::ios::binary);
    float pad = 0, vals[4] = {5, 6, 7, 8};
    f.write(reinterpret_cast<const char*>(&pad), 4);
    f.write(reinterpret_cast<const char*>(vals), 16);
  }
  onnx::ModelProto m = reversed_model();
  auto* b = m.mutable_graph()->mutable_initializer(1);
  b->clear_float_data();
  b->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
  auto kv = [&](const char* k, const char* v) {
    auto* e = b->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", "weights.bin");
  kv("offset", "4");
  kv("length", "16");
  std::string path = (dir / "model.onnx").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << m.SerializeAsString();
  }
  ImportOptions opts;
  opts.shapes["x"] = {1, 4};
  auto model = Model::load_onnx(path, opts);
  ASSERT_TRUE(model) << model.status().message();
  Tensor x = Tensor::from_floats({1, 4}, {-1, 1, -2, 2});
  auto out = model->run({{"x", x}});
  ASSERT_TRUE(out) << out.status().message();
  const float* y = (*out)[0].tensor.data<float>();
  EXPECT_FLOAT_EQ(y[0], 5);   // relu(-1)*2 + 5
  EXPECT_FLOAT_EQ(y[1], 8);   // relu(1)*2 + 6
  EXPECT_FLOAT_EQ(y[3], 12);  // relu(2)*2 + 8

  std::filesystem::resize_file(dir / "weights.bin", 12);
  auto truncated = Model::load_onnx(path, opts);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.status().message().find("initializer 'b'"), std::string::npos) << truncated.status().message();
  EXPECT_NE(truncated.status().message().find("weights.bin"), std::string::npos);
}

TEST(Importer, ListsEveryUnsupportedNode) {
  onnx::ModelProto m = reversed_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("FancyAdd");
  m.mutable_graph()->mutable_node(2)->set_op_type("FancyRelu");
  auto r = onnx_import::import_bytes(m.SerializeAsString(), ".", "'m'", {});
  ASSERT_FALSE(r);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("2 node(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FancyAdd 'Add_y'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FancyRelu 'Relu_t1'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opset 13"), std::string::npos) << msg;
}

}  // namespace
}  // namespace kiln
