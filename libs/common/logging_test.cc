#include "libs/common/logging.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

using ::testing::HasSubstr;

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogService("test-service");
    SetMinLogLevel(LogLevel::kDebug);
    SetLogSink([this](absl::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    ResetLogSink();
    SetMinLogLevel(LogLevel::kInfo);
  }
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesOneJsonObjectPerLineWithStandardKeys) {
  LogInfo("bundle reconciled", {{"bundle", "web"}, {"namespace", "prod"}, {"attempt", 3}});
  ASSERT_EQ(lines_.size(), 1u);
  const nlohmann::json parsed = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["service"], "test-service");
  EXPECT_EQ(parsed["msg"], "bundle reconciled");
  EXPECT_EQ(parsed["bundle"], "web");
  EXPECT_EQ(parsed["namespace"], "prod");
  EXPECT_EQ(parsed["attempt"], 3);
  EXPECT_TRUE(parsed.contains("ts"));
}

struct EscapeCase {
  std::string name;
  std::string message;
};

class LoggingEscapeTest : public LoggingTest,
                          public ::testing::WithParamInterface<EscapeCase> {};

TEST_P(LoggingEscapeTest, HostileTextStaysOnOneParsableLine) {
  const std::string& text = GetParam().message;
  LogWarning(text, {{"detail", text}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  const nlohmann::json parsed = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(parsed["msg"].get<std::string>().size() > 0, !text.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Escaping, LoggingEscapeTest,
    ::testing::Values(EscapeCase{"newline", "first\nsecond\r\nthird"},
                      EscapeCase{"quotes", "he said \"hi\" and left\\"},
                      EscapeCase{"control", std::string("bell\a nul\0 esc\x1b", 15)},
                      EscapeCase{"json_injection", "\",\"level\":\"error\",\"x\":\""},
                      EscapeCase{"invalid_utf8", "bad \xff\xfe bytes"},
                      EscapeCase{"unicode", "werf \xe2\x9c\x93 ok"}),
    [](const auto& info) { return info.param.name; });

TEST_F(LoggingTest, InjectedLevelDoesNotOverrideRealLevel) {
  LogInfo("x", {{"level", "error"}});
  const nlohmann::json parsed = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["field.level"], "error");
}

TEST_F(LoggingTest, RecordsBelowMinimumLevelAreDropped) {
  SetMinLogLevel(LogLevel::kWarning);
  LogDebug("quiet");
  LogInfo("quiet too");
  LogError("loud");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr("\"loud\""));
}

TEST(ParseLogLevelTest, AcceptsKnownNamesAndQuotesUnknown) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  const auto bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("\"verbose\""));
}

}  // namespace
}  // namespace werf::common
