#include "services/controller/requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

BundleSpec Spec(const std::string& ns, const std::string& secret, const std::string& ca = "", bool insecure = false) {
  nlohmann::json bundle = {{"metadata", {{"namespace", ns}, {"name", "b"}}},
                           {"spec",
                            {{"registry", {{"url", "r.example.com/app"}, {"insecure", insecure}}},
                             {"converge", {{"serviceAccountName", "sa"}}}}}};
  if (!secret.empty()) bundle["spec"]["registry"]["secretRef"] = {{"name", secret}};
  if (!ca.empty()) bundle["spec"]["registry"]["caSecretRef"] = {{"name", ca}};
  return *ParseBundleSpec(bundle);
}

TEST(RepositoryKeyTest, EqualCredentialsShareAKeyAcrossNamespacesAndNames) {
  const std::string identity = "0123456789abcdef";
  EXPECT_EQ(RepositoryKey(Spec("team-a", "creds"), identity), RepositoryKey(Spec("team-b", "other"), identity));
  EXPECT_EQ(RepositoryKey(Spec("team-a", "creds"), identity), "r.example.com/app#access=0123456789abcdef");
  EXPECT_NE(RepositoryKey(Spec("team-a", "creds"), identity), RepositoryKey(Spec("team-a", "creds"), "fedcba9876543210"));
}

TEST(RepositoryKeyTest, AnonymousAndInsecureAndUnknownContent) {
  // Anonymous bundles share the repository's key whatever their namespace; an identity
  // without Secrets (never computed so) changes nothing.
  EXPECT_EQ(RepositoryKey(Spec("team-a", ""), ""), "r.example.com/app");
  EXPECT_EQ(RepositoryKey(Spec("team-b", ""), "ignored"), "r.example.com/app");
  EXPECT_EQ(RepositoryKey(Spec("team-a", "", "", /*insecure=*/true), ""), "r.example.com/app!insecure");
  EXPECT_EQ(RepositoryKey(Spec("team-a", "creds", "", true), "0123456789abcdef"),
            "r.example.com/app#access=0123456789abcdef!insecure");
  // Content not known yet (the Secret not cached): the names stand in, per namespace.
  EXPECT_EQ(RepositoryKey(Spec("team-a", "creds", "ca"), ""), "r.example.com/app#team-a/creds!ca=team-a/ca");
  EXPECT_NE(RepositoryKey(Spec("team-a", "creds"), ""), RepositoryKey(Spec("team-b", "creds"), ""));
}

TEST(TrackForTest, CarriesTheRepresentativeSecretsAndTheirVersions) {
  ClusterFacts cluster;
  cluster.registry_access_identity = "0123456789abcdef";
  cluster.registry_secrets_version = "41,ca:42";
  const auto track = TrackFor(Spec("team-a", "creds", "ca"), "1.2.0", cluster);
  EXPECT_EQ(track.key(), "r.example.com/app#access=0123456789abcdef");
  EXPECT_EQ(track.access().credentials_secret().namespace_(), "team-a");
  EXPECT_EQ(track.access().credentials_secret().name(), "creds");
  EXPECT_EQ(track.access().ca_secret().name(), "ca");
  EXPECT_EQ(track.access().secrets_version(), "41,ca:42");
  EXPECT_THAT(track.watched_tags(), ::testing::ElementsAre("1.2.0"));
  EXPECT_THAT(track.key(), Not(HasSubstr("creds")));
}

}  // namespace
}  // namespace werf::controller
