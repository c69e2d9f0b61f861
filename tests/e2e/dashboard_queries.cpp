// The dashboard's queries, by row, with the template variables substituted.
#include "e2e/dashboard_queries.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

namespace fleetload::e2e {

std::vector<DashboardQuery> dashboard_queries(const std::filesystem::path& dashboard) {
  std::ifstream in(dashboard);
  std::stringstream text;
  text << in.rdbuf();
  const auto d = boost::json::parse(text.str());
  std::vector<DashboardQuery> out;
  std::string row;
  for (const auto& p : d.at("panels").as_array()) {
    if (p.at("type").as_string() == "row") {
      row = p.at("title").as_string().c_str();
      continue;
    }
    for (const auto& t : p.at("targets").as_array())
      out.push_back({row, t.at("expr").as_string().c_str(), p.at("title").as_string().c_str(),
                     t.at("legendFormat").as_string().c_str()});
  }
  for (const auto& a : d.at("annotations").at("list").as_array())
    if (const auto* e = a.as_object().if_contains("expr")) out.push_back({"annotations", e->as_string().c_str(), "", ""});
  return out;
}

bool is_feature_row(const std::string& row) { return row == "Capacity search" || row.rfind("AWS IoT", 0) == 0; }

std::string substitute_variables(std::string e, const std::string& scenario, const std::string& protocol,
                                 const std::string& auth_mode) {
  e = std::regex_replace(e, std::regex(R"(\$__rate_interval)"), "30s");
  e = std::regex_replace(e, std::regex(R"(\$scenario)"), scenario);
  e = std::regex_replace(e, std::regex(R"(\$shard)"), "0");
  e = std::regex_replace(e, std::regex(R"(\$protocol)"), protocol);
  e = std::regex_replace(e, std::regex(R"(\$auth_mode)"), auth_mode);
  e = std::regex_replace(e, std::regex(R"(\$group)"), ".*");
  return e;
}

}  // namespace fleetload::e2e
