#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::reports {

// The one escaping function for every string that reaches a report from a history, a
// results.json, a scenario or a log: `&`, `<`, `>`, `"` and `'` become entities, so the result
// is safe as HTML text, inside a quoted attribute and inside inline SVG. Pure; thread-safe.
std::string HtmlEscape(std::string_view text);

// A relative URL path for a file name taken from the store (a node id): every byte outside
// [A-Za-z0-9._~/-] is percent-encoded, so it is also safe inside a quoted attribute.
std::string UrlPathEscape(std::string_view path);

// A duration in nanoseconds for people: "850 µs", "12.3 ms", "4.20 s"; "–" when absent.
std::string FormatNs(std::optional<double> ns);
// A number with a fixed count of decimals, "–" when absent.
std::string FormatNumber(std::optional<double> value, int decimals);

// The style sheet shared by every report (inline: reports open from disk with no network).
std::string_view ReportCss();

// "<!DOCTYPE html>...<body>": a complete head with `title` (escaped here) and the style sheet.
std::string PageStart(std::string_view title);
std::string PageEnd();

}  // namespace faultline::reports
