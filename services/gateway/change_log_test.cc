#include "services/gateway/change_log.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/blocking_call.h"
#include "libs/common/testing/fake_clock.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;
using common::testing::FakeClock;

// ChangesSince on its own thread, so the test can move the clock while it waits.
class Reader : public common::testing::BlockingCall<absl::StatusOr<std::vector<BundleChange>>> {
 public:
  Reader(const ChangeLog& log, uint64_t revision, absl::Time deadline)
      : BlockingCall([&log, revision, deadline] { return log.ChangesSince(revision, 10, deadline); }) {}
};

BundlePtr Bundle(const std::string& name) {
  auto bundle = std::make_shared<pb::Bundle>();
  bundle->set_namespace_("ns");
  bundle->set_name(name);
  return bundle;
}

std::vector<uint64_t> Revisions(const std::vector<BundleChange>& changes) {
  std::vector<uint64_t> revisions;
  for (const BundleChange& change : changes) revisions.push_back(change.revision);
  return revisions;
}

TEST(ChangeLogTest, NumbersChangesAndReturnsThoseAfterARevision) {
  FakeClock clock;
  ChangeLog log(8, /*epoch=*/7, clock);
  EXPECT_EQ(log.epoch(), 7u);
  EXPECT_EQ(log.last_revision(), 0u);
  EXPECT_EQ(log.Append(nullptr, Bundle("a")), 1u);
  EXPECT_EQ(log.Append(Bundle("a"), Bundle("a")), 2u);
  EXPECT_EQ(log.Append(Bundle("a"), nullptr), 3u);

  absl::StatusOr<std::vector<BundleChange>> all = log.ChangesSince(0, 10, clock.Now());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Revisions(*all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ((*all)[0].before, nullptr);
  EXPECT_EQ((*all)[2].after, nullptr);

  absl::StatusOr<std::vector<BundleChange>> some = log.ChangesSince(1, 1, clock.Now());
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(Revisions(*some), (std::vector<uint64_t>{2}));
}

TEST(ChangeLogTest, ADeadlineAlreadyReachedReturnsAtOnce) {
  FakeClock clock;
  ChangeLog log(8, 1, clock);
  for (const absl::Time deadline : {clock.Now(), clock.Now() - absl::Hours(1)}) {
    absl::StatusOr<std::vector<BundleChange>> none = log.ChangesSince(0, 10, deadline);
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_TRUE(none->empty());
  }
}

TEST(ChangeLogTest, WaitsUntilItsClockPassesTheDeadline) {
  FakeClock clock;
  ChangeLog log(8, 1, clock);
  const absl::Time deadline = clock.Now() + absl::Minutes(5);
  Reader reader(log, 0, deadline);
  EXPECT_TRUE(reader.StillWaiting()) << "real time passed, the log's clock did not";
  clock.Advance(absl::Minutes(5) - absl::Milliseconds(1));
  EXPECT_TRUE(reader.StillWaiting()) << "returned before the deadline";
  clock.Advance(absl::Milliseconds(2));
  const bool returned = reader.Returns();
  EXPECT_TRUE(returned) << "still waiting past the deadline";
  if (!returned) {
    log.Close();  // lets the reader's thread end
    return;
  }
  ASSERT_TRUE(reader.result().ok()) << reader.result().status();
  EXPECT_TRUE(reader.result()->empty());
}

TEST(ChangeLogTest, AnAppendWakesAWaitingReaderBeforeTheDeadline) {
  FakeClock clock;
  ChangeLog log(8, 1, clock);
  Reader reader(log, 0, clock.Now() + absl::Hours(1));
  EXPECT_TRUE(reader.StillWaiting());
  log.Append(nullptr, Bundle("late"));
  const bool returned = reader.Returns();
  EXPECT_TRUE(returned) << "the append did not wake the reader";
  if (!returned) {
    log.Close();
    return;
  }
  ASSERT_TRUE(reader.result().ok()) << reader.result().status();
  EXPECT_EQ(Revisions(*reader.result()), (std::vector<uint64_t>{1}));
}

TEST(ChangeLogTest, AReaderThatFellBehindTheRingIsToldToResync) {
  FakeClock clock;
  ChangeLog log(3, 1, clock);
  for (int i = 0; i < 5; ++i) log.Append(nullptr, Bundle("b"));  // holds 3, 4, 5
  EXPECT_FALSE(log.Covers(0));
  EXPECT_FALSE(log.Covers(1));
  EXPECT_TRUE(log.Covers(2));
  EXPECT_TRUE(log.Covers(5));
  EXPECT_FALSE(log.Covers(6));  // from the future

  absl::StatusOr<std::vector<BundleChange>> lost = log.ChangesSince(1, 10, clock.Now());
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(lost.status().message(), HasSubstr("keeps the last 3"));
  absl::StatusOr<std::vector<BundleChange>> kept = log.ChangesSince(2, 10, clock.Now());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(Revisions(*kept), (std::vector<uint64_t>{3, 4, 5}));
}

TEST(ChangeLogTest, CloseEndsWaitingReaders) {
  FakeClock clock;
  ChangeLog log(8, 1, clock);
  Reader reader(log, 0, clock.Now() + absl::Hours(1));
  EXPECT_TRUE(reader.StillWaiting());
  log.Close();
  const bool returned = reader.Returns();
  EXPECT_TRUE(returned) << "Close did not end the wait";
  if (!returned) {
    clock.Advance(absl::Hours(2));  // lets the reader's thread end
    return;
  }
  EXPECT_EQ(reader.result().status().code(), absl::StatusCode::kUnavailable);

  // And every later read, whatever its deadline.
  absl::StatusOr<std::vector<BundleChange>> later = log.ChangesSince(0, 10, clock.Now() + absl::Hours(1));
  EXPECT_EQ(later.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ChangeLogTest, DefaultsToTheRealClock) {
  ChangeLog log(8, 1);
  EXPECT_EQ(&log.clock(), &common::RealClock());
}

TEST(RevisionTest, FormatsAndParses) {
  EXPECT_EQ(FormatRevision({0x9f3c1a2b, 1042}), "1042-9f3c1a2b");
  absl::StatusOr<Revision> parsed = ParseRevision("1042-9f3c1a2b");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->value, 1042u);
  EXPECT_EQ(parsed->epoch, 0x9f3c1a2bu);
  for (const char* bad : {"", "12", "x-9f3c1a2b", "12-9f3c", "12-zzzzzzzz", "-1-9f3c1a2b"}) {
    absl::StatusOr<Revision> revision = ParseRevision(bad);
    EXPECT_EQ(revision.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(revision.status().message(), HasSubstr("resume_revision")) << bad;
  }
}

TEST(ChangeLogTest, RandomEpochsDiffer) {
  ChangeLog a(1);
  ChangeLog b(1);
  EXPECT_NE(a.epoch(), 0u);
  EXPECT_NE(a.epoch(), b.epoch());  // 1 in 4 billion to fail
}

}  // namespace
}  // namespace werf::gateway
