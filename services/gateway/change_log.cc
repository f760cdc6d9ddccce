#include "services/gateway/change_log.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace werf::gateway {

std::string FormatRevision(const Revision& revision) {
  return absl::StrFormat("%d-%08x", revision.value, revision.epoch);
}

absl::StatusOr<Revision> ParseRevision(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  Revision revision;
  if (parts.size() != 2 || parts[1].size() != 8 || !absl::SimpleAtoi(parts[0], &revision.value) ||
      !absl::SimpleHexAtoi(parts[1], &revision.epoch)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resume_revision \"", text, "\" is not a revision this gateway sent; pass the "
        "revision of the last event received unchanged, or omit it to start with a snapshot"));
  }
  return revision;
}

namespace {

uint32_t RandomEpoch() {
  absl::BitGen random;
  return absl::Uniform<uint32_t>(absl::IntervalClosed, random, 1, 0xffffffffu);
}

}  // namespace

ChangeLog::ChangeLog(size_t capacity, uint32_t epoch, common::Clock& clock)
    : capacity_(capacity > 0 ? capacity : 1),
      epoch_(epoch != 0 ? epoch : RandomEpoch()),
      clock_(clock) {}

uint64_t ChangeLog::Append(BundlePtr before, BundlePtr after) {
  absl::MutexLock lock(&mu_);
  const uint64_t revision = ++last_revision_;
  changes_.push_back({revision, std::move(before), std::move(after)});
  if (changes_.size() > capacity_) changes_.pop_front();
  changed_.SignalAll();
  return revision;
}

uint64_t ChangeLog::last_revision() const {
  absl::ReaderMutexLock lock(&mu_);
  return last_revision_;
}

bool ChangeLog::CoversLocked(uint64_t revision) const {
  if (revision > last_revision_) return false;
  const uint64_t first_held = changes_.empty() ? last_revision_ + 1 : changes_.front().revision;
  return revision + 1 >= first_held;
}

bool ChangeLog::Covers(uint64_t revision) const {
  absl::ReaderMutexLock lock(&mu_);
  return CoversLocked(revision);
}

absl::StatusOr<std::vector<BundleChange>> ChangeLog::ChangesSince(uint64_t revision,
                                                                  size_t max_changes,
                                                                  absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  // The clock may return early (a signal for another reader, a fake clock's poll):
  // the condition and the deadline are checked again each time.
  while (!closed_ && last_revision_ == revision && clock_.Now() < deadline) {
    clock_.WaitWithDeadline(&mu_, &changed_, deadline);
  }
  if (closed_) return absl::UnavailableError("the gateway is shutting down; reconnect");
  if (!CoversLocked(revision)) {
    return absl::OutOfRangeError(absl::StrCat(
        "changes after revision ", revision, " are no longer held (the log keeps the last ",
        capacity_, ")"));
  }
  std::vector<BundleChange> changes;
  if (max_changes == 0 || revision == last_revision_) return changes;
  const size_t first = static_cast<size_t>(revision + 1 - changes_.front().revision);
  const size_t end = std::min(changes_.size(), first + max_changes);
  changes.reserve(end - first);
  for (size_t i = first; i < end; ++i) changes.push_back(changes_[i]);
  return changes;
}

void ChangeLog::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  changed_.SignalAll();
}

}  // namespace werf::gateway
