// Unit tests for human units (durations, rates, sizes, percentages) and templates.
#include <gtest/gtest.h>

#include <array>

#include "scenario/template.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario {
namespace {

using std::chrono::milliseconds;

TEST(ScenarioUnits, DurationsAcceptEveryUnitAndBareSeconds) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(parse_duration("3m30s500ms"), milliseconds(210'500));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("12"), milliseconds(12'000));
  EXPECT_EQ(parse_duration("0.25"), milliseconds(250));
  EXPECT_EQ(parse_duration(" 0 "), milliseconds(0));
}

TEST(ScenarioUnits, DurationsRejectNonsense) {
  for (auto bad : {"", "fast", "-1s", "10x", "s", "1.", ".5s", "1.0001s", "10 s", "1e3"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(ScenarioUnits, RatesArePerSecond) {
  EXPECT_DOUBLE_EQ(*parse_rate("2000/s"), 2000.0);
  EXPECT_DOUBLE_EQ(*parse_rate("10/m"), 10.0 / 60.0);
  EXPECT_DOUBLE_EQ(*parse_rate("3600/h"), 1.0);
  EXPECT_DOUBLE_EQ(*parse_rate("0.5/s"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_rate("7"), 7.0);
  EXPECT_DOUBLE_EQ(*parse_rate("30 / min"), 0.5);
  for (auto bad : {"fast", "10/d", "/s", "10/", "-1/s", "1/s/s"}) {
    EXPECT_FALSE(parse_rate(bad).has_value()) << bad;
  }
}

TEST(ScenarioUnits, SizesUseBinaryAndDecimalPrefixes) {
  EXPECT_EQ(parse_size("64"), 64u);
  EXPECT_EQ(parse_size("64B"), 64u);
  EXPECT_EQ(parse_size("1KiB"), 1024u);
  EXPECT_EQ(parse_size("1.5KiB"), 1536u);
  EXPECT_EQ(parse_size("1MiB"), 1048576u);
  EXPECT_EQ(parse_size("1KB"), 1000u);
  EXPECT_EQ(parse_size("2MB"), 2'000'000u);
  for (auto bad : {"big", "1KIB", "1.1B", "1 TB", "-1"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(ScenarioUnits, PercentagesAndRatios) {
  EXPECT_DOUBLE_EQ(*parse_percent("1%"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_percent("99.9%"), 0.999);
  EXPECT_FALSE(parse_percent("0.5").has_value());
  EXPECT_DOUBLE_EQ(*parse_ratio("0.999"), 0.999);
  EXPECT_DOUBLE_EQ(*parse_ratio("100%"), 1.0);
  EXPECT_FALSE(parse_ratio("101%").has_value());
  EXPECT_FALSE(parse_ratio("2").has_value());
  EXPECT_DOUBLE_EQ(*parse_share_rate("1%/s"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_share_rate("30%/m"), 0.005);
  EXPECT_FALSE(parse_share_rate("1%").has_value());
  EXPECT_FALSE(parse_share_rate("1/s").has_value());
}

TEST(ScenarioUnits, BooleansAndIntegers) {
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("False"), false);
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_FALSE(parse_bool("1").has_value());
  EXPECT_EQ(parse_uint("18446744073709551615"), 18446744073709551615ULL);
  EXPECT_FALSE(parse_uint("18446744073709551616").has_value());
  EXPECT_FALSE(parse_uint("-3").has_value());
  EXPECT_FALSE(parse_uint("3.0").has_value());
}

TEST(ScenarioUnits, FormattersRoundTrip) {
  for (long long ms : {0LL, 250LL, 1000LL, 30'000LL, 60'000LL, 90'000LL, 210'500LL, 3'600'000LL,
                       5'400'000LL, 86'400'001LL}) {
    auto text = format_duration(milliseconds(ms));
    EXPECT_EQ(parse_duration(text), milliseconds(ms)) << text;
  }
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(30'000)), "30s");
  EXPECT_EQ(format_duration(milliseconds(300'000)), "5m");
  EXPECT_EQ(format_duration(milliseconds(210'500)), "3m30s500ms");
  for (double r : {2000.0, 10.0 / 60.0, 1.0 / 3600.0, 0.5, 1.0 / 7.0, 123456.0}) {
    auto text = format_rate(r);
    EXPECT_DOUBLE_EQ(*parse_rate(text), r) << text;
  }
  EXPECT_EQ(format_rate(10.0 / 60.0), "10/m");
  EXPECT_EQ(format_size(1024), "1KiB");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_percent(0.999), "99.9%");
  EXPECT_EQ(format_number(1e7), "10000000");
}

constexpr std::array kAll{Placeholder::Index, Placeholder::Shard, Placeholder::ClientId,
                          Placeholder::Seq, Placeholder::Timestamp};

TEST(ScenarioTemplate, RendersEveryPlaceholder) {
  TemplateVars v;
  v.index = 42;
  v.shard = 3;
  v.client_id = "dev-42";
  v.seq = 7;
  v.timestamp_ms = 1700000000123;
  EXPECT_EQ(render_template("t/{shard}/{index}/{client_id}/{seq}@{timestamp}", v),
            "t/3/42/dev-42/7@1700000000123");
  v.index_width = 6;
  EXPECT_EQ(render_template("dev-{index}", v), "dev-000042");
  EXPECT_EQ(render_template("{{index}} {index}}", v), "{index} 000042}");
  EXPECT_EQ(render_template(R"({"seq":{seq},"a":{"b":[{}]}})", v), R"({"seq":7,"a":{"b":[{}]}})");
  EXPECT_EQ(render_template("{index", v), "{index");
}

TEST(ScenarioTemplate, RenderAppendsWithoutClearing) {
  std::string out = "x:";
  TemplateVars v;
  v.index = 5;
  render_template_to(out, "{index}", v);
  EXPECT_EQ(out, "x:5");
}

TEST(ScenarioTemplate, SplitGivesTheSamePiecesTheRendererUses) {
  const std::string_view tpl = R"(a{{index}}b{index}{"x":{seq}}{nope})";
  auto pieces = split_template(tpl);
  ASSERT_EQ(pieces.size(), 7u);
  EXPECT_EQ(pieces[0].text, "a");
  EXPECT_EQ(pieces[1].text, "{index}");  // the "{{index}}" escape
  EXPECT_EQ(pieces[2].text, "b");
  EXPECT_EQ(pieces[3].placeholder, Placeholder::Index);
  EXPECT_EQ(pieces[4].text, R"({"x":)");
  EXPECT_EQ(pieces[5].placeholder, Placeholder::Seq);
  EXPECT_EQ(pieces[6].text, "}{nope}");
  // Rendering piece by piece equals render_template.
  TemplateVars v;
  v.index = 3;
  v.seq = 9;
  std::string joined;
  for (const auto& p : pieces) {
    if (!p.placeholder) joined += p.text;
    else joined += render_template(to_string(*p.placeholder), v);
  }
  EXPECT_EQ(joined, render_template(tpl, v));
  EXPECT_EQ(joined, R"(a{index}b3{"x":9}{nope})");
}

TEST(ScenarioTemplate, CheckNamesUnknownAndDisallowedPlaceholders) {
  constexpr std::array ids{Placeholder::Index, Placeholder::Shard};
  EXPECT_FALSE(check_template("dev-{shard}-{index}", ids).has_value());
  EXPECT_EQ(check_template("dev-{idx}", ids).value_or(""),
            "unknown placeholder {idx}; allowed here: {index} {shard}");
  EXPECT_EQ(check_template("dev-{seq}", ids).value_or(""),
            "unknown placeholder {seq}; allowed here: {index} {shard}");
  EXPECT_EQ(check_template(R"({"k":{clientid}})", kAll).value_or(""),
            "unknown placeholder {clientid}; allowed here: {index} {shard} {client_id} {seq} "
            "{timestamp}");
  EXPECT_FALSE(check_template(R"({"k": {}, "s": "{ x }", "i": {{idx}}})", kAll).has_value());
  EXPECT_TRUE(template_uses("a/{client_id}", Placeholder::ClientId));
  EXPECT_FALSE(template_uses("a/{{client_id}}", Placeholder::ClientId));
}

}  // namespace
}  // namespace fleetload::scenario
