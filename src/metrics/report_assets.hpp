// The HTML report's inlined assets, embedded into the binary at build time from
// third_party/uplot/ and src/metrics/report_charts.js (src/metrics/embed_assets.cmake).
#pragma once

#include <string_view>

namespace fleetload::metrics::assets {

std::string_view uplot_js();       // uPlot's minified IIFE build (defines window.uPlot)
std::string_view uplot_css();      // uPlot's stylesheet
std::string_view uplot_license();  // uPlot's MIT licence text
std::string_view charts_js();      // our chart code: reads the report's data, draws with uPlot

}  // namespace fleetload::metrics::assets
