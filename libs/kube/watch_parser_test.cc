#include "libs/kube/watch_parser.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::SizeIs;

// A watch on WerfBundles as kube-apiserver writes it, by hand: one event per
// line, then a 410 once the resourceVersion has been compacted. Varied on
// purpose: a "\r\n" ending, a blank line, a multi-byte UTF-8 character and
// braces, quotes and newlines inside strings, so that some split points fall
// inside each of them.
constexpr absl::string_view kRecordedStream =
    R"json({"type":"ADDED","object":{"apiVersion":"werf.io/v1alpha1","kind":"WerfBundle","metadata":{"name":"shop","namespace":"prod","resourceVersion":"1001","uid":"6f1c3a52-8e1b-4c8e-9a55-0d1f5b2c7e10","generation":1},"spec":{"registry":{"url":"registry.example.com/shop","versionConstraint":"^1.2"}}}})json"
    "\n"
    R"json({"type":"MODIFIED","object":{"apiVersion":"werf.io/v1alpha1","kind":"WerfBundle","metadata":{"name":"shop","namespace":"prod","resourceVersion":"1002","generation":1},"status":{"phase":"Failed","lastErrorMessage":"werf: \"values.yaml\" {line 3}:\n  café ✓ unknown key","observedGeneration":1}}})json"
    "\r\n"
    "\n"
    R"json({"type":"BOOKMARK","object":{"apiVersion":"werf.io/v1alpha1","kind":"WerfBundle","metadata":{"resourceVersion":"1003","annotations":{"k8s.io/initial-events-end":"true"}}}})json"
    "\n"
    R"json({"type":"DELETED","object":{"apiVersion":"werf.io/v1alpha1","kind":"WerfBundle","metadata":{"name":"shop","namespace":"prod","resourceVersion":"1004"}}})json"
    "\n"
    R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1001 (1004)","reason":"Expired","code":410}})json"
    "\n";

struct Outcome {
  // "TYPE <object as JSON>", so that failures print readably.
  std::vector<std::string> events;
  absl::Status status;
};

std::string Describe(const WatchEvent& event) {
  return absl::StrCat(WatchEventTypeName(event.type), " ", event.object.dump());
}

// Feeds `chunks` in order, then finishes the stream.
Outcome ParseChunks(
    const std::vector<absl::string_view>& chunks,
    size_t max_line_bytes = WatchStreamParser::kDefaultMaxLineBytes) {
  WatchStreamParser parser(max_line_bytes);
  Outcome outcome;
  auto collect = [&](WatchEvent event) {
    outcome.events.push_back(Describe(event));
  };
  for (absl::string_view chunk : chunks) {
    outcome.status = parser.Feed(chunk, collect);
    if (!outcome.status.ok()) return outcome;
  }
  outcome.status = parser.Finish(collect);
  return outcome;
}

Outcome Parse(absl::string_view stream,
              size_t max_line_bytes = WatchStreamParser::kDefaultMaxLineBytes) {
  return ParseChunks({stream}, max_line_bytes);
}

std::vector<WatchEvent> ParseEvents(absl::string_view stream) {
  WatchStreamParser parser;
  std::vector<WatchEvent> events;
  auto collect = [&](WatchEvent event) { events.push_back(std::move(event)); };
  EXPECT_TRUE(parser.Feed(stream, collect).ok());
  EXPECT_TRUE(parser.Finish(collect).ok());
  return events;
}

TEST(WatchStreamParserTest, ParsesRecordedStream) {
  std::vector<WatchEvent> events = ParseEvents(kRecordedStream);
  ASSERT_THAT(events, SizeIs(5));

  EXPECT_EQ(events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(events[0].object["metadata"]["name"], "shop");
  EXPECT_THAT(events[0].ResourceVersion(), Optional(std::string("1001")));

  EXPECT_EQ(events[1].type, WatchEventType::kModified);
  EXPECT_EQ(events[1].object["status"]["lastErrorMessage"],
            "werf: \"values.yaml\" {line 3}:\n  café ✓ unknown key");
  EXPECT_THAT(events[1].ResourceVersion(), Optional(std::string("1002")));

  EXPECT_EQ(events[2].type, WatchEventType::kBookmark);
  EXPECT_THAT(events[2].ResourceVersion(), Optional(std::string("1003")));
  EXPECT_EQ(events[2].AsStatus(), std::nullopt);

  EXPECT_EQ(events[3].type, WatchEventType::kDeleted);
  EXPECT_THAT(events[3].ResourceVersion(), Optional(std::string("1004")));

  EXPECT_EQ(events[4].type, WatchEventType::kError);
  std::optional<KubeStatus> status = events[4].AsStatus();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 410);
  EXPECT_EQ(status->reason, "Expired");
  EXPECT_EQ(status->message, "too old resource version: 1001 (1004)");
  EXPECT_TRUE(status->IsExpired());
  EXPECT_EQ(events[4].ResourceVersion(), std::nullopt);
}

