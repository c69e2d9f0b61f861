// What the HTML report's charts show: the time series, phases and the reconnect-delay
// comparison as one JSON document that the inlined chart script (report_charts.js) draws
// with uPlot. Kept apart from the page so tests can check the figures without a browser.
#pragma once

#include <string>
#include <vector>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// One chart of the report: its element id, title and the unit its values are in ("count",
// "per_s", "bytes_per_s", "ms", "cores", "share", "bytes").
struct ChartInfo {
  const char* id;
  const char* title;
};

// Every chart the report draws, in page order (the time charts, then the reconnect-delay
// chart). Each has a <div id=...> in the page whether or not the run had data for it.
const std::vector<ChartInfo>& report_charts();

// The charts' data as JSON text, safe to inline in a <script type="application/json">
// element ('<', '>' and '&' are escaped as \u003c, \u003e, \u0026). Shape:
//   {"t": [seconds...], "phases": [{name, type, start, end}],
//    "charts": [{id, title, note, unit, log, right_unit, series: [{label, color, dash, right,
//                values: [number|null...]}]}],
//    "delays": {id, title, note, x: [seconds], series: [...]}}
// A null value is a gap (an interval without samples for a latency).
std::string chart_data_json(const RunReport& report);

}  // namespace fleetload::metrics
