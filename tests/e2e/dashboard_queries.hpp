// The Grafana dashboard's queries as the e2e tests evaluate them against a real Prometheus:
// every PromQL expression of dashboards/fleetload-capacity.json with the row it sits in, and
// the template variables replaced as a user picks them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fleetload::e2e {

struct DashboardQuery {
  std::string row;     // the title of the row the panel sits in; "annotations" for those
  std::string expr;    // as written, with $variables
  std::string panel;   // the panel's title; empty for annotations
  std::string legend;  // the target's legendFormat ("{{result}}", "started"); empty for annotations
};

// Every panel target's and annotation's expression, in the file's order.
std::vector<DashboardQuery> dashboard_queries(const std::filesystem::path& dashboard);

// The rows that show what only some runs do (a capacity search, the AWS IoT behaviours):
// evaluated against a run that does it (metrics_rows_e2e_test.cpp), not the plain one.
bool is_feature_row(const std::string& row);

// `expr` with $__rate_interval = 30s, $scenario, $shard = 0, $protocol, $auth_mode and
// $group = .* ("All").
std::string substitute_variables(std::string expr, const std::string& scenario, const std::string& protocol,
                                 const std::string& auth_mode);

}  // namespace fleetload::e2e
