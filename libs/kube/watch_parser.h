// Incremental parser for the body of a Kubernetes watch response: one JSON
// object per line, {"type":"ADDED","object":{...}}, arriving in chunks that
// split lines (and UTF-8 sequences) anywhere, as libcurl delivers them.
//
//   WatchStreamParser parser;
//   // In the libcurl write callback:
//   absl::Status status = parser.Feed(chunk, [&](WatchEvent event) {
//     if (std::optional<KubeStatus> error = event.AsStatus()) { ... }
//     ...
//   });
//   // When the response ends cleanly:
//   status = parser.Finish(on_event);
#ifndef WERF_OPERATOR_LIBS_KUBE_WATCH_PARSER_H_
#define WERF_OPERATOR_LIBS_KUBE_WATCH_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace werf::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

// "ADDED", "MODIFIED", ... as on the wire.
absl::string_view WatchEventTypeName(WatchEventType type);

// The metav1.Status an ERROR event carries.
struct KubeStatus {
  // The HTTP status code the error stands for, e.g. 410; 0 if absent.
  int code = 0;
  // Machine-readable, e.g. "Expired"; may be empty.
  std::string reason;
  std::string message;

  // The watch asked for a resourceVersion the server has compacted away
  // (410 Gone, reason Expired or Gone): the caller must list again, because
  // watching from any older version would miss events.
  bool IsExpired() const;
};

struct WatchEvent {
  WatchEventType type;
  // The object (for BOOKMARK, just its kind and metadata.resourceVersion;
  // for ERROR, a metav1.Status). Always a JSON object.
  nlohmann::json object;

  // The status of an ERROR event; nullopt for the other types.
  std::optional<KubeStatus> AsStatus() const;
  // object.metadata.resourceVersion, if it is a string. A watch resumes from
  // the last one seen; BOOKMARK events exist to advance it.
  std::optional<std::string> ResourceVersion() const;
};

// Not thread-safe: one parser per watch response.
class WatchStreamParser {
 public:
  // Kubernetes caps a request at 3 MiB and etcd a value at 1.5 MiB; 16 MiB
  // leaves room for JSON escaping while still bounding memory.
  static constexpr size_t kDefaultMaxLineBytes = size_t{16} << 20;

  // `max_line_bytes` caps one line, excluding its newline; at least 1.
  explicit WatchStreamParser(size_t max_line_bytes = kDefaultMaxLineBytes);

  // Consumes `chunk`, calling `on_event` for every event it completes, in
  // stream order. Blank lines and "\r\n" endings are accepted.
  //
  // On a malformed line (not JSON, not an object, no or unknown "type", no
  // "object"), returns InvalidArgument; on a line longer than the cap,
  // ResourceExhausted without buffering it. Either way the message names the
  // line and quotes a bounded, escaped excerpt; events before the bad line
  // have been delivered; and the parser stays failed, returning the same
  // error from every later call, since the stream cannot be trusted past a
  // bad line. The result does not depend on how the stream is chunked.
  absl::Status Feed(absl::string_view chunk,
                    absl::FunctionRef<void(WatchEvent)> on_event);

  // Ends the stream: parses a last line left without a newline. Returns
  // DataLoss if that line is not a complete event, i.e. the stream was cut
  // off mid-event. Further Feeds are errors.
  absl::Status Finish(absl::FunctionRef<void(WatchEvent)> on_event);

  // Bytes of an incomplete line held back, for diagnostics and tests.
  size_t buffered_bytes() const { return partial_line_.size(); }

 private:
  // Parses one complete line (without its '\n') and reports its event.
  // `at_end`: the line was cut off by the end of the stream, so JSON that
  // ends early means a truncated stream rather than a malformed line.
  absl::Status ParseLine(absl::string_view line,
                         absl::FunctionRef<void(WatchEvent)> on_event,
                         bool at_end = false);
  // Remembers `status` as the parser's final state and returns it.
  absl::Status Fail(absl::Status status);
  // The error for the line in partial_line_ continued by `more`.
  absl::Status LineTooLong(absl::string_view more) const;

  const size_t max_line_bytes_;
  // The start of a line whose newline has not arrived yet.
  std::string partial_line_;
  // 1-based number of the line being assembled; blank lines count, so that
  // it matches an editor's view of a captured stream.
  int64_t line_number_ = 1;
  bool finished_ = false;
  absl::Status error_;
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_WATCH_PARSER_H_
