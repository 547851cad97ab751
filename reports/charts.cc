#include "reports/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/html.h"

namespace faultline::reports {
namespace {

constexpr int kTop = 22;     // room for the title and the legend
constexpr int kBottom = 22;  // room for the time labels
constexpr int kLaneHeight = 22;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

// A "nice" step (1, 2 or 5 times a power of ten) giving about `target` intervals over `span`.
double NiceStep(double span, int target) {
  if (span <= 0) return 1;
  double raw = span / target;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

std::string Label(double v) {
  char buf[32];
  if (v != 0 && std::fabs(v) < 10 && std::fabs(v - std::round(v)) > 1e-9) {
    std::snprintf(buf, sizeof(buf), "%.2g", v);
  } else if (std::fabs(v) >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.3gM", v / 1e6);
  } else if (std::fabs(v) >= 1e4) {
    std::snprintf(buf, sizeof(buf), "%.3gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  }
  return buf;
}

std::string SvgOpen(const TimeAxis& axis, const std::string& id, const std::string& title,
                    int height) {
  std::string out = "<svg class=\"chart\" data-chart=\"" + HtmlEscape(id) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(axis.width) + "\" height=\"" + std::to_string(height) +
                    "\" viewBox=\"0 0 " + std::to_string(axis.width) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"" + HtmlEscape(title) +
                    "\">\n<text x=\"4\" y=\"14\" class=\"chart-title\" font-weight=\"600\">" +
                    HtmlEscape(title) + "</text>\n";
  return out;
}

// The time axis at `y`, with vertical grid lines from `top` down.
std::string TimeTicks(const TimeAxis& axis, int top, int y) {
  std::string out = "<g class=\"grid\">";
  std::string labels;
  double step = NiceStep(axis.end_s, 10);
  for (double s = 0; s <= axis.end_s + 1e-9; s += step) {
    std::string x = Num(axis.X(s));
    out += "<line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + std::to_string(top) + "\" y2=\"" +
           std::to_string(y) + "\"/>";
    labels += "<text x=\"" + x + "\" y=\"" + std::to_string(y + 14) + "\" text-anchor=\"middle\">" +
              Label(s) + " s</text>";
  }
  out += "</g>\n<g class=\"axis\"><line x1=\"" + Num(axis.X(0)) + "\" x2=\"" +
         Num(axis.X(axis.end_s)) + "\" y1=\"" + std::to_string(y) + "\" y2=\"" + std::to_string(y) +
         "\"/></g>\n" + labels + "\n";
  return out;
}

std::string BandRect(const TimeAxis& axis, const Band& b, double y, double h, bool label) {
  double x0 = axis.X(b.begin_s);
  double w = std::max(1.5, axis.X(b.end_s) - x0);
  std::string out = "<rect class=\"" + HtmlEscape(b.css) + "\" x=\"" + Num(x0) + "\" y=\"" +
                    Num(y) + "\" width=\"" + Num(w) + "\" height=\"" + Num(h) + "\"><title>" +
                    HtmlEscape(b.title) + "</title></rect>";
  // Roughly 6 px per character at 10 px: the whole label where it fits, else its first word
  // (the fault's kind: the lane already names the target), else only the hover title.
  std::string text = b.label;
  auto fits = [&](const std::string& t) { return w >= 6.0 * static_cast<double>(t.size()) + 4; };
  if (!fits(text)) text = text.substr(0, text.find(' '));
  if (label && !text.empty() && fits(text)) {
    out += "<text class=\"band-label\" x=\"" + Num(x0 + 3) + "\" y=\"" + Num(y + h - 6) + "\">" +
           HtmlEscape(text) + "</text>";
  }
  return out + "\n";
}

}  // namespace

double TimeAxis::X(double s) const {
  double span = end_s > 0 ? end_s : 1;
  double clamped = std::clamp(s, 0.0, span);
  return left + clamped / span * static_cast<double>(width - left - right);
}

std::string LineChart(const TimeAxis& axis, const LineChartSpec& spec) {
  const int bottom = spec.height - kBottom;
  const double plot_h = bottom - kTop;
  double max_y = 0;
  for (const auto& s : spec.series) {
    for (const auto& y : s.ys) {
      if (y && std::isfinite(*y)) max_y = std::max(max_y, *y);
    }
  }
  double step = NiceStep(max_y > 0 ? max_y : 1, 4);
  double top_y = std::max(step, std::ceil((max_y > 0 ? max_y : 1) / step) * step);
  auto y_of = [&](double v) { return bottom - v / top_y * plot_h; };

  std::string out = SvgOpen(axis, spec.id, spec.title, spec.height);
  for (const auto& b : spec.shade) out += BandRect(axis, b, kTop, plot_h, false);
  out += "<g class=\"grid\">";
  std::string labels;
  for (double v = step; v <= top_y + 1e-9; v += step) {
    std::string y = Num(y_of(v));
    out += "<line x1=\"" + Num(axis.X(0)) + "\" x2=\"" + Num(axis.X(axis.end_s)) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\"/>";
    labels += "<text x=\"" + std::to_string(axis.left - 4) + "\" y=\"" + Num(y_of(v) + 4) +
              "\" text-anchor=\"end\">" + Label(v) + "</text>";
  }
  out += "</g>\n" + labels + "\n";
  out += "<text x=\"4\" y=\"" + Num(kTop + plot_h / 2) + "\" class=\"unit\">" +
         HtmlEscape(spec.unit) + "</text>\n";
  out += TimeTicks(axis, kTop, bottom);
  for (const auto& s : spec.series) {
    // One polyline per unbroken run of points.
    std::string points;
    size_t n = 0;
    auto flush = [&] {
      if (n > 0) {
        out += "<polyline class=\"series " + HtmlEscape(s.css) + "\" points=\"" + points +
               "\"><title>" + HtmlEscape(s.name) + "</title></polyline>\n";
      }
      points.clear();
      n = 0;
    };
    for (size_t i = 0; i < s.xs.size() && i < s.ys.size(); ++i) {
      if (!s.ys[i] || !std::isfinite(*s.ys[i])) {
        flush();
        continue;
      }
      if (n++ > 0) points += ' ';
      points += Num(axis.X(s.xs[i])) + "," + Num(y_of(*s.ys[i]));
    }
    flush();
  }
  // Legend, top right.
  out += "<g class=\"legend\">";
  int x = axis.width - axis.right - 150 * static_cast<int>(spec.series.size());
  for (const auto& s : spec.series) {
    out += "<rect class=\"" + HtmlEscape(s.css) + "\" x=\"" + std::to_string(x) +
           "\" y=\"6\" width=\"12\" height=\"4\"/><text x=\"" + std::to_string(x + 16) +
           "\" y=\"12\">" + HtmlEscape(s.name) + "</text>";
    x += 150;
  }
  out += "</g>\n</svg>\n";
  return out;
}

std::string LaneChart(const TimeAxis& axis, const std::string& id, const std::string& title,
                      const std::vector<Lane>& lanes) {
  const int height =
      kTop + kLaneHeight * static_cast<int>(std::max<size_t>(lanes.size(), 1)) + kBottom + 4;
  const int bottom = height - kBottom;
  std::string out = SvgOpen(axis, id, title, height);
  out += TimeTicks(axis, kTop, bottom);
  int y = kTop + 2;
  for (const auto& lane : lanes) {
    out += "<g class=\"lane\"><text class=\"lane-label\" x=\"" + std::to_string(axis.left - 4) +
           "\" y=\"" + std::to_string(y + 14) + "\" text-anchor=\"end\">" + HtmlEscape(lane.label) +
           "</text>\n";
    for (const auto& b : lane.bands) out += BandRect(axis, b, y + 1, kLaneHeight - 4, true);
    for (const auto& t : lane.ticks) {
      std::string x = Num(axis.X(t.t_s));
      out += "<line class=\"" + HtmlEscape(t.css) + "\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" +
             std::to_string(y + 1) + "\" y2=\"" + std::to_string(y + kLaneHeight - 3) +
             "\"><title>" + HtmlEscape(t.title) + "</title></line>";
    }
    out += "</g>\n";
    y += kLaneHeight;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace faultline::reports
