// libFuzzer target for WatchStreamParser: whatever bytes arrive, the parser
// must not crash, and the events and final status must not depend on where
// libcurl happened to cut the stream.
//
// The first input byte picks the split point; the rest is the stream. The
// stream is parsed whole, in two chunks at that point, and byte by byte.
// Lines are capped at 512 bytes so that the line-length limit is reachable
// within libFuzzer's default input size.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/kube/watch_parser.h"

namespace werf::kube {
namespace {

constexpr size_t kMaxLineBytes = 512;

struct Outcome {
  std::vector<std::string> events;
  absl::Status status;

  bool operator==(const Outcome& other) const {
    return events == other.events && status == other.status;
  }
};

Outcome Parse(const std::vector<absl::string_view>& chunks) {
  WatchStreamParser parser(kMaxLineBytes);
  Outcome outcome;
  auto collect = [&](WatchEvent event) {
    if (!event.object.is_object()) std::abort();  // Promised by the API.
    // Exercise the accessors on whatever the fuzzer produced.
    (void)event.AsStatus();
    (void)event.ResourceVersion();
    outcome.events.push_back(absl::StrCat(
        WatchEventTypeName(event.type), " ",
        event.object.dump(-1, ' ', false,
                          nlohmann::json::error_handler_t::replace)));
  };
  for (absl::string_view chunk : chunks) {
    outcome.status = parser.Feed(chunk, collect);
    if (!outcome.status.ok()) {
      if (parser.buffered_bytes() != 0) std::abort();  // Failed: holds nothing.
      return outcome;
    }
    if (parser.buffered_bytes() > kMaxLineBytes) std::abort();
  }
  outcome.status = parser.Finish(collect);
  return outcome;
}

void Report(const char* what, const Outcome& expected, const Outcome& actual) {
  std::fprintf(stderr, "%s: %zu events, %s\nvs whole: %zu events, %s\n", what,
               actual.events.size(), actual.status.ToString().c_str(),
               expected.events.size(), expected.status.ToString().c_str());
  std::abort();
}

}  // namespace
}  // namespace werf::kube

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ::werf::kube::Outcome;
  using ::werf::kube::Parse;
  using ::werf::kube::Report;
  if (size == 0) return 0;
  const absl::string_view stream(reinterpret_cast<const char*>(data + 1),
                                 size - 1);
  // Scales the byte onto [0, stream.size()], both ends included.
  const size_t split = static_cast<size_t>(data[0]) * stream.size() / 255;

  const Outcome whole = Parse({stream});
  const Outcome halves = Parse({stream.substr(0, split), stream.substr(split)});
  if (!(halves == whole)) Report("two chunks", whole, halves);

  std::vector<absl::string_view> bytes;
  bytes.reserve(stream.size());
  for (size_t i = 0; i < stream.size(); ++i)
    bytes.push_back(stream.substr(i, 1));
  const Outcome byte_by_byte = Parse(bytes);
  if (!(byte_by_byte == whole)) Report("byte by byte", whole, byte_by_byte);
  return 0;
}
