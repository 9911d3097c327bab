// kiln's fused pre-processing against OpenCV's cv::resize + cv::copyMakeBorder +
// cv::dnn::blobFromImage, on the same 8-bit BGR image, at the same thread count.
//
//   preprocess_bench [--iterations N] [--threads 1,2] [--check]
//
// Both sides compute the same tensor: letterbox (centered, pad 114), BGR -> RGB, (x - mean) * s
// (blobFromImage's normalization, so that OpenCV does everything in its own calls), CHW float.
// Runs are interleaved (kiln, OpenCV, kiln, ...) and medians reported, since the machine is noisy.
// Outputs must agree within one unit of the 8-bit scale; --check makes that the exit code and
// runs few iterations (the ctest entry).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "kiln/tensor.h"
#include "vision/preprocess.h"

namespace {

using Clock = std::chrono::steady_clock;
using kiln::vision::Placement;

constexpr float kMean[3] = {123.675f, 116.28f, 103.53f};  // ImageNet means, RGB, in 8-bit units
constexpr float kScale = 1.0f / 57.375f;                  // one std for all channels (blobFromImage's form)

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A deterministic photo-like test image: smooth gradients plus noise, so that every fractional
// tap position and rounding case is exercised.
cv::Mat make_image(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  std::mt19937 rng(42);
  for (int y = 0; y < h; ++y) {
    uint8_t* p = img.ptr<uint8_t>(y);
    for (int x = 0; x < w * 3; ++x)
      p[x] = static_cast<uint8_t>((x / 3 * 7 + y * 3 + (x % 3) * 50 + rng() % 48) & 255);
  }
  return img;
}

struct Result {
  double kiln_ms, opencv_ms, max_diff_8bit;
  const char* isa;
};

Result run_case(const cv::Mat& src, int out_w, int out_h, int threads, int iterations) {
  const auto g = kiln::vision::letterbox(src.cols, src.rows, out_w, out_h, Placement::kCenter);
  kiln::vision::PreprocessSpec spec;
  spec.geometry = g;
  spec.input_order = kiln::vision::ChannelOrder::kBGR;
  spec.output_order = kiln::vision::ChannelOrder::kRGB;
  spec.scale = kScale;
  spec.mean = {kMean[0] * kScale, kMean[1] * kScale, kMean[2] * kScale};
  spec.std = {1, 1, 1};
  spec.pad_pixel = {114, 114, 114};
  auto pre = kiln::vision::Preprocessor::create(src.cols, src.rows, spec);
  if (!pre) {
    std::fprintf(stderr, "preprocess_bench: %s\n", pre.status().message().c_str());
    std::exit(1);
  }
  kiln::vision::ThreadPool pool(threads);
  cv::setNumThreads(threads);
  const kiln::vision::ImageView view{src.data, src.cols, src.rows, 3, src.step[0]};
  // The destination is 64-byte aligned, as a kiln Tensor is.
  kiln::Tensor tensor(kiln::DataType::kFloat32, {static_cast<int64_t>(pre->output_floats())});
  float* ours = tensor.data<float>();
  cv::Mat resized, padded, blob;
  const int left = g.offset_x, top = g.offset_y;
  const int right = out_w - g.resized_width - left, bottom = out_h - g.resized_height - top;
  auto run_opencv = [&] {
    cv::resize(src, resized, cv::Size(g.resized_width, g.resized_height), 0, 0, cv::INTER_LINEAR);
    cv::copyMakeBorder(resized, padded, top, bottom, left, right, cv::BORDER_CONSTANT,
                       cv::Scalar(114, 114, 114));
    // mean in the order of the swapped (RGB) channels, as blobFromImage documents.
    blob = cv::dnn::blobFromImage(padded, kScale, cv::Size(), cv::Scalar(kMean[0], kMean[1], kMean[2]), true,
                                  false, CV_32F);
  };
  auto run_kiln = [&] {
    if (kiln::Status st = pre->run(view, ours, &pool); !st) {
      std::fprintf(stderr, "preprocess_bench: %s\n", st.message().c_str());
      std::exit(1);
    }
  };
  run_opencv();  // warm-up (allocations, thread start)
  run_kiln();
  std::vector<double> tk, tc;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    run_kiln();
    tk.push_back(ms_since(t0));
    t0 = Clock::now();
    run_opencv();
    tc.push_back(ms_since(t0));
  }
  double max_diff = 0;
  const float* ref = blob.ptr<float>();
  for (size_t i = 0; i < pre->output_floats(); ++i)
    max_diff = std::max(max_diff, std::fabs(double(ours[i]) - ref[i]) / kScale);
  return {median(tk), median(tc), max_diff, pre->isa()};
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 200;
  bool check = false;
  std::vector<int> thread_counts = {1, 2};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      for (char* t = std::strtok(argv[++i], ","); t; t = std::strtok(nullptr, ","))
        thread_counts.push_back(std::atoi(t));
    } else if (a == "--check") {
      check = true;
      iterations = 3;
    } else {
      std::fprintf(stderr, "usage: preprocess_bench [--iterations N] [--threads 1,2] [--check]\n");
      return 2;
    }
  }
  const cv::Mat src = make_image(1920, 1280);
  std::printf(
      "fused pre-processing vs OpenCV %s (resize + copyMakeBorder + blobFromImage), 1920x1280 BGR, "
      "median of %d interleaved runs\n",
      CV_VERSION, iterations);
  std::printf("%-10s %-8s %-8s %12s %12s %8s %14s\n", "output", "threads", "isa", "kiln ms", "opencv ms",
              "ratio", "max diff (8b)");
  bool ok = true;
  const int sizes[2][2] = {{960, 608}, {640, 640}};
  for (const auto& s : sizes) {
    for (int t : thread_counts) {
      Result r = run_case(src, s[0], s[1], t, iterations);
      const bool agree = r.max_diff_8bit <= 1.0 + 1e-3;
      ok = ok && agree;
      std::printf("%4dx%-5d %-8d %-8s %12.3f %12.3f %7.2fx %14.3f%s\n", s[0], s[1], t, r.isa, r.kiln_ms,
                  r.opencv_ms, r.opencv_ms / r.kiln_ms, r.max_diff_8bit, agree ? "" : "  (exceeds 1)");
    }
  }
  if (!ok) std::printf("outputs differ by more than one unit of the 8-bit scale\n");
  return check && !ok ? 1 : 0;
}
