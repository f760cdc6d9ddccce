// FileTokenSource on a real file and the fake clock: the token is cached until it is
// max_age old or the file's mtime changes (the kubelet rotates projected tokens in
// place), and a brief gap in the file keeps the last good token.
#include "libs/kube/token_source.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/common/testing/status_testing.h"

namespace werf::kube {
namespace {

using status_testing::Message;
using ::testing::HasSubstr;

class FileTokenSourceTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }

  // Writes `content` and sets the file's mtime to `mtime_seconds`, so that a test
  // decides whether the file "changed" whatever the filesystem's timestamp granularity.
  void Write(const std::string& content, int64_t mtime_seconds) {
    {
      std::ofstream out(path_, std::ios::trunc);
      out << content;
    }
    const timespec times[2] = {{.tv_sec = mtime_seconds, .tv_nsec = 0}, {.tv_sec = mtime_seconds, .tv_nsec = 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), times, 0), 0) << path_;
  }

  const std::string path_ = absl::StrCat(::testing::TempDir(), "/token-",
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
  common::testing::FakeClock clock_;
  FileTokenSource source_{path_, absl::Minutes(1), clock_};
};

TEST_F(FileTokenSourceTest, ReadsTheFileWithoutSurroundingWhitespace) {
  Write("  header.payload.sig\n", 1000);
  ASSERT_OK_AND_ASSIGN(const std::string token, source_.Token());
  EXPECT_EQ(token, "header.payload.sig");
}

TEST_F(FileTokenSourceTest, CachesUntilMaxAgeWhileTheFileLooksUnchanged) {
  Write("first", 1000);
  EXPECT_EQ(*source_.Token(), "first");
  Write("second", 1000);  // same mtime: only the age can tell

  clock_.Advance(absl::Minutes(1) - absl::Nanoseconds(1));
  EXPECT_EQ(*source_.Token(), "first");
  clock_.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(*source_.Token(), "second") << "max_age old: read again";
  Write("third", 1000);
  EXPECT_EQ(*source_.Token(), "second") << "the age counts from the last read";
}

TEST_F(FileTokenSourceTest, ReReadsAtOnceWhenTheFileChanges) {
  Write("first", 1000);
  EXPECT_EQ(*source_.Token(), "first");
  Write("rotated", 1001);
  EXPECT_EQ(*source_.Token(), "rotated");  // the clock has not moved
}

TEST_F(FileTokenSourceTest, AMissingFileIsUnavailableNamingItAndWhatToCheck) {
  const absl::StatusOr<std::string> token = source_.Token();
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable) << token.status();
  EXPECT_THAT(Message(token.status()), HasSubstr(absl::StrCat("cannot read the bearer token file ", path_)));
  EXPECT_THAT(Message(token.status()), HasSubstr("check that the ServiceAccount token is mounted"));
}

TEST_F(FileTokenSourceTest, AnEmptyFileIsUnavailableNamingIt) {
  Write(" \n", 1000);
  const absl::StatusOr<std::string> token = source_.Token();
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable) << token.status();
  EXPECT_THAT(Message(token.status()), HasSubstr(absl::StrCat("the bearer token file ", path_, " is empty")));
}

TEST_F(FileTokenSourceTest, KeepsTheLastGoodTokenThroughARotationGap) {
  Write("good", 1000);
  EXPECT_EQ(*source_.Token(), "good");

  Write("", 1001);  // truncated mid-rotation
  EXPECT_EQ(*source_.Token(), "good");
  std::remove(path_.c_str());
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(*source_.Token(), "good");

  Write("new", 1002);
  EXPECT_EQ(*source_.Token(), "new") << "and takes the new one once it is there";
}

TEST(StaticTokenSourceTest, AnswersItsToken) {
  StaticTokenSource source("fixed");
  EXPECT_EQ(*source.Token(), "fixed");
  EXPECT_EQ(*source.Token(), "fixed");
}

}  // namespace
}  // namespace werf::kube
