#include "libs/oci/reference.h"

#include <string>

#include "absl/hash/hash_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using ::testing::HasSubstr;
using ::werf::status_testing::Message;

struct ValidCase {
  std::string input{};
  std::string registry{};
  std::string path{};
  std::string endpoint{};
};

class ReferenceParseTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ReferenceParseTest, SplitsRegistryAndPath) {
  const ValidCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(RepositoryRef ref, RepositoryRef::Parse(c.input));
  EXPECT_EQ(ref.registry(), c.registry);
  EXPECT_EQ(ref.path(), c.path);
  EXPECT_EQ(ref.endpoint(), c.endpoint);
  EXPECT_EQ(ref.ToString(), c.registry + "/" + c.path);
}

INSTANTIATE_TEST_SUITE_P(
    References, ReferenceParseTest,
    ::testing::Values(
        ValidCase{"registry.example.com:5000/team/app", "registry.example.com:5000", "team/app",
                  "registry.example.com:5000"},
        ValidCase{"registry.example.com/app", "registry.example.com", "app", "registry.example.com"},
        ValidCase{"Registry.Example.COM/team/app", "registry.example.com", "team/app", "registry.example.com"},
        ValidCase{"localhost/app", "localhost", "app", "localhost"},
        ValidCase{"localhost:5000/a/b/c", "localhost:5000", "a/b/c", "localhost:5000"},
        ValidCase{"127.0.0.1:38537/werf/bundle", "127.0.0.1:38537", "werf/bundle", "127.0.0.1:38537"},
        ValidCase{"[::1]:5000/app", "[::1]:5000", "app", "[::1]:5000"},
        ValidCase{"ghcr.io/org/my_app-2.x", "ghcr.io", "org/my_app-2.x", "ghcr.io"},
        ValidCase{"host.io/a__b/c---d", "host.io", "a__b/c---d", "host.io"},
        // Docker Hub: implicit registry, implicit library/, aliases.
        ValidCase{"nginx", "docker.io", "library/nginx", "registry-1.docker.io"},
        ValidCase{"team/app", "docker.io", "team/app", "registry-1.docker.io"},
        ValidCase{"docker.io/nginx", "docker.io", "library/nginx", "registry-1.docker.io"},
        ValidCase{"docker.io/library/nginx", "docker.io", "library/nginx", "registry-1.docker.io"},
        ValidCase{"index.docker.io/team/app", "docker.io", "team/app", "registry-1.docker.io"},
        ValidCase{"registry-1.docker.io/nginx", "docker.io", "library/nginx", "registry-1.docker.io"},
        ValidCase{"DOCKER.IO/team/app", "docker.io", "team/app", "registry-1.docker.io"}));

struct InvalidCase {
  std::string input{};
  std::string message{};
};

class ReferenceRejectTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ReferenceRejectTest, SaysWhatToChange) {
  absl::StatusOr<RepositoryRef> ref = RepositoryRef::Parse(GetParam().input);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(ref.status()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    References, ReferenceRejectTest,
    ::testing::Values(InvalidCase{"https://registry.example.com/app", "must not include a scheme"},
                      InvalidCase{"registry.example.com/app:1.0", "includes a tag"},
                      InvalidCase{"registry.example.com/app@sha256:abc", "digest"},
                      InvalidCase{"registry.example.com/Team/app", "must be lowercase"},
                      InvalidCase{"registry.example.com/team//app", "empty path component"},
                      InvalidCase{"registry.example.com/app/", "empty path component"},
                      InvalidCase{"registry.example.com/", "names no repository"},
                      InvalidCase{"registry.example.com:0/app", "invalid port"},
                      InvalidCase{"registry.example.com:99999/app", "invalid port"},
                      InvalidCase{"registry.example.com:/app", "invalid port"},
                      InvalidCase{"registry.example.com:50x/app", "invalid port"},
                      InvalidCase{"-bad.example.com/app", "not a valid host name"},
                      InvalidCase{"bad..example.com/app", "not a valid host name"},
                      InvalidCase{"[::1/app", "unterminated IPv6"},
                      InvalidCase{"host.io/-app", "invalid path component"},
                      InvalidCase{"host.io/app-", "invalid path component"},
                      InvalidCase{"host.io/a...b", "invalid path component"},
                      InvalidCase{"host.io/a b", "invalid path component"},
                      InvalidCase{"", "names no repository"},
                      InvalidCase{"host.io/" + std::string(250, 'a'), "longer than 255"}));

TEST(RepositoryRefTest, CreateAppliesTheSameRules) {
  ASSERT_OK_AND_ASSIGN(RepositoryRef hub, RepositoryRef::Create("index.docker.io", "nginx"));
  EXPECT_EQ(hub.ToString(), "docker.io/library/nginx");
  EXPECT_FALSE(RepositoryRef::Create("", "app").ok());
  EXPECT_FALSE(RepositoryRef::Create("host.io", "App").ok());
}

TEST(RepositoryRefTest, EqualityAndHashIgnoreSpelling) {
  ASSERT_OK_AND_ASSIGN(RepositoryRef a, RepositoryRef::Parse("nginx"));
  ASSERT_OK_AND_ASSIGN(RepositoryRef b, RepositoryRef::Parse("index.docker.io/library/nginx"));
  ASSERT_OK_AND_ASSIGN(RepositoryRef c, RepositoryRef::Parse("host.io/nginx"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({a, b, c}));
}

TEST(DockerHubTest, AliasesAreOneRegistry) {
  for (const char* alias : {"docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"}) {
    EXPECT_TRUE(IsDockerHub(alias)) << alias;
    EXPECT_EQ(CanonicalRegistry(alias), "docker.io") << alias;
  }
  EXPECT_FALSE(IsDockerHub("docker.example.com"));
  EXPECT_EQ(CanonicalRegistry("Quay.IO"), "quay.io");
}

TEST(ValidateTagTest, FollowsTheDistributionGrammar) {
  for (const char* tag : {"latest", "v1.2.3", "1.0.0-rc.1", "_private", "A_b-C.d", "x"}) {
    EXPECT_OK(ValidateTag(tag));
  }
  const std::string too_long(129, 'a');
  for (const std::string& tag : {std::string(""), std::string(".hidden"), std::string("-x"), std::string("a/b"),
                                 std::string("a:b"), std::string("a b"), std::string("v1+build"), too_long}) {
    EXPECT_FALSE(ValidateTag(tag).ok()) << tag;
  }
  EXPECT_OK(ValidateTag(std::string(128, 'a')));
}

}  // namespace
}  // namespace werf::oci