TEST(WatchStreamParserTest, EverySplitPointGivesTheSameEvents) {
  const Outcome whole = Parse(kRecordedStream);
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  ASSERT_THAT(whole.events, SizeIs(5));
  for (size_t split = 0; split <= kRecordedStream.size(); ++split) {
    const Outcome halves = ParseChunks(
        {kRecordedStream.substr(0, split), kRecordedStream.substr(split)});
    ASSERT_TRUE(halves.status.ok())
        << "split at " << split << ": " << halves.status;
    ASSERT_EQ(halves.events, whole.events) << "split at " << split;
  }
}

TEST(WatchStreamParserTest, ByteByByteGivesTheSameEvents) {
  std::vector<absl::string_view> bytes;
  for (size_t i = 0; i < kRecordedStream.size(); ++i) {
    bytes.push_back(kRecordedStream.substr(i, 1));
  }
  const Outcome whole = Parse(kRecordedStream);
  const Outcome byte_by_byte = ParseChunks(bytes);
  ASSERT_TRUE(byte_by_byte.status.ok()) << byte_by_byte.status;
  EXPECT_EQ(byte_by_byte.events, whole.events);
}

TEST(WatchStreamParserTest, HoldsBackOnlyTheIncompleteLine) {
  WatchStreamParser parser;
  int events = 0;
  auto count = [&](WatchEvent) { ++events; };
  const absl::string_view partial = R"({"type":"ADDED","obj)";
  ASSERT_TRUE(
      parser
          .Feed(absl::StrCat(R"({"type":"ADDED","object":{}})", "\n", partial),
                count)
          .ok());
  EXPECT_EQ(events, 1);
  EXPECT_EQ(parser.buffered_bytes(), partial.size());
  ASSERT_TRUE(parser.Feed("ect\":{}}\n", count).ok());
  EXPECT_EQ(events, 2);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(WatchStreamParserTest, FinishAcceptsLastEventWithoutNewline) {
  const Outcome outcome = Parse(R"({"type":"DELETED","object":{"a":1}})");
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_THAT(outcome.events, ElementsAre(R"(DELETED {"a":1})"));
}

TEST(WatchStreamParserTest, EmptyAndBlankStreamsHaveNoEvents) {
  for (absl::string_view stream : {"", "\n", "\r\n\r\n", "  \t \n\n"}) {
    const Outcome outcome = Parse(stream);
    EXPECT_TRUE(outcome.status.ok()) << outcome.status;
    EXPECT_THAT(outcome.events, IsEmpty());
  }
}

