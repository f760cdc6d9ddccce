#include "services/gateway/page_token.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsTheLastKey) {
  const std::string fingerprint = QueryFingerprint("shop||team=a");
  const std::string token = EncodePageToken({"shop", "web-1"}, fingerprint);
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << "URL-safe: " << token;
  absl::StatusOr<BundleKey> key = DecodePageToken(token, fingerprint);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, (BundleKey{"shop", "web-1"}));
}

TEST(PageTokenTest, FingerprintsAreStableAndDistinguishFilters) {
  EXPECT_EQ(QueryFingerprint("a"), QueryFingerprint("a"));
  EXPECT_NE(QueryFingerprint("a||"), QueryFingerprint("b||"));
  EXPECT_EQ(QueryFingerprint(""), "cbf29ce484222325");  // FNV-1a offset basis: no seeding
}

TEST(PageTokenTest, RefusesTokensForOtherFilters) {
  const std::string token = EncodePageToken({"shop", "web"}, QueryFingerprint("shop||"));
  absl::StatusOr<BundleKey> key = DecodePageToken(token, QueryFingerprint("other||"));
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(key.status().message(), HasSubstr("other filters"));
}

TEST(PageTokenTest, RefusesGarbage) {
  const std::string fingerprint = QueryFingerprint("");
  for (const char* token : {"not base64!", "cDEvYQ", "eHl6", ""}) {
    absl::StatusOr<BundleKey> key = DecodePageToken(token, fingerprint);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(key.status().message(), HasSubstr("not a token this gateway issued")) << token;
  }
}

}  // namespace
}  // namespace werf::gateway
