#pragma once

#include <optional>
#include <string>
#include <vector>

namespace faultline::reports {

// Server-side SVG charts that share one time axis (seconds since the run started), so that
// every chart of a report, and every small multiple of a comparison, lines up. Each chart is
// a self-contained <svg class="chart" data-chart=ID> with <title> hover text; every label
// passes through HtmlEscape. Pure functions; thread-safe.

// Maps seconds to x pixels; the plot area is [left, width - right].
struct TimeAxis {
  double end_s = 1;
  int width = 960;
  int left = 96;
  int right = 16;
  double X(double s) const;
};

// A shaded span: a fault, a failover, a stall.
struct Band {
  double begin_s = 0;
  double end_s = 0;
  std::string css;    // fault-band, failover-band, stall-band, ...
  std::string label;  // drawn inside the band when it fits; may be empty
  std::string title;  // hover text
};

// A vertical mark: a checkpoint completion or abort.
struct Tick {
  double t_s = 0;
  std::string css;  // checkpoint-completed, checkpoint-aborted
  std::string title;
};

// A line over the time axis; a missing y breaks the line.
struct Series {
  std::string name;  // legend
  std::string css;   // s-input, s-output, s-p50, s-p99
  std::vector<double> xs;
  std::vector<std::optional<double>> ys;
};

struct LineChartSpec {
  std::string id;     // data-chart attribute
  std::string title;  // drawn top-left
  std::string unit;   // y axis unit, e.g. "records/s"
  int height = 200;
  std::vector<Series> series;
  std::vector<Band> shade;  // drawn behind the lines, without labels
};
std::string LineChart(const TimeAxis& axis, const LineChartSpec& spec);

// One row of a lane chart: bands and ticks under a label.
struct Lane {
  std::string label;
  std::vector<Band> bands;
  std::vector<Tick> ticks;
};
std::string LaneChart(const TimeAxis& axis, const std::string& id, const std::string& title,
                      const std::vector<Lane>& lanes);

}  // namespace faultline::reports
