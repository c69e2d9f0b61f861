// Numbers for people: the shapes the issue named as unreadable never come out, and each
// unit picks the magnitude that reads best.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "metrics/format.hpp"

namespace fleetload::metrics::human {
namespace {

TEST(HumanFormat, CountsGetThousandsSeparators) {
  EXPECT_EQ(count(std::uint64_t{0}), "0");
  EXPECT_EQ(count(std::uint64_t{999}), "999");
  EXPECT_EQ(count(std::uint64_t{1000}), "1,000");
  EXPECT_EQ(count(std::uint64_t{1234567}), "1,234,567");
  EXPECT_EQ(count(std::int64_t{-1234}), "-1,234");
  EXPECT_EQ(count(std::numeric_limits<std::uint64_t>::max()), "18,446,744,073,709,551,615");
}

TEST(HumanFormat, NumbersKeepThreeSignificantDigitsAndNeverUseExponents) {
  EXPECT_EQ(number(33.333333333333336), "33.3");
  EXPECT_EQ(number(2.0), "2");
  EXPECT_EQ(number(1.5), "1.5");
  EXPECT_EQ(number(1234.6), "1,235");
  EXPECT_EQ(number(0.00012345), "0.000123");
  EXPECT_EQ(number(-0.5), "-0.5");
  EXPECT_EQ(number(1e12), "1,000,000,000,000");
  EXPECT_EQ(number(0.0), "0");
  EXPECT_EQ(number(std::nan("")), "-");
  for (double v : {1e-7, 3e-5, 7.126e-4, 1e20, 123456789.123}) {
    const std::string s = number(v);
    EXPECT_EQ(s.find('e'), std::string::npos) << v << " -> " << s;
  }
}

TEST(HumanFormat, RatesAreShortWithTheirUnit) {
  EXPECT_EQ(rate(33.333333333333336), "33.3/s");  // the example
  EXPECT_EQ(rate(12000), "12,000/s");
  EXPECT_EQ(rate(0), "0/s");
  EXPECT_EQ(rate(0.25), "0.25/s");
}

TEST(HumanFormat, CompactFitsInFiveCharacters) {
  EXPECT_EQ(compact(999), "999");
  EXPECT_EQ(compact(1234), "1.23k");
  EXPECT_EQ(compact(45678), "45.7k");
  EXPECT_EQ(compact(999999), "1M");
  EXPECT_EQ(compact(1.2e6), "1.2M");
  EXPECT_EQ(compact(12.345), "12.3");
  for (double v = 1; v < 1e15; v *= 3.7) EXPECT_LE(compact(v).size(), 5u) << v << " -> " << compact(v);
}

TEST(HumanFormat, DurationsPickTheirUnit) {
  EXPECT_EQ(duration(1.5), "1.5 s");  // not "1s500ms"
  EXPECT_EQ(duration(0.0123), "12.3 ms");
  EXPECT_EQ(duration(0.00042), "420 µs");
  EXPECT_EQ(duration(8e-7), "800 ns");
  EXPECT_EQ(duration(0.9996), "1 s");  // rounds into the next unit, never "1,000 ms"
  EXPECT_EQ(duration(59.96), "1 min 00 s");
  EXPECT_EQ(duration(125), "2 min 05 s");
  EXPECT_EQ(duration(3720), "1 h 02 min");
  EXPECT_EQ(duration(0), "0 s");
  EXPECT_EQ(duration_ms(0), "0 ms");
  EXPECT_EQ(duration_ms(250), "250 ms");
  EXPECT_EQ(duration_ms(1500), "1.5 s");
  EXPECT_EQ(duration_ms(0.2564), "256 µs");
}

TEST(HumanFormat, BytesUseBinaryUnits) {
  EXPECT_EQ(bytes(512), "512 B");
  EXPECT_EQ(bytes(1536), "1.5 KiB");
  EXPECT_EQ(bytes(3.3e6), "3.15 MiB");
  EXPECT_EQ(bytes(1023.9), "1 KiB");
  EXPECT_EQ(bytes(123456789012.0), "115 GiB");
  EXPECT_EQ(bytes_per_s(2048), "2 KiB/s");
}

TEST(HumanFormat, PercentagesAreReadableAtBothEnds) {
  EXPECT_EQ(percent(0.0007126), "<0.001%");  // the example
  EXPECT_EQ(percent(12.345), "12.3%");
  EXPECT_EQ(percent(0.012345), "0.012%");
  EXPECT_EQ(percent(0), "0%");
  EXPECT_EQ(percent(100), "100%");
  EXPECT_EQ(percent(99.5), "99.5%");
  EXPECT_EQ(percent(99.95), "99.95%");  // never "100%" for a share short of 100
  EXPECT_EQ(percent(99.99996), ">99.999%");
  EXPECT_EQ(ratio_percent(0.999), "99.9%");
  EXPECT_EQ(signed_percent(1.234), "+1.23%");
  EXPECT_EQ(signed_percent(-0.5), "-0.5%");
  EXPECT_EQ(signed_percent(0), "0%");
  EXPECT_EQ(signed_percent(-0.0004), "~0%");
}

TEST(HumanFormat, UnitsOfTheReportModelDispatch) {
  EXPECT_EQ(in_unit(0.25, "seconds"), "250 ms");
  EXPECT_EQ(in_unit(0.99, "ratio"), "99%");
  EXPECT_EQ(in_unit(3, "count"), "3");
  EXPECT_EQ(in_unit(12345, "count"), "12,345");
  EXPECT_EQ(in_unit(1536, "bytes"), "1.5 KiB");
}

TEST(HumanFormat, ColumnsCountCodePointsNotBytes) {
  EXPECT_EQ(columns("420 µs"), 6u);
  EXPECT_EQ(columns(""), 0u);
}

}  // namespace
}  // namespace fleetload::metrics::human
