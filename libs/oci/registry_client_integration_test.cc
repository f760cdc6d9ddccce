// RegistryClient against the test bed's real registries (test/integration/testbed):
// CNCF distribution v3 (anonymous, htpasswd basic auth, token auth, TLS) and
// Debian's docker-registry 2.8. Images are pushed with crane; the >1,000-tag
// repository gets its extra tags by PUTting one manifest under many names,
// which is what `crane tag` does, minus a process per tag.
#include <curl/curl.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/oci/docker_config.h"
#include "libs/oci/errors.h"
#include "libs/oci/registry_client.h"
#include "libs/common/testing/status_testing.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::oci {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::werf::status_testing::Message;
using ::werf::testbed::Registry;
using ::werf::testbed::RegistryFlavour;

// --- test-only HTTP for what the client under test never does: read a manifest, write a tag.

size_t AppendToString(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct Manifest {
  std::string body;
  std::string content_type;
};

absl::StatusOr<Manifest> FetchManifest(const std::string& url) {
  CURL* curl = curl_easy_init();
  Manifest manifest;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/vnd.docker.distribution.manifest.v2+json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &manifest.body);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;  // NOLINT(runtime/int)
  char* content_type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) manifest.content_type = content_type;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK || status != 200) return absl::UnavailableError(absl::StrCat("GET ", url, ": ", status));
  return manifest;
}

absl::Status PutManifest(CURL* curl, const std::string& url, const Manifest& manifest) {
  curl_easy_reset(curl);
  std::string ignored;
  curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + manifest.content_type).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, manifest.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(manifest.body.size()));  // NOLINT
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ignored);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;  // NOLINT(runtime/int)
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (code != CURLE_OK || status != 201) return absl::UnavailableError(absl::StrCat("PUT ", url, ": ", status));
  return absl::OkStatus();
}

// --- fixtures ------------------------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

class RegistryIntegrationTest : public ::testing::Test {
 protected:
  static Registry Testbed(RegistryFlavour flavour) {
    absl::StatusOr<Registry> registry = testbed::GetRegistry(flavour);
    EXPECT_TRUE(registry.ok()) << registry.status();
    return registry.value_or(Registry{});
  }

  static RepositoryRef Ref(const Registry& registry, absl::string_view path) {
    return RepositoryRef::Create(registry.host, path).value();
  }

  // How a bundle would reach `registry`: its credentials, the test CA for TLS, plain HTTP otherwise.
  static RegistryAccess Access(const Registry& registry) {
    RegistryAccess access;
    if (!registry.username.empty()) {
      access.credentials = Credentials{.username = registry.username, .password = registry.password};
    }
    if (registry.flavour == RegistryFlavour::kTls) {
      access.ca_pem = ReadFile(registry.ca_file);
    } else {
      access.security = TransportSecurity::kPlainHttp;
    }
    return access;
  }

  static std::string CraneDigest(const Registry& registry, absl::string_view reference) {
    auto env = testbed::RegistryClientEnv(registry);
    EXPECT_TRUE(env.ok()) << env.status();
    testbed::RunOptions options;
    options.env = env.value_or(decltype(env)::value_type{});
    auto digest = testbed::RunCommandOk({"crane", "digest", absl::StrCat(registry.host, "/", reference)}, options);
    EXPECT_TRUE(digest.ok()) << digest.status();
    return std::string(absl::StripAsciiWhitespace(digest.value_or("")));
  }

  std::unique_ptr<RegistryClient> NewClient(RegistryClientOptions options = {}) {
    return RegistryClient::Create(std::move(options)).value();
  }
};

// --- distribution v3, anonymous --------------------------------------------------------