TEST(WatchStreamParserTest, RejectsMalformedInput) {
  const std::string added = R"({"type":"ADDED","object":{}})"
                            "\n";
  struct Case {
    std::string name;
    std::string stream;
    absl::StatusCode code;
    std::vector<std::string> message_parts;
    size_t events_before_error;
  };
  const std::vector<Case> cases = {
      {"not json",
       "hello\n",
       absl::StatusCode::kInvalidArgument,
       {"watch stream line 1", "invalid JSON at byte 1", "\"h\""},
       0},
      {"bad literal after a good line",
       added + R"({"type":"ADDED","object":{"ready":tru}})"
               "\n",
       absl::StatusCode::kInvalidArgument,
       {"line 2", "invalid JSON at byte 38", "invalid literal",
        R"("{\"type\":\"ADDED\",\"object\":{\"ready\":tru}")"},
       1},
      {"line numbers count blank lines",
       "\n\r\n  \n{oops}\n",
       absl::StatusCode::kInvalidArgument,
       {"line 4", "object key"},
       0},
      {"trailing garbage",
       R"({"type":"ADDED","object":{}} x)"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"invalid JSON", "end of input"},
       0},
      {"two objects on one line",
       R"({"type":"ADDED","object":{}}{"type":"ADDED","object":{}})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"invalid JSON at byte 29", "expected end of input"},
       0},
      {"invalid utf-8",
       "{\"type\":\"ADDED\",\"object\":{\"a\":\"\xff\"}}\n",
       absl::StatusCode::kInvalidArgument,
       {"invalid JSON", "UTF-8", "\\xff"},
       0},
      {"array",
       "[1,2]\n",
       absl::StatusCode::kInvalidArgument,
       {"expected a JSON object, got array"},
       0},
      {"no type",
       R"({"object":{}})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"no string field \"type\""},
       0},
      {"numeric type",
       R"({"type":3,"object":{}})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"no string field \"type\""},
       0},
      {"unknown type",
       R"({"type":"SYNC","object":{}})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"unknown event type \"SYNC\"", "expected ADDED"},
       0},
      {"lowercase type",
       R"({"type":"added","object":{}})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"unknown event type \"added\""},
       0},
      {"no object",
       R"({"type":"MODIFIED"})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"MODIFIED event's field \"object\" is missing"},
       0},
      {"object is an array",
       R"({"type":"ADDED","object":[]})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"field \"object\" is a JSON array instead of a JSON object"},
       0},
      {"object is null",
       R"({"type":"ERROR","object":null})"
       "\n",
       absl::StatusCode::kInvalidArgument,
       {"is a JSON null"},
       0},
      {"cut off mid-event",
       added + R"({"type":"ADDED","obj)",
       absl::StatusCode::kDataLoss,
       {"line 2", "ended in the middle of an event", "20 bytes"},
       1},
      {"cut off inside a string",
       added + R"({"type":"ADDED","object":{"a":"x)",
       absl::StatusCode::kDataLoss,
       {"ended in the middle of an event"},
       1},
      {"garbage without newline at the end",
       added + "xyz",
       absl::StatusCode::kInvalidArgument,
       {"line 2", "invalid JSON"},
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Outcome outcome = Parse(c.stream);
    EXPECT_EQ(outcome.status.code(), c.code) << outcome.status;
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(std::string(outcome.status.message()), HasSubstr(part));
    }
    EXPECT_THAT(outcome.events, SizeIs(c.events_before_error));
  }
}

TEST(WatchStreamParserTest, ErrorQuotesABoundedExcerptOnly) {
  const std::string secret(5000, 's');
  // The error comes after the secret: its excerpt ends at the bad byte.
  const Outcome syntax = Parse(absl::StrCat(
      R"({"type":"ADDED","object":{"data":")", secret, R"("},!})", "\n"));
  EXPECT_EQ(syntax.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(syntax.status.message().size(), 400u) << syntax.status;
  EXPECT_THAT(std::string(syntax.status.message()), HasSubstr("...\"sss"));
  // The error comes before it: the excerpt is the start of the line.
  const Outcome unknown = Parse(absl::StrCat(
      R"({"type":"SYNC","object":{"kind":"Secret","data":{"password":")",
      "hunter2", secret, R"("}}})", "\n"));
  EXPECT_EQ(unknown.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(unknown.status.message().size(), 400u) << unknown.status;
  EXPECT_THAT(std::string(unknown.status.message()), Not(HasSubstr("hunter2")));
}

