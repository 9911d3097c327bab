// kiln detect MODEL.(kplan|onnx) --images FILE|DIR [--out DIR] [--score S] [--iou I] [--max M]
// YOLOX on photos: fused pre-processing -> engine -> decode + class-aware NMS, per image; writes
// annotated images and detections.json to --out and prints per-stage medians.
//
// An .onnx is built with the post-processing step appended (kiln.YoloxPostprocess); a plan built
// with `kiln build --postprocess yolox` carries it; a plan without it gets the library call.
// --save-raw DIR builds without the step and writes the head's raw output per image (.npy), for
// tests/vision/yolox_ref.py. A file that cannot be read fails alone: the others go on.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "command.h"
#include "core/npy.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "vision/detect_post.h"
#include "vision/draw.h"
#include "vision/image_io.h"
#include "vision/preprocess.h"
#include "vision_cli.h"
#include "vision_options.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;
using vision::Detection;

struct DetectCommand {
  EngineSource source;
  BuildOptions build;
  DetectOptions detect;
};

// The head's rows become detections either inside the engine (the appended step's outputs) or
// here, with the same library code.
bool has_postprocess_outputs(const Engine& e) {
  for (const auto& o : e.outputs())
    if (o.name == "detection_boxes") return true;
  return false;
}

const Tensor* find_output(const std::vector<NamedTensor>& outs, const std::string& name) {
  for (const auto& o : outs)
    if (o.name == name) return &o.tensor;
  return nullptr;
}

Expected<std::vector<Detection>> detections_from(const std::vector<NamedTensor>& outs, bool in_engine,
                                                 const vision::YoloxParams& p) {
  if (in_engine) {
    const Tensor* n = find_output(outs, "num_detections");
    const Tensor* boxes = find_output(outs, "detection_boxes");
    const Tensor* scores = find_output(outs, "detection_scores");
    const Tensor* classes = find_output(outs, "detection_classes");
    if (!n || !boxes || !scores || !classes)
      return internal_error("the engine's post-processing outputs are incomplete");
    std::vector<Detection> d(static_cast<size_t>(std::clamp<int64_t>(n->as_int64(0), 0, scores->dim(1))));
    for (size_t i = 0; i < d.size(); ++i) {
      const float* b = boxes->data<float>() + i * 4;
      d[i] = {b[0], b[1], b[2], b[3], scores->data<float>()[i], classes->data<int32_t>()[i]};
    }
    return d;
  }
  const Tensor& raw = outs[0].tensor;
  if (raw.dtype() != DataType::kFloat32 || raw.rank() != 3 || raw.dim(1) != vision::yolox_anchor_count(p))
    return invalid_argument("the model's output '" + outs[0].name + "' is " + dtype_name(raw.dtype()) + "[" +
                            shape_str(raw.shape()) + "], not a YOLOX head [1, " +
                            std::to_string(vision::yolox_anchor_count(p)) + ", 5 + classes]");
  return vision::yolox_postprocess(raw.data<float>(), raw.dim(1), raw.dim(2), p);
}

std::vector<std::string> read_names(const std::string& path) {
  std::vector<std::string> names;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    names.push_back(line);
  }
  return names;
}

// YOLOX's pre-processing as the model here was calibrated: RGB, letterbox at the top-left with
// gray 114, ImageNet mean and std (the legacy YOLOX normalization).
Status yolox_preprocess(const vision::Image& rgb, const vision::ResizeGeometry& geo, Tensor& out,
                        vision::ThreadPool& pool) {
  vision::PreprocessSpec spec;
  spec.geometry = geo;
  spec.input_order = spec.output_order = vision::ChannelOrder::kRGB;
  spec.scale = 1.0f / 255.0f;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};
  spec.pad_pixel = {114, 114, 114};
  return vision::preprocess(rgb.view(), spec, out.data<float>(), &pool);
}