TEST_F(RegistryIntegrationTest, V3PaginatesMoreThanAThousandTags) {
  const Registry registry = Testbed(RegistryFlavour::kAnonymous);
  const std::string path = testbed::UniqueName("oci-many");
  ASSERT_OK(testbed::PushTags(registry, path, {"base"}));
  const std::string manifests = absl::StrCat(registry.base_url(), "/v2/", path, "/manifests/");
  ASSERT_OK_AND_ASSIGN(const Manifest manifest, FetchManifest(manifests + "base"));
  std::vector<std::string> expected = {"base"};
  CURL* curl = curl_easy_init();
  for (int i = 0; i < 1049; ++i) {
    expected.push_back(absl::StrFormat("t%04d", i));
    ASSERT_OK(PutManifest(curl, manifests + expected.back(), manifest));
  }
  curl_easy_cleanup(curl);
  std::sort(expected.begin(), expected.end());

  auto paged = NewClient({.page_size = 100});
  ASSERT_OK_AND_ASSIGN(TagListResult result, paged->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_THAT(result.tags, ElementsAreArray(expected));
  EXPECT_EQ(result.pages, 11);
  EXPECT_EQ(result.stats.requests, 11);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.etag, "");

  // Without `n`, distribution v3 answers the whole list at once.
  auto whole = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult one_page, whole->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_THAT(one_page.tags, ElementsAreArray(expected));
  EXPECT_EQ(one_page.pages, 1);
  EXPECT_EQ(one_page.etag, "") << "distribution sends no ETag on tag lists";

  auto capped = NewClient({.page_size = 400, .max_tags = 1000});
  ASSERT_OK_AND_ASSIGN(TagListResult truncated, capped->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_TRUE(truncated.truncated);
  EXPECT_THAT(truncated.tags, ElementsAreArray(std::vector<std::string>(expected.begin(), expected.begin() + 1000)));

  ASSERT_OK_AND_ASSIGN(std::vector<std::string> crane_tags, testbed::ListTagsWithCrane(registry, path));
  EXPECT_EQ(crane_tags.size(), expected.size());
}

TEST_F(RegistryIntegrationTest, MissingRepositoryAndTagAreNotFound) {
  const Registry registry = Testbed(RegistryFlavour::kAnonymous);
  auto client = NewClient();
  const RepositoryRef missing = Ref(registry, testbed::UniqueName("oci-missing"));
  absl::StatusOr<TagListResult> tags = client->ListTags(missing, Access(registry));
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(ClassifyError(tags.status()), ErrorReason::kNotFound);
  EXPECT_EQ(GetErrorDetails(tags.status()).http_status, 404);
  EXPECT_THAT(Message(tags.status()),
              HasSubstr(absl::StrCat("repository ", missing.path(), " not found on ", registry.host)));

  const std::string path = testbed::UniqueName("oci-tagless");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1"}));
  absl::StatusOr<DigestResult> digest = client->GetDigest(Ref(registry, path), Access(registry), "v2");
  EXPECT_EQ(ClassifyError(digest.status()), ErrorReason::kNotFound);
  EXPECT_THAT(Message(digest.status()), HasSubstr(absl::StrCat("tag v2 not found in repository ", path)));
}

TEST_F(RegistryIntegrationTest, RepushedTagChangesItsDigest) {
  const Registry registry = Testbed(RegistryFlavour::kAnonymous);
  const std::string path = testbed::UniqueName("oci-repush");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1"}));
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(DigestResult before, client->GetDigest(Ref(registry, path), Access(registry), "v1"));
  EXPECT_EQ(before.digest, CraneDigest(registry, path + ":v1"));
  EXPECT_EQ(before.stats.requests, 1) << "HEAD only";
  EXPECT_FALSE(before.computed_from_body);

  // Re-publish v1 as another image: push "next", then point v1 at it.
  ASSERT_OK(testbed::PushTags(registry, path, {"next", "v1"}, /*same_digest=*/true));
  ASSERT_OK_AND_ASSIGN(DigestResult after, client->GetDigest(Ref(registry, path), Access(registry), "v1"));
  EXPECT_NE(after.digest, before.digest);
  EXPECT_EQ(after.digest, CraneDigest(registry, path + ":next"));
}

TEST_F(RegistryIntegrationTest, GetManifestReadsAnnotationsByTagAndByDigest) {
  const Registry registry = Testbed(RegistryFlavour::kAnonymous);
  const std::string path = testbed::UniqueName("oci-annotated");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1"}));
  ASSERT_OK(testbed::AnnotateManifest(registry, path, "v1",
                                      {{"org.opencontainers.image.revision", "abcdef1234567"},
                                       {"org.opencontainers.image.source", "https://github.com/acme/shop"}}));
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(ManifestResult by_tag, client->GetManifest(Ref(registry, path), Access(registry), "v1"));
  EXPECT_EQ(by_tag.digest, CraneDigest(registry, path + ":v1"));
  EXPECT_EQ(by_tag.annotations["org.opencontainers.image.revision"], "abcdef1234567");
  EXPECT_EQ(by_tag.annotations["org.opencontainers.image.source"], "https://github.com/acme/shop");
  ASSERT_OK_AND_ASSIGN(ManifestResult by_digest,
                       client->GetManifest(Ref(registry, path), Access(registry), by_tag.digest));
  EXPECT_EQ(by_digest.annotations, by_tag.annotations);
  absl::StatusOr<ManifestResult> missing = client->GetManifest(Ref(registry, path), Access(registry), "v9");
  EXPECT_EQ(ClassifyError(missing.status()), ErrorReason::kNotFound);
}

// --- docker-registry 2.8 ----------------------------------------------------------------

TEST_F(RegistryIntegrationTest, DockerRegistry28ListsTagsAndDigests) {
  const Registry registry = Testbed(RegistryFlavour::kV2);
  const std::string path = testbed::UniqueName("oci-v2");
  ASSERT_OK(testbed::PushTags(registry, path, {"a", "b", "c"}));
  // 2.8 ignores `n`: a page size must not make the client ask for pages that never come.
  auto client = NewClient({.page_size = 2});
  ASSERT_OK_AND_ASSIGN(TagListResult tags, client->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_THAT(tags.tags, UnorderedElementsAre("a", "b", "c"));
  EXPECT_EQ(tags.pages, 1);
  EXPECT_EQ(tags.etag, "");

  // With the Docker v2 type in Accept, 2.8 serves the pushed manifest, not a schema1 conversion.
  ASSERT_OK_AND_ASSIGN(DigestResult digest, client->GetDigest(Ref(registry, path), Access(registry), "b"));
  EXPECT_EQ(digest.digest, CraneDigest(registry, path + ":b"));
  EXPECT_EQ(digest.media_type, "application/vnd.docker.distribution.manifest.v2+json");

  ASSERT_OK(testbed::PushTags(registry, path, {"d", "b"}, /*same_digest=*/true));
  ASSERT_OK_AND_ASSIGN(DigestResult moved, client->GetDigest(Ref(registry, path), Access(registry), "b"));
  EXPECT_NE(moved.digest, digest.digest);

  absl::StatusOr<TagListResult> missing = client->ListTags(Ref(registry, path + "-missing"), Access(registry));
  EXPECT_EQ(ClassifyError(missing.status()), ErrorReason::kNotFound);
}

// --- authentication ----------------------------------------------------------------------

TEST_F(RegistryIntegrationTest, BasicAuth) {
  const Registry registry = Testbed(RegistryFlavour::kBasic);
  const std::string path = testbed::UniqueName("oci-basic");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1", "v2"}));
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_THAT(first.tags, UnorderedElementsAre("v1", "v2"));
  EXPECT_EQ(first.stats.requests, 2) << "401, then Basic";
  ASSERT_OK_AND_ASSIGN(DigestResult digest, client->GetDigest(Ref(registry, path), Access(registry), "v2"));
  EXPECT_EQ(digest.stats.requests, 1) << "Basic sent up front";
  EXPECT_EQ(digest.digest, CraneDigest(registry, path + ":v2"));

  RegistryAccess wrong = Access(registry);
  wrong.credentials->password = "not-the-password";
  absl::StatusOr<TagListResult> refused = client->ListTags(Ref(registry, path), wrong);
  EXPECT_EQ(ClassifyError(refused.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(refused.status()),
              AllOf(HasSubstr("check the bundle's registry.secretRef credentials for " + registry.host),
                    Not(HasSubstr("not-the-password"))));

  RegistryAccess anonymous = Access(registry);
  anonymous.credentials.reset();
  absl::StatusOr<TagListResult> denied = client->ListTags(Ref(registry, path), anonymous);
  EXPECT_EQ(ClassifyError(denied.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(denied.status()), HasSubstr("requires a username and password"));
}

TEST_F(RegistryIntegrationTest, TokenAuth) {
  const Registry registry = Testbed(RegistryFlavour::kToken);
  const std::string path = testbed::UniqueName("oci-token");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1", "v2"}));  // as the push user
  const std::string pull_user = testbed::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER");
  const std::string pull_password = testbed::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
  ASSERT_FALSE(pull_user.empty());

  // Credentials as a bundle's kubernetes.io/dockerconfigjson Secret carries them.
  const SecretData secret = {
      {".dockerconfigjson",
       absl::StrCat(R"({"auths":{"http://)", registry.host, R"(/":{"auth":")",
                    absl::Base64Escape(absl::StrCat(pull_user, ":", pull_password)), R"("}}})")}};
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> credentials,
                       CredentialsFromSecret(kDockerConfigJsonSecretType, secret, Ref(registry, path)));
  ASSERT_TRUE(credentials.has_value());
  const RegistryAccess access{.credentials = credentials, .security = TransportSecurity::kPlainHttp};

  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Ref(registry, path), access));
  EXPECT_THAT(first.tags, UnorderedElementsAre("v1", "v2"));
  EXPECT_EQ(first.stats.requests, 3) << "401, token, retry";
  ASSERT_OK_AND_ASSIGN(TagListResult second, client->ListTags(Ref(registry, path), access));
  EXPECT_EQ(second.stats.requests, 1) << "cached token (the issuer grants 300 s)";
  ASSERT_OK_AND_ASSIGN(DigestResult digest, client->GetDigest(Ref(registry, path), access, "v1"));
  EXPECT_EQ(digest.stats.requests, 1);
  EXPECT_EQ(digest.digest, CraneDigest(registry, path + ":v1"));

  // Another repository: the challenge is known, so a token then the request, no 401.
  const std::string other = testbed::UniqueName("oci-token-other");
  ASSERT_OK(testbed::PushTags(registry, other, {"x"}));
  ASSERT_OK_AND_ASSIGN(TagListResult other_tags, client->ListTags(Ref(registry, other), access));
  EXPECT_EQ(other_tags.stats.requests, 2);

  const RegistryAccess wrong{.credentials = Credentials{.username = pull_user, .password = "wr0ng"},
                             .security = TransportSecurity::kPlainHttp};
  absl::StatusOr<TagListResult> refused = client->ListTags(Ref(registry, path), wrong);
  EXPECT_EQ(ClassifyError(refused.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(refused.status()),
              AllOf(HasSubstr("token service"), HasSubstr("refused the credentials"),
                    HasSubstr("check the bundle's registry.secretRef credentials for " + registry.host),
                    Not(HasSubstr("wr0ng"))));

  // Anonymous: the issuer hands out a token without access; the registry still says 401.
  const RegistryAccess anonymous{.security = TransportSecurity::kPlainHttp};
  absl::StatusOr<TagListResult> denied = client->ListTags(Ref(registry, path), anonymous);
  EXPECT_EQ(ClassifyError(denied.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(denied.status()), HasSubstr("set the bundle's registry.secretRef"));
}

// --- TLS -----------------------------------------------------------------------------------

TEST_F(RegistryIntegrationTest, TlsWithAndWithoutTheCa) {
  const Registry registry = Testbed(RegistryFlavour::kTls);
  const std::string path = testbed::UniqueName("oci-tls");
  ASSERT_OK(testbed::PushTags(registry, path, {"v1"}));
  auto client = NewClient();

  ASSERT_OK_AND_ASSIGN(TagListResult tags, client->ListTags(Ref(registry, path), Access(registry)));
  EXPECT_THAT(tags.tags, UnorderedElementsAre("v1"));
  ASSERT_OK_AND_ASSIGN(DigestResult digest, client->GetDigest(Ref(registry, path), Access(registry), "v1"));
  EXPECT_EQ(digest.digest, CraneDigest(registry, path + ":v1"));

  absl::StatusOr<TagListResult> untrusted = client->ListTags(Ref(registry, path), RegistryAccess{});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(ClassifyError(untrusted.status()), ErrorReason::kTls);
  EXPECT_THAT(Message(untrusted.status()),
              HasSubstr(absl::StrCat("TLS verification of ", registry.host,
                                     " failed: set registry.caSecretRef to the CA that signs it (or registry.insecure)")));

  for (TransportSecurity insecure : {TransportSecurity::kTlsSkipVerify, TransportSecurity::kInsecure}) {
    ASSERT_OK_AND_ASSIGN(TagListResult unverified,
                         client->ListTags(Ref(registry, path), RegistryAccess{.security = insecure}));
    EXPECT_THAT(unverified.tags, UnorderedElementsAre("v1"));
    EXPECT_EQ(unverified.stats.requests, 1) << "HTTPS works, no fallback to HTTP";
  }
}

}  // namespace
}  // namespace werf::oci
