#include "reports/html.h"

#include <cmath>
#include <cstdio>

namespace faultline::reports {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string UrlPathEscape(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '~' || c == '/' || c == '-') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormatNs(std::optional<double> ns) {
  if (!ns || !std::isfinite(*ns)) return "–";
  char buf[64];
  double v = *ns;
  if (v < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.0f µs", v / 1e3);
  } else if (v < 1e9) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f s", v / 1e9);
  }
  return buf;
}

std::string FormatNumber(std::optional<double> value, int decimals) {
  if (!value || !std::isfinite(*value)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, *value);
  return buf;
}

std::string_view ReportCss() {
  return R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 24px 40px;
       color: #1d232b; background: #fff; max-width: 1100px; }
h1 { font-size: 22px; margin: 18px 0 6px; } h2 { font-size: 17px; margin: 26px 0 8px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: #f4f6f8; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; }
.banner { padding: 12px 16px; border-radius: 6px; margin: 14px 0; color: #fff; }
.banner h1 { margin: 0 0 4px; }
.banner.valid { background: #1f7a3a; } .banner.invalid { background: #b3261e; }
.banner.unknown { background: #8a6d00; }
.banner .sub { opacity: .92; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #d5dae0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdecea; } tr.allowed td { background: #fff8e1; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; color: #fff; }
.tag.valid, .tag.ok, .tag.yes { background: #1f7a3a; } .tag.invalid, .tag.no { background: #b3261e; }
.tag.unknown, .tag.allowed { background: #8a6d00; }
.example { font-size: 12px; max-width: 760px; }
details { margin: 4px 0 10px; } summary { cursor: pointer; }
svg.chart { display: block; margin: 4px 0 10px; background: #fff; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #3b4550; }
svg.chart .axis line, svg.chart .grid line { stroke: #c9d0d8; stroke-width: 1; }
svg.chart .grid line { stroke-dasharray: 2 3; }
svg.chart .fault-band { fill: #e5484d; fill-opacity: .13; }
svg.chart .fault-lane { fill: #e5484d; fill-opacity: .55; }
svg.chart .failover-band { fill: #8e4ec6; fill-opacity: .5; }
svg.chart .stall-band { fill: #f5a524; fill-opacity: .55; }
svg.chart .longest-stall { fill: none; stroke: #b26b00; stroke-width: 1.5; }
svg.chart .checkpoint-completed { stroke: #1f7a3a; stroke-width: 1.5; }
svg.chart .checkpoint-aborted { stroke: #b3261e; stroke-width: 2; }
svg.chart .fault-failed { stroke: #e5484d; stroke-width: 2; stroke-dasharray: 3 2; }
svg.chart .series { fill: none; stroke-width: 1.6; }
svg.chart .s-input { stroke: #3e63dd; } svg.chart .s-output { stroke: #1f9a55; }
svg.chart .s-p50 { stroke: #3e63dd; } svg.chart .s-p99 { stroke: #d6409f; }
svg.chart .legend rect.s-input { fill: #3e63dd; } svg.chart .legend rect.s-output { fill: #1f9a55; }
svg.chart .legend rect.s-p50 { fill: #3e63dd; } svg.chart .legend rect.s-p99 { fill: #d6409f; }
svg.chart text.lane-label { font-weight: 600; }
svg.chart text.band-label { font-size: 10px; fill: #7a1a17; }
.muted { color: #5b6570; } .small { font-size: 12px; }
.multiples { display: grid; grid-template-columns: 1fr; gap: 6px; }
)css";
}

std::string PageStart(std::string_view title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n<title>";
  out += HtmlEscape(title);
  out += "</title>\n<style>";
  out += ReportCss();
  out += "</style>\n</head>\n<body>\n";
  return out;
}

std::string PageEnd() { return "</body>\n</html>\n"; }

}  // namespace faultline::reports
