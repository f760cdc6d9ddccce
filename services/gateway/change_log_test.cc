#include "services/gateway/change_log.h"

#include <memory>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;

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
  ChangeLog log(8, /*epoch=*/7);
  EXPECT_EQ(log.epoch(), 7u);
  EXPECT_EQ(log.last_revision(), 0u);
  EXPECT_EQ(log.Append(nullptr, Bundle("a")), 1u);
  EXPECT_EQ(log.Append(Bundle("a"), Bundle("a")), 2u);
  EXPECT_EQ(log.Append(Bundle("a"), nullptr), 3u);

  absl::StatusOr<std::vector<BundleChange>> all = log.ChangesSince(0, 10, absl::Now());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Revisions(*all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ((*all)[0].before, nullptr);
  EXPECT_EQ((*all)[2].after, nullptr);

  absl::StatusOr<std::vector<BundleChange>> some = log.ChangesSince(1, 1, absl::Now());
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(Revisions(*some), (std::vector<uint64_t>{2}));
}

TEST(ChangeLogTest, WaitsUntilTheDeadlineForAChange) {
  ChangeLog log(8, 1);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<BundleChange>> none = log.ChangesSince(0, 10, start + absl::Milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));

  std::thread writer([&log] {
    absl::SleepFor(absl::Milliseconds(20));
    log.Append(nullptr, Bundle("late"));
  });
  absl::StatusOr<std::vector<BundleChange>> woken = log.ChangesSince(0, 10, absl::Now() + absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(woken.ok());
  EXPECT_EQ(Revisions(*woken), (std::vector<uint64_t>{1}));
}

TEST(ChangeLogTest, AReaderThatFellBehindTheRingIsToldToResync) {
  ChangeLog log(3, 1);
  for (int i = 0; i < 5; ++i) log.Append(nullptr, Bundle("b"));  // holds 3, 4, 5
  EXPECT_FALSE(log.Covers(0));
  EXPECT_FALSE(log.Covers(1));
  EXPECT_TRUE(log.Covers(2));
  EXPECT_TRUE(log.Covers(5));
  EXPECT_FALSE(log.Covers(6));  // from the future

  absl::StatusOr<std::vector<BundleChange>> lost = log.ChangesSince(1, 10, absl::Now());
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(lost.status().message(), HasSubstr("keeps the last 3"));
  absl::StatusOr<std::vector<BundleChange>> kept = log.ChangesSince(2, 10, absl::Now());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(Revisions(*kept), (std::vector<uint64_t>{3, 4, 5}));
}

TEST(ChangeLogTest, CloseEndsWaitingReaders) {
  ChangeLog log(8, 1);
  std::thread closer([&log] {
    absl::SleepFor(absl::Milliseconds(20));
    log.Close();
  });
  absl::StatusOr<std::vector<BundleChange>> ended = log.ChangesSince(0, 10, absl::Now() + absl::Seconds(10));
  closer.join();
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnavailable);
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
