#include "services/converger/werf_entrypoint.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace werf::converger {
namespace {

// POSIX awk (busybox, mawk and gawk alike; run with LC_ALL=C so lengths are bytes and
// substr is O(1)): a small JSON scanner for nelm's report, whatever its whitespace,
// line by line (a JSON token never spans lines: strings hold no raw newline).
// String tokens are copied raw, escapes included, so every name stays valid JSON.
// Exits 1 (no output) on anything that is not one complete JSON object, e.g. a report
// cut short when werf was killed while writing it. No single quote may appear in it:
// the script holds it in a single-quoted shell word.
constexpr char kCompactReportAwk[] = R"AWK(
{
  line = $0; n = length(line); i = 1
  while (i <= n) {
    c = substr(line, i, 1)
    if (c == " " || c == "\t" || c == "\r") { i++; continue }
    if (c == "\"") {
      j = i + 1
      while (j <= n) {
        d = substr(line, j, 1)
        if (d == "\\") { j += 2; continue }
        if (d == "\"") break
        j++
      }
      if (j > n) { bad = 1; exit }
      tok = substr(line, i, j - i + 1); i = j + 1
    } else if (index("{}[],:", c) > 0) {
      tok = c; i++
    } else {
      j = i
      while (j <= n && index(" \t\r,:[]{}\"", substr(line, j, 1)) == 0) j++
      tok = substr(line, i, j - i); i = j
    }
    if (tok == "{" || tok == "[") {
      if (depth == 0 && (tok != "{" || seen)) { bad = 1; exit }
      depth++; seen = 1
      if (depth == 1) want_key = 1
      continue
    }
    if (tok == "}" || tok == "]") { depth--; if (depth < 0) { bad = 1; exit }; continue }
    if (tok == ",") { if (depth == 1) want_key = 1; continue }
    if (tok == ":") continue
    if (depth == 0) { bad = 1; exit }
    if (depth == 1 && want_key) { key = substr(tok, 2, length(tok) - 2); want_key = 0; continue }
    if (depth == 1) { nhead++; head[nhead] = "\"" key "\":" tok; continue }
    if (depth == 2) { count[key]++; item[key, count[key]] = tok }
  }
}
END {
  if (bad || depth != 0 || !seen) exit 1
  out = "{"; sep = ""
  for (k = 1; k <= nhead; k++) { out = out sep head[k]; sep = "," }
  split("failedOperations canceledOperations completedOperations", names, " ")
  for (a = 1; a <= 3; a++) { out = out sep "\"" names[a] "Count\":" (count[names[a]] + 0); sep = "," }
  cut = 0
  room = length(",\"truncated\":false}")
  for (a = 1; a <= 3; a++) {
    list = names[a]; total = count[list] + 0
    if (total == 0) continue
    part = ",\"" list "\":["; kept = 0
    for (k = 1; k <= total; k++) {
      piece = (kept > 0 ? "," : "") item[list, k]
      if (length(out) + length(part) + length(piece) + 1 + room > max) break
      part = part piece; kept++
    }
    if (kept < total) cut = 1
    if (kept > 0) out = out part "]"
  }
  out = out ",\"truncated\":" (cut ? "true" : "false") "}"
  if (length(out) > max) exit 1
  printf "%s", out
}
)AWK";

// The traps are set before werf starts, so a signal in between is passed on once werf
// runs. `wait` returns early (status > 128) when a trapped signal arrives; the loop then
// waits again for werf's own exit status. Without awk (not expected in the werf image) a
// report that fits is copied as it is.
constexpr char kScript[] = R"SH(# werf-operator entrypoint: runs werf, forwards SIGTERM/SIGINT, then writes a compact
# deploy report (at most @MAX@ bytes) as the termination message; exits with werf's code.
report='@REPORT@'
message='@MESSAGE@'
program='@AWK@'
rm -f "$report"
child=
signal=
trap 'signal=TERM; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM
trap 'signal=INT; [ -z "$child" ] || kill -INT "$child" 2>/dev/null' INT
werf "$@" &
child=$!
[ -z "$signal" ] || kill "-$signal" "$child" 2>/dev/null
wait "$child"
code=$?
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  code=$?
done
trap - TERM INT
if [ -s "$report" ]; then
  if command -v awk >/dev/null 2>&1; then
    if summary=$(LC_ALL=C awk -v max=@MAX@ "$program" "$report"); then
      printf '%s' "$summary" > "$message"
    else
      echo "werf-entrypoint: the deploy report $report is not one JSON object; not reported" >&2
    fi
  elif [ "$(wc -c < "$report")" -le @MAX@ ]; then
    cat "$report" > "$message"
  fi
fi
exit "$code"
)SH";

}  // namespace

std::string EntrypointScript(const EntrypointOptions& options) {
  return absl::StrReplaceAll(kScript, {{"@REPORT@", options.report_path},
                                       {"@MESSAGE@", options.termination_message_path},
                                       {"@MAX@", absl::StrCat(options.max_message_bytes)},
                                       {"@AWK@", kCompactReportAwk}});
}

std::vector<std::string> EntrypointCommand(const EntrypointOptions& options) {
  return {"/bin/sh", "-c", EntrypointScript(options), kEntrypointName};
}

}  // namespace werf::converger
