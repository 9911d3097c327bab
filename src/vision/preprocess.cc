#include "vision/preprocess.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::vision {

ResizeGeometry letterbox(int src_w, int src_h, int out_w, int out_h, Placement placement) {
  const double r = std::min(static_cast<double>(out_w) / src_w, static_cast<double>(out_h) / src_h);
  ResizeGeometry g;
  g.out_width = out_w;
  g.out_height = out_h;
  g.resized_width = std::clamp(static_cast<int>(src_w * r), 1, out_w);
  g.resized_height = std::clamp(static_cast<int>(src_h * r), 1, out_h);
  if (placement == Placement::kCenter) {
    g.offset_x = (out_w - g.resized_width) / 2;
    g.offset_y = (out_h - g.resized_height) / 2;
  }
  return g;
}

ResizeGeometry stretch(int out_w, int out_h) { return {out_w, out_h, out_w, out_h, 0, 0}; }

ResizeGeometry keep_ratio(int src_w, int src_h, double ratio) {
  const int w = std::max(1, static_cast<int>(std::lround(src_w * ratio)));
  const int h = std::max(1, static_cast<int>(std::lround(src_h * ratio)));
  return {w, h, w, h, 0, 0};
}

namespace detail {
namespace {

// OpenCV's saturate_cast<short>(float): round to nearest, ties to even (cvRound).
int16_t round_weight(float w) {
  const long v = std::lrint(w * 2048.0f);
  return static_cast<int16_t>(
      std::clamp<long>(v, std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()));
}

}  // namespace

// The rules of OpenCV's resizeGeneric for INTER_LINEAR (imgproc/src/resize.cpp): source
// coordinates in float from double arithmetic, the left tap clamped with a zero right weight at
// both borders; rows are clamped but keep their weights.
ResizeTables make_tables(int src_w, int src_h, int dst_w, int dst_h) {
  ResizeTables t;
  t.src_width = src_w;
  t.src_height = src_h;
  t.dst_width = dst_w;
  t.dst_height = dst_h;
  const double scale_x = static_cast<double>(src_w) / dst_w;
  const double scale_y = static_cast<double>(src_h) / dst_h;
  t.xofs0.resize(dst_w);
  t.xofs1.resize(dst_w);
  t.alpha.resize(dst_w);
  for (int dx = 0; dx < dst_w; ++dx) {
    float fx = static_cast<float>((dx + 0.5) * scale_x - 0.5);
    int sx = static_cast<int>(std::floor(fx));
    fx -= static_cast<float>(sx);
    if (sx < 0) fx = 0, sx = 0;
    if (sx >= src_w - 1) fx = 0, sx = src_w - 1;
    const int16_t a0 = round_weight(1.0f - fx), a1 = round_weight(fx);
    t.xofs0[dx] = sx * 3;
    t.xofs1[dx] = std::min(sx + 1, src_w - 1) * 3;
    t.alpha[dx] = static_cast<int32_t>(static_cast<uint16_t>(a0)) | (static_cast<int32_t>(a1) << 16);
    if (t.xofs1[dx] + 4 <= src_w * 3) t.x_gather_end = dx + 1;
  }
  // Byte-permute tables. A group of 16 columns whose taps lie within 128 bytes reads one
  // 128-byte window; otherwise a group is two blocks of b <= 8 columns whose taps each lie within
  // 64 bytes (at 3x shrinking b is 7: groups of 14). Below 4 (past ~5x shrinking), gathers.
  // Group starts: every `lanes` columns, plus one ending at the row's end when needed.
  auto starts = [&](int lanes) {
    std::vector<int> xs;
    for (int x0 = 0; x0 + lanes <= dst_w; x0 += lanes) xs.push_back(x0);
    if (dst_w >= lanes && dst_w % lanes != 0) xs.push_back(dst_w - lanes);
    return xs;
  };
  auto span = [&](int x0, int n) { return t.xofs1[x0 + n - 1] + 3 - t.xofs0[x0]; };
  // Every block of n columns (two per group unless n is 16) spans at most `limit` bytes.
  auto all_fit = [&](int n, int limit) {
    for (int x0 : starts(n == 16 ? 16 : 2 * n))
      if (span(x0, n) > limit || (n != 16 && span(x0 + n, n) > limit)) return false;
    return true;
  };
  int block = 0;  // columns per window; two windows per group unless block is 16
  if (all_fit(16, 128)) {
    block = 16;
  } else {
    for (int b = 8; b >= 4 && !block; --b)
      if (all_fit(b, 64)) block = b;
  }
  if (block) {
    t.perm_lanes = block == 16 ? 16 : 2 * block;
    for (int x0 : starts(t.perm_lanes)) {
      const int lo = t.xofs0[x0], hi = block == 16 ? lo + 64 : t.xofs0[x0 + block];
      t.perm_x.push_back(x0);
      t.perm_lo.push_back(lo);
      t.perm_hi.push_back(hi);
      for (int c = 0; c < 3; ++c) {
        uint8_t idx[64] = {};
        for (int i = 0; i < t.perm_lanes && i < 16; ++i) {  // (16 at most: one vector)
          // Offsets into the 128 bytes lo[0..64) ++ hi[0..64).
          auto at = [&](int ofs) { return block == 16 || i < block ? ofs - lo : 64 + ofs - hi; };
          idx[4 * i] = static_cast<uint8_t>(at(t.xofs0[x0 + i]) + c);
          idx[4 * i + 2] = static_cast<uint8_t>(at(t.xofs1[x0 + i]) + c);
        }
        t.perm_index.insert(t.perm_index.end(), idx, idx + 64);
      }
    }
  }
  t.yofs0.resize(dst_h);
  t.yofs1.resize(dst_h);
  t.beta0.resize(dst_h);
  t.beta1.resize(dst_h);
  for (int dy = 0; dy < dst_h; ++dy) {
    float fy = static_cast<float>((dy + 0.5) * scale_y - 0.5);
    const int sy = static_cast<int>(std::floor(fy));
    fy -= static_cast<float>(sy);
    t.yofs0[dy] = std::clamp(sy, 0, src_h - 1);
    t.yofs1[dy] = std::clamp(sy + 1, 0, src_h - 1);
    t.beta0[dy] = round_weight(1.0f - fy);
    t.beta1[dy] = round_weight(fy);
  }
  return t;
}

const ResizeKernels& best_kernels() {
  static const ResizeKernels* best = [] {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    if (avx512vbmi_kernels() && avx512 && __builtin_cpu_supports("avx512vbmi")) return avx512vbmi_kernels();
    if (avx512_kernels() && avx512) return avx512_kernels();
    if (avx2_kernels() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return avx2_kernels();
    return &scalar_kernels();
  }();
  return *best;
}

}  // namespace detail

Expected<Preprocessor> Preprocessor::create(int src_w, int src_h, const PreprocessSpec& spec,
                                            const detail::ResizeKernels* kernels) {
  const ResizeGeometry& g = spec.geometry;
  const std::string where = "preprocess " + std::to_string(src_w) + "x" + std::to_string(src_h) + " -> " +
                            std::to_string(g.out_width) + "x" + std::to_string(g.out_height);
  if (src_w <= 0 || src_h <= 0) return invalid_argument(where + ": the image is empty");
  if (g.out_width <= 0 || g.out_height <= 0 || g.resized_width <= 0 || g.resized_height <= 0)
    return invalid_argument(where + ": output and resized sizes must be positive");
  if (g.offset_x < 0 || g.offset_y < 0 || g.offset_x + g.resized_width > g.out_width ||
      g.offset_y + g.resized_height > g.out_height)
    return invalid_argument(where + ": the resized image (" + std::to_string(g.resized_width) + "x" +
                            std::to_string(g.resized_height) + " at " + std::to_string(g.offset_x) + "," +
                            std::to_string(g.offset_y) + ") does not fit in the output");
  // Offsets into a row are int32 (the gathers' indices).
  if (static_cast<int64_t>(src_w) * 3 + 4 > std::numeric_limits<int32_t>::max())
    return unsupported(where + ": the image is too wide");
  for (int c = 0; c < 3; ++c)
    if (!(spec.std[c] != 0.0f) || !std::isfinite(spec.std[c]))
      return invalid_argument(where + ": std[" + std::to_string(c) + "] must be a finite non-zero number");
  Preprocessor p;
  p.spec_ = spec;
  p.tables_ = detail::make_tables(src_w, src_h, g.resized_width, g.resized_height);
  p.kernels_ = kernels ? kernels : &detail::best_kernels();
  const bool swap = spec.input_order != spec.output_order;
  for (int c = 0; c < 3; ++c) {
    p.k_[c] = spec.scale / spec.std[c];
    p.m_[c] = -spec.mean[c] / spec.std[c];
    p.pad_[c] = spec.pad_value ? *spec.pad_value : static_cast<float>(spec.pad_pixel[c]) * p.k_[c] + p.m_[c];
    p.source_channel_[c] = swap ? 2 - c : c;
  }
  return p;
}

// One band of output rows. The horizontal pass of a source row is kept while consecutive output
// rows still need it (two slots, as OpenCV's ring of rows), which is what makes upscaling cheap.
void Preprocessor::run_rows(const ImageView& src, float* out, int y_begin, int y_end) const {
  const ResizeGeometry& g = spec_.geometry;
  const int rw = g.resized_width;
  const size_t plane = static_cast<size_t>(g.out_width) * g.out_height;
  thread_local std::vector<int16_t> scratch;
  scratch.resize(static_cast<size_t>(rw) * 6);
  int16_t* slot[2] = {scratch.data(), scratch.data() + 3 * rw};
  int slot_row[2] = {-1, -1};
  const detail::HResizeArgs hargs = tables_.hargs();
  auto horizontal = [&](int sy, int avoid) -> const int16_t* {
    for (int s = 0; s < 2; ++s)
      if (slot_row[s] == sy) return slot[s];
    const int s = avoid == 0 ? 1 : 0;  // never overwrite the slot the other tap is using
    kernels_->hresize(src.row(sy), hargs, slot[s], slot[s] + rw, slot[s] + 2 * rw);
    slot_row[s] = sy;
    return slot[s];
  };
  auto slot_of = [&](const int16_t* p) { return p == slot[0] ? 0 : 1; };
  // Shrinking rows by 1.5 or more, no source row serves two output rows: the one-pass kernel.
  const bool one_pass =
      kernels_->resize_row && tables_.perm_lanes > 0 && 2 * tables_.src_height >= 3 * g.resized_height;
  // Whole padding rows above and below the image: one contiguous block per plane.
  const detail::FillFn fill_block = kernels_->fill_block ? kernels_->fill_block : kernels_->fill;
  auto pad_rows = [&](int y0, int y1) {
    if (y0 >= y1) return;
    for (int c = 0; c < 3; ++c)
      fill_block(out + c * plane + static_cast<size_t>(y0) * g.out_width, (y1 - y0) * g.out_width, pad_[c]);
  };
  const int image_begin = std::clamp(g.offset_y, y_begin, y_end);
  const int image_end = std::clamp(g.offset_y + g.resized_height, image_begin, y_end);
  pad_rows(y_begin, image_begin);
  pad_rows(image_end, y_end);
  for (int y = image_begin; y < image_end; ++y) {
    const int dy = y - g.offset_y;
    if (one_pass) {
      float* rows[3];
      for (int c = 0; c < 3; ++c) {
        float* row = out + c * plane + static_cast<size_t>(y) * g.out_width;
        if (g.offset_x > 0) kernels_->fill(row, g.offset_x, pad_[c]);
        const int right = g.out_width - g.offset_x - rw;
        if (right > 0) kernels_->fill(row + g.offset_x + rw, right, pad_[c]);
        rows[c] = row + g.offset_x;
      }
      kernels_->resize_row(src.row(tables_.yofs0[dy]), src.row(tables_.yofs1[dy]), hargs, tables_.beta0[dy],
                           tables_.beta1[dy], source_channel_.data(), k_.data(), m_.data(), rows);
      continue;
    }
    // The upper tap must not evict the row the lower tap is about to reuse.
    const int y1 = tables_.yofs1[dy];
    const int16_t* upper =
        horizontal(tables_.yofs0[dy], slot_row[0] == y1 ? 0 : (slot_row[1] == y1 ? 1 : -1));
    const int16_t* lower = horizontal(y1, slot_of(upper));
    for (int c = 0; c < 3; ++c) {
      float* row = out + c * plane + static_cast<size_t>(y) * g.out_width;
      const int sc = source_channel_[c];
      if (g.offset_x > 0) kernels_->fill(row, g.offset_x, pad_[c]);
      kernels_->vresize(upper + sc * rw, lower + sc * rw, tables_.beta0[dy], tables_.beta1[dy], rw, k_[c],
                        m_[c], row + g.offset_x);
      const int right = g.out_width - g.offset_x - rw;
      if (right > 0) kernels_->fill(row + g.offset_x + rw, right, pad_[c]);
    }
  }
}

Status Preprocessor::run(const ImageView& src, float* out, ThreadPool* pool) const {
  if (src.empty()) return invalid_argument("preprocess: the image is empty");
  if (src.width != tables_.src_width || src.height != tables_.src_height)
    return invalid_argument("preprocess: the image is " + std::to_string(src.width) + "x" +
                            std::to_string(src.height) + " but this Preprocessor was made for " +
                            std::to_string(tables_.src_width) + "x" + std::to_string(tables_.src_height) +
                            "; create one for this size");
  if (src.channels != 3)
    return invalid_argument("preprocess: the image has " + std::to_string(src.channels) +
                            " channels; convert it to 3 (RGB or BGR) first");
  if (src.stride < static_cast<size_t>(src.width) * 3)
    return invalid_argument("preprocess: the row stride is smaller than width * 3");
  const int h = spec_.geometry.out_height;
  const int bands = pool ? std::min(pool->size(), h) : 1;
  if (bands <= 1) {
    run_rows(src, out, 0, h);
  } else {
    pool->run(bands, [&](int b) {
      run_rows(src, out, static_cast<int>(static_cast<int64_t>(h) * b / bands),
               static_cast<int>(static_cast<int64_t>(h) * (b + 1) / bands));
    });
  }
  return Status::ok();
}

Status preprocess(const ImageView& src, const PreprocessSpec& spec, float* out, ThreadPool* pool) {
  KILN_ASSIGN_OR_RETURN(Preprocessor p, Preprocessor::create(src.width, src.height, spec));
  return p.run(src, out, pool);
}

}  // namespace kiln::vision
