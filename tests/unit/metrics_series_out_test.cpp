// `--out csv=FILE` / `--out ndjson=FILE`: one row per interval with every series field, the
// percentiles of the interval, the phase and the group; CSV quoting; NDJSON that parses; the
// option's parsing on `run` and `report merge`.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/args.hpp"
#include "cli/cmd_report.hpp"
#include "metrics/report_series_out.hpp"

namespace fleetload::metrics {
namespace {

RunReport two_intervals() {
  RunReport r;
  PhaseReport ramp;
  ramp.name = "ramp, \"fast\"";  // a name that needs CSV quoting
  ramp.start_s = 0;
  ramp.end_s = 1.5;
  PhaseReport hold;
  hold.name = "hold";
  hold.start_s = 1.5;
  hold.end_s = 2.5;
  r.phases = {ramp, hold};
  SeriesPoint a;
  a.t_s = 1.0;
  a.connected = 10;
  a.connects_per_s = 10.5;
  a.drops_per_s = 0.25;
  a.backing_off = 3;
  a.bytes_sent_per_s = 2048;
  a.cpu_cores = 0.125;
  a.rss_bytes = 12345678;
  device::HistogramSnapshot h;
  h.record(2'000'000, 100);  // 2 ms
  a.ack_latency = SparseHistogram::of(h);
  SeriesPoint b = a;
  b.t_s = 2.0;
  b.ack_latency = {};  // no acks: empty percentile cells
  SeriesPoint c = a;
  c.t_s = 3.0;  // after the last phase: the stop
  r.series = {a, b, c};
  return r;
}

std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (ch == '"') quoted = false;
      else cur += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

TEST(SeriesOutput, CsvHasAHeaderAndOneRowPerIntervalWithEveryField) {
  const std::string csv = series_csv(two_intervals());
  std::istringstream in(csv);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty());
    ASSERT_EQ(line.back(), '\r');  // RFC 4180 line ends
    line.pop_back();
    rows.push_back(split_line(line));
  }
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], series_columns());
  auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < rows[0].size(); ++i)
      if (rows[0][i] == name) return i;
    ADD_FAILURE() << name;
    return std::size_t{0};
  };
  for (const auto& r : rows) ASSERT_EQ(r.size(), series_columns().size());
  EXPECT_EQ(rows[1][col("t_s")], "1");
  EXPECT_EQ(rows[1][col("group")], "all");
  EXPECT_EQ(rows[1][col("phase")], "ramp, \"fast\"");
  EXPECT_EQ(rows[2][col("phase")], "hold");
  EXPECT_EQ(rows[3][col("phase")], "stopping");
  EXPECT_EQ(rows[1][col("connected")], "10");
  EXPECT_EQ(rows[1][col("connects_per_s")], "10.5");
  EXPECT_EQ(rows[1][col("drops_per_s")], "0.25");
  EXPECT_EQ(rows[1][col("backing_off")], "3");
  EXPECT_EQ(rows[1][col("bytes_sent_per_s")], "2048");
  EXPECT_EQ(rows[1][col("cpu_cores")], "0.125");
  EXPECT_EQ(rows[1][col("rss_bytes")], "12345678");
  EXPECT_EQ(rows[1][col("ack_count")], "100");
  EXPECT_NEAR(std::stod(rows[1][col("ack_p99_ms")]), 2.0, 0.02);
  EXPECT_EQ(rows[2][col("ack_count")], "0");
  EXPECT_EQ(rows[2][col("ack_p99_ms")], "");  // no samples: empty, not 0
  for (const char* c : {"t_s", "group", "phase", "connect_failures_per_s", "reconnects_per_s", "publishes_per_s",
                        "publishes_requested_per_s", "receives_per_s", "bytes_received_per_s", "in_flight",
                        "e2e_p50_ms", "e2e_p99_ms", "connect_p50_ms", "connect_p99_ms", "ack_p50_ms"})
    EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), c), rows[0].end()) << c;
  EXPECT_EQ(rows[0][0], "t_s");
  EXPECT_EQ(rows[0][1], "group");
}

TEST(SeriesOutput, NdjsonIsOneObjectPerLineWithNullForEmptyIntervals) {
  const std::string nd = series_ndjson(two_intervals());
  std::istringstream in(nd);
  std::string line;
  std::vector<boost::json::value> rows;
  while (std::getline(in, line)) rows.push_back(boost::json::parse(line));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].as_object().size(), series_columns().size());
  EXPECT_EQ(rows[0].at("phase").as_string(), "ramp, \"fast\"");
  EXPECT_DOUBLE_EQ(rows[0].at("connects_per_s").to_number<double>(), 10.5);
  EXPECT_EQ(rows[0].at("rss_bytes").to_number<std::uint64_t>(), 12345678u);
  EXPECT_TRUE(rows[1].at("ack_p99_ms").is_null());
  // Plain numbers, as in the CSV: no "1.05E1".
  EXPECT_EQ(nd.find("E1"), std::string::npos) << nd;
}

TEST(SeriesOutput, ParsesFormatEqualsFileAndWritesIt) {
  ASSERT_TRUE(parse_series_output("csv=a/b.csv"));
  EXPECT_EQ(parse_series_output("csv=a/b.csv")->format, SeriesFormat::Csv);
  EXPECT_EQ(parse_series_output("ndjson=x")->path, "x");
  EXPECT_FALSE(parse_series_output("csv="));
  EXPECT_FALSE(parse_series_output("xml=a"));
  EXPECT_FALSE(parse_series_output("report.json"));
  const auto dir = std::filesystem::temp_directory_path() / ("fleetload-series-" + std::to_string(::getpid()));
  write_series(two_intervals(), {SeriesFormat::Csv, dir / "sub" / "s.csv"});
  std::ifstream f(dir / "sub" / "s.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), series_csv(two_intervals()));
  EXPECT_THROW(write_series(two_intervals(), {SeriesFormat::Csv, "/proc/no/such/s.csv"}), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(SeriesOutput, RunAndReportMergeTakeOutFormatEqualsFile) {
  const auto c = cli::parse_args({"fleetload", "run", "s.yaml", "--out", "csv=a.csv", "--out=ndjson=b.ndjson"});
  EXPECT_EQ(c.outputs, (std::vector<std::string>{"csv=a.csv", "ndjson=b.ndjson"}));
  EXPECT_THROW(cli::parse_args({"fleetload", "run", "s.yaml", "--out", "xml=a"}), cli::ArgError);
  EXPECT_THROW(cli::parse_args({"fleetload", "run", "s.yaml", "--out", "csv="}), cli::ArgError);
  EXPECT_THROW(cli::parse_args({"fleetload", "validate", "s.yaml", "--out", "csv=a"}), cli::ArgError);
  // report merge: FORMAT=FILE adds a series output; any other --out names the merged report.
  const auto m = cli::parse_report_args({"merge", "a.json", "--out", "csv=m.csv", "--out", "fleet/"});
  EXPECT_EQ(m.series, (std::vector<std::string>{"csv=m.csv"}));
  EXPECT_EQ(m.out, "fleet/");
}

}  // namespace
}  // namespace fleetload::metrics