int run_detect(const DetectCommand& c) {
  const DetectOptions& o = c.detect;
  BuilderConfig config;
  vision::YoloxParams params;
  for (Status st : {c.source.parse(config), c.build.parse(config, c.source.is_plan()), o.parse(params)}) {
    if (!st) return fail("kiln detect", st, 2);
  }
  auto files = vision::list_images(o.images);
  if (!files) return fail("kiln detect", files.status(), 2);
  if (!c.source.is_plan() && o.save_raw.empty()) {
    config.postprocess = "yolox:score=" + std::to_string(o.score) + ",iou=" + std::to_string(o.iou) +
                         ",max=" + std::to_string(o.max_detections);
  }
  auto loaded = open_engine(c.source, config);
  if (!loaded) return fail("kiln detect", loaded.status(), 1);
  const Engine& engine = *loaded->engine;
  auto input = image_input(engine);
  if (!input) return fail("kiln detect", input.status(), 1);
  const bool in_engine = has_postprocess_outputs(engine);
  if (in_engine && !o.save_raw.empty())
    return fail("kiln detect",
                invalid_argument("--save-raw needs the head's raw output, but the plan '" + c.source.path +
                                 "' ends in the post-processing step; give the .onnx model"),
                2);
  // A plan that ends in the step carries the thresholds it was built with.
  const DetectOptions defaults;
  if (in_engine && c.source.is_plan() &&
      (o.score != defaults.score || o.iou != defaults.iou || o.max_detections != defaults.max_detections))
    return fail(
        "kiln detect",
        invalid_argument("the plan '" + c.source.path +
                         "' ends in the post-processing step with the thresholds it was built with; "
                         "rebuild it with `kiln build --postprocess yolox:score=S,iou=I,max=M`, or give "
                         "the .onnx model"),
        2);
  const int net_w = static_cast<int>(input->shape[3]), net_h = static_cast<int>(input->shape[2]);
  params.input_width = net_w;
  params.input_height = net_h;
  auto ctx = engine.create_context();
  if (!ctx) return fail("kiln detect", ctx.status(), 1);
  // In the engine, post-processing is its last layer: its time is reported as "post".
  double engine_post_ms = 0;
  if (in_engine) {
    const auto layers = engine.layers();
    size_t post_layer = layers.size();
    for (size_t i = 0; i < layers.size(); ++i)
      if (layers[i].op == "YoloxPostprocess") post_layer = i;
    (*ctx)->set_layer_timer([&engine_post_ms, post_layer](size_t layer, double us) {
      if (layer == post_layer) engine_post_ms += us / 1000.0;
    });
  }
  std::cout << "model  " << c.source.path << "  " << (loaded->built ? "built" : "loaded") << " in "
            << fixed(loaded->setup_ms, 1) << " ms; input " << input->name << " " << shape_str(input->shape)
            << "; post-processing "
            << (in_engine ? "in the engine (kiln.YoloxPostprocess)" : "by the library") << "\n";

  std::string names_path = o.names_file;
  if (names_path.empty()) {
    const fs::path dir = fs::is_directory(o.images) ? fs::path(o.images) : fs::path(o.images).parent_path();
    if (fs::exists(dir / "coco.names")) names_path = (dir / "coco.names").string();
  }
  const std::vector<std::string> names =
      names_path.empty() ? std::vector<std::string>{} : read_names(names_path);
  auto class_name = [&](int id) {
    return id >= 0 && static_cast<size_t>(id) < names.size() ? names[id] : "class" + std::to_string(id);
  };
  for (const std::string& dir : {o.out_dir, o.save_raw}) {
    std::error_code ec;
    if (!dir.empty() && (fs::create_directories(dir, ec), ec))
      return fail("kiln detect", io_error("cannot create '" + dir + "': " + ec.message()), 1);
  }

  vision::ThreadPool pool(engine.threads());
  StageTimes times({"pre", "infer", "post"});
  nlohmann::json report = {{"model", c.source.path}, {"images", nlohmann::json::array()}};
  int failed = 0;
  for (const std::string& file : *files) {
    nlohmann::json entry = {{"file", file}};
    auto image = vision::read_image(file);
    Status st = image ? Status::ok() : image.status();
    std::vector<Detection> dets;
    vision::ResizeGeometry geo;
    for (int r = 0; st && r < o.repeat; ++r) {
      auto t0 = Clock::now();
      geo = vision::letterbox(image->width, image->height, net_w, net_h, vision::Placement::kTopLeft);
      Tensor tensor(DataType::kFloat32, input->shape);
      st = yolox_preprocess(*image, geo, tensor, pool);
      if (!st) break;
      auto t1 = Clock::now();
      engine_post_ms = 0;
      auto outs = (*ctx)->run({{input->name, tensor}});
      if (!outs) {
        st = outs.status();
        break;
      }
      auto t2 = Clock::now();
      auto d = detections_from(*outs, in_engine, params);
      if (!d) {
        st = d.status();
        break;
      }
      dets = std::move(*d);
      times.add(0, ms_between(t0, t1));
      times.add(1, ms_between(t1, t2) - engine_post_ms);
      times.add(2, ms_since(t2) + engine_post_ms);
      if (r == 0 && !o.save_raw.empty()) {
        const std::string raw_path =
            (fs::path(o.save_raw) / (fs::path(file).stem().string() + ".npy")).string();
        st = write_npy(raw_path, (*outs)[0].tensor);
      }
    }
    if (!st) {
      ++failed;
      std::cerr << "kiln detect: " << (st.message().find(file) == std::string::npos ? file + ": " : "")
                << st.message() << "\n";
      entry["error"] = st.message();
      report["images"].push_back(entry);
      continue;
    }
    entry["width"] = image->width;
    entry["height"] = image->height;
    entry["detections"] = nlohmann::json::array();
    vision::Image canvas = *image;
    for (const Detection& d : dets) {
      // Network input pixels -> image pixels: undo the letterbox, clip to the image.
      auto sx = [&](float x) {
        return std::clamp(geo.to_source_x(x, image->width), 0.0f, float(image->width));
      };
      auto sy = [&](float y) {
        return std::clamp(geo.to_source_y(y, image->height), 0.0f, float(image->height));
      };
      const float box[4] = {sx(d.x1), sy(d.y1), sx(d.x2), sy(d.y2)};
      entry["detections"].push_back({{"class_id", d.class_id},
                                     {"class", class_name(d.class_id)},
                                     {"score", d.score},
                                     {"box", {box[0], box[1], box[2], box[3]}},
                                     {"input_box", {d.x1, d.y1, d.x2, d.y2}}});
      const vision::Rgb color = vision::class_color(d.class_id);
      vision::draw_box(canvas, int(box[0]), int(box[1]), int(box[2]), int(box[3]), color);
      vision::draw_label(canvas, int(box[0]), int(box[1]), class_name(d.class_id) + " " + fixed(d.score, 2),
                         color);
    }
    std::cout << "image  " << file << "  " << image->width << "x" << image->height << "  " << dets.size()
              << " detections";
    for (size_t i = 0; i < std::min<size_t>(dets.size(), 3); ++i)
      std::cout << (i ? ", " : ": ") << class_name(dets[i].class_id) << " " << fixed(dets[i].score, 2);
    std::cout << "\n";
    if (!o.out_dir.empty()) {
      const std::string out = (fs::path(o.out_dir) / (fs::path(file).stem().string() + ".jpg")).string();
      if (Status ws = vision::write_image(out, canvas); !ws) {
        ++failed;
        std::cerr << "kiln detect: " << ws.message() << "\n";
        entry["error"] = ws.message();
      }
    }
    report["images"].push_back(entry);
  }
  report["timing_ms"] = times.to_json();
  std::cout << times.summary(static_cast<int>(files->size()) - failed, o.repeat) << "\n";
  if (!o.out_dir.empty()) {
    const std::string path = (fs::path(o.out_dir) / "detections.json").string();
    if (Status st = write_text_file(path, report.dump(1) + "\n"); !st) return fail("kiln detect", st, 1);
    std::cout << "wrote  " << path << " and the annotated images\n";
  }
  if (failed) std::cerr << "kiln detect: " << failed << " of " << files->size() << " file(s) failed\n";
  return failed ? 1 : 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"detect", "Detect objects in images with a YOLOX model: pre-processing, engine, NMS",
                       [](CLI::App& app) {
                         auto o = std::make_shared<DetectCommand>();
                         o->source.add_to(app);
                         o->build.add_to(app);
                         o->detect.add_to(app);
                         return std::function<int()>([o] { return run_detect(*o); });
                       }});

}  // namespace kiln::cli
