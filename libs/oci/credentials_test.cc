// Credentials: which kinds a Secret gave (empty, has_password), and the identity used as
// a cache key. (docker_config_test.cc checks that Identity names the user and not the
// secret; here, that no two different sets of secrets can share an identity.)
#include "libs/oci/credentials.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::oci {
namespace {

using ::testing::StartsWith;

TEST(CredentialsTest, EmptyAndHasPasswordByKind) {
  struct Case {
    const char* what;
    Credentials credentials;
    bool empty;
    bool has_password;
  };
  const Case cases[] = {
      {"none", Credentials{}, true, false},
      {"username only", Credentials{.username = "u"}, false, true},
      {"password only", Credentials{.password = "p"}, false, true},
      {"identity token", Credentials{.identity_token = "t"}, false, false},
      {"registry token", Credentials{.registry_token = "t"}, false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.credentials.empty(), c.empty) << c.what;
    EXPECT_EQ(c.credentials.has_password(), c.has_password) << c.what;
  }
}

TEST(CredentialsTest, IdentityIsTheUserAndASixteenDigitFingerprint) {
  const std::string identity = Credentials{.username = "werf", .password = "s3cret"}.Identity();
  EXPECT_THAT(identity, StartsWith("user:werf#"));
  EXPECT_EQ(identity.size(), std::string("user:werf#").size() + 16);
  EXPECT_EQ(Credentials{.identity_token = "t"}.Identity().substr(0, 6), "user:#");
}

TEST(CredentialsTest, SecretsSplitDifferentlyAcrossFieldsHaveDifferentIdentities) {
  // Without the length prefixes these would all hash "abc".
  const Credentials a{.username = "u", .password = "ab", .identity_token = "c"};
  const Credentials b{.username = "u", .password = "a", .identity_token = "bc"};
  const Credentials c{.username = "u", .password = "", .identity_token = "abc"};
  const Credentials d{.username = "u", .password = "", .identity_token = "", .registry_token = "abc"};
  EXPECT_NE(a.Identity(), b.Identity());
  EXPECT_NE(b.Identity(), c.Identity());
  EXPECT_NE(c.Identity(), d.Identity());
  EXPECT_NE(a.Identity(), d.Identity());
}

TEST(CredentialsTest, ADifferentUserWithTheSameSecretIsADifferentIdentity) {
  EXPECT_NE((Credentials{.username = "a", .password = "p"}).Identity(),
            (Credentials{.username = "b", .password = "p"}).Identity());
}

TEST(CredentialsTest, EqualityComparesEveryField) {
  const Credentials base{.username = "u", .password = "p", .identity_token = "i", .registry_token = "r"};
  EXPECT_EQ(base, base);
  Credentials other = base;
  other.registry_token = "x";
  EXPECT_FALSE(base == other);
  other = base;
  other.identity_token = "x";
  EXPECT_FALSE(base == other);
}

}  // namespace
}  // namespace werf::oci