TEST(WatchStreamParserTest, LineOverCapIsRefusedWithoutBuffering) {
  constexpr size_t kCap = 64;
  const std::string long_line(100, 'x');
  const std::string at_cap = absl::StrCat(R"({"type":"ADDED","object":{"a":")",
                                          std::string(30, 'y'), R"("}})");
  ASSERT_EQ(at_cap.size(), kCap);

  // A line of exactly the cap is fine; a byte more is not.
  EXPECT_TRUE(Parse(at_cap + "\n", kCap).status.ok());
  EXPECT_TRUE(Parse(at_cap, kCap).status.ok());

  // Refused the moment it is known to be too long, with or without its
  // newline, in one chunk or many, always with the same message.
  const Outcome with_newline = Parse(long_line + "\n", kCap);
  EXPECT_EQ(with_newline.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(with_newline.status.message()),
              AllOf(HasSubstr("line 1"), HasSubstr("limit of 64 bytes")));
  EXPECT_EQ(Parse(long_line, kCap).status, with_newline.status);
  std::vector<absl::string_view> pieces;
  for (size_t i = 0; i < long_line.size(); i += 7) {
    pieces.push_back(absl::string_view(long_line).substr(i, 7));
  }
  EXPECT_EQ(ParseChunks(pieces, kCap).status, with_newline.status);

  WatchStreamParser parser(kCap);
  auto ignore = [](WatchEvent) {};
  for (int i = 0; i < 1000; ++i) {
    if (!parser.Feed(std::string(10, 'z'), ignore).ok()) break;
    ASSERT_LE(parser.buffered_bytes(), kCap);
  }
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(WatchStreamParserTest, ErrorIsSticky) {
  WatchStreamParser parser;
  std::vector<std::string> events;
  auto collect = [&](WatchEvent event) { events.push_back(Describe(event)); };
  const absl::Status first = parser.Feed("{bad}\n", collect);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(parser.Feed(R"({"type":"ADDED","object":{}})"
                        "\n",
                        collect),
            first);
  EXPECT_EQ(parser.Finish(collect), first);
  EXPECT_THAT(events, IsEmpty());
}

TEST(WatchStreamParserTest, FeedAfterFinishIsAnError) {
  WatchStreamParser parser;
  auto ignore = [](WatchEvent) {};
  ASSERT_TRUE(parser.Finish(ignore).ok());
  EXPECT_EQ(parser.Feed("\n", ignore).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(WatchEventTest, AsStatusReadsCodeReasonAndMessage) {
  struct Case {
    std::string name;
    std::string object;
    int code;
    std::string reason;
    bool expired;
  };
  const std::vector<Case> cases = {
      {"expired", R"({"kind":"Status","code":410,"reason":"Expired"})", 410,
       "Expired", true},
      {"gone without code", R"({"kind":"Status","reason":"Gone"})", 0, "Gone",
       true},
      {"410 without reason", R"({"kind":"Status","code":410})", 410, "", true},
      {"internal error",
       R"({"kind":"Status","code":500,"reason":"InternalError"})", 500,
       "InternalError", false},
      {"code of the wrong type", R"({"code":"410","reason":7})", 0, "", false},
      {"code out of range", R"({"code":99999999999})", 0, "", false},
      {"negative code", R"({"code":-1})", 0, "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WatchEvent event{WatchEventType::kError, nlohmann::json::parse(c.object)};
    std::optional<KubeStatus> status = event.AsStatus();
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->code, c.code);
    EXPECT_EQ(status->reason, c.reason);
    EXPECT_EQ(status->IsExpired(), c.expired);
  }
  WatchEvent added{WatchEventType::kAdded,
                   nlohmann::json::parse(R"({"code":410})")};
  EXPECT_EQ(added.AsStatus(), std::nullopt);
}

TEST(WatchEventTest, ResourceVersionNeedsAStringInMetadata) {
  EXPECT_EQ(WatchEvent({WatchEventType::kBookmark,
                        nlohmann::json::parse(R"({"metadata":{}})")})
                .ResourceVersion(),
            std::nullopt);
  EXPECT_EQ(WatchEvent({WatchEventType::kBookmark,
                        nlohmann::json::parse(
                            R"({"metadata":{"resourceVersion":12}})")})
                .ResourceVersion(),
            std::nullopt);
  EXPECT_EQ(WatchEvent({WatchEventType::kBookmark,
                        nlohmann::json::parse(R"({"metadata":"x"})")})
                .ResourceVersion(),
            std::nullopt);
}

TEST(WatchEventTypeTest, NamesMatchTheWire) {
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kAdded), "ADDED");
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kModified), "MODIFIED");
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kDeleted), "DELETED");
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kBookmark), "BOOKMARK");
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kError), "ERROR");
}

}  // namespace
}  // namespace werf::kube
