// Reliability diagram PNGs (see reliability_plot.h).
#include "eval/reliability_plot.h"

#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"

namespace triage::eval {
namespace {

using Rgb = std::array<uint8_t, 3>;
constexpr Rgb kWhite{255, 255, 255}, kGrid{225, 225, 225}, kAxis{0, 0, 0}, kDiagonal{140, 140, 140},
    kBefore{244, 170, 160}, kAfter{40, 90, 200};

struct Canvas {
  int w, h;
  std::vector<uint8_t> px;
  Canvas(int width, int height) : w(width), h(height), px(static_cast<size_t>(width) * height * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    std::copy(c.begin(), c.end(), px.begin() + (static_cast<size_t>(y) * w + x) * 3);
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) {  // inclusive corners, any order
    for (int y = std::min(y0, y1); y <= std::max(y0, y1); ++y)
      for (int x = std::min(x0, x1); x <= std::max(x0, x1); ++x) set(x, y, c);
  }
};

// A panel of side `size` at (left, top): plot coordinates (0..1, 0..1) to pixels.
void panel(Canvas& c, int left, int top, int size, const CalibrationSide* side) {
  auto px = [&](double v) { return left + static_cast<int>(std::lround(v * size)); };
  auto py = [&](double v) { return top + size - static_cast<int>(std::lround(v * size)); };
  for (int k = 1; k <= 5; ++k) {
    c.rect(px(k * 0.2), top, px(k * 0.2), top + size, kGrid);
    c.rect(left, py(k * 0.2), left + size, py(k * 0.2), kGrid);
  }
  if (side) {
    const auto& before = side->before.bins;
    const auto& after = side->after.bins;
    const double width = 1.0 / static_cast<double>(before.size());
    for (size_t b = 0; b < before.size(); ++b) {
      const double x0 = static_cast<double>(b) * width;
      if (before[b].count) c.rect(px(x0) + 1, py(0), px(x0 + width) - 1, py(before[b].accuracy), kBefore);
      if (b < after.size() && after[b].count)
        c.rect(px(x0 + width * 0.3), py(0), px(x0 + width * 0.7), py(after[b].accuracy), kAfter);
    }
  }
  for (int i = 0; i <= size; ++i) {  // the diagonal, 3 px wide
    for (int d = -1; d <= 1; ++d) c.set(left + i, top + size - i + d, kDiagonal);
  }
  c.rect(left, top + size, left + size, top + size + 1, kAxis);  // x axis
  c.rect(left - 1, top, left, top + size + 1, kAxis);            // y axis
  for (int k = 0; k <= 5; ++k) {                                 // ticks
    c.rect(px(k * 0.2), top + size, px(k * 0.2), top + size + 6, kAxis);
    c.rect(left - 6, py(k * 0.2), left, py(k * 0.2), kAxis);
  }
}

std::string describe(const CalibrationReport& r) {
  std::string s = "reliability diagram (" + std::to_string(kCalibrationBins) + " bins) on " + r.source +
                  ": left intent, right token; light red = raw scores, blue = calibrated, grey = perfect.";
  char buf[200];
  for (auto [name, side] : {std::pair{"intent", &r.intent}, std::pair{"token", &r.token}}) {
    if (!*side) continue;
    std::snprintf(buf, sizeof buf, " %s: T=%.4f ECE %.4f -> %.4f (n=%lld).", name, (*side)->temperature,
                  (*side)->before.ece, (*side)->after.ece, static_cast<long long>((*side)->before.n));
    s += buf;
  }
  return s;
}

}  // namespace

void write_reliability_png(const std::filesystem::path& path, const CalibrationReport& report) {
  constexpr int kSize = 400, kMargin = 40;
  Canvas canvas(2 * kSize + 3 * kMargin, kSize + 2 * kMargin);
  panel(canvas, kMargin, kMargin, kSize, report.intent ? &*report.intent : nullptr);
  panel(canvas, 2 * kMargin + kSize, kMargin, kSize, report.token ? &*report.token : nullptr);

  const auto tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw InputError(path.string() + ": cannot write the reliability diagram");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    std::remove(tmp.c_str());
    throw InputError(path.string() + ": writing the PNG failed");
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(canvas.w), static_cast<png_uint_32>(canvas.h), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::string title = "triage reliability diagram", description = describe(report);
  std::array<png_text, 2> text{};
  text[0].compression = text[1].compression = PNG_TEXT_COMPRESSION_NONE;
  text[0].key = const_cast<char*>("Title");
  text[0].text = title.data();
  text[1].key = const_cast<char*>("Description");
  text[1].text = description.data();
  png_set_text(png, info, text.data(), static_cast<int>(text.size()));
  png_write_info(png, info);
  for (int y = 0; y < canvas.h; ++y) png_write_row(png, canvas.px.data() + static_cast<size_t>(y) * canvas.w * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path.string() + ": writing the PNG failed");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace triage::eval
