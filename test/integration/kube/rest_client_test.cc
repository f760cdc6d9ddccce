// werf::kube::RestClient against the test bed's real kube-apiserver: CRUD, the API errors
// operators branch on, merge and JSON patches, server-side apply ownership, the status
// subresource, and paging.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/hub/registry_access_reader.h"
#include "libs/kube/api_error.h"
#include "libs/kube/rest_client.h"
#include "libs/kube/secret_reader.h"
#include "test/integration/kube/kube_test_support.h"

namespace werf::kube_test {
namespace {

namespace pb = ::werf::operator_::v1;
using kube::resources::kConfigMaps;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(namespace_.ok()) << namespace_.status();
    ASSERT_OK_AND_ASSIGN(client_, AdminClient());
  }
  const std::string& ns() const { return namespace_.name(); }

  ScopedNamespace namespace_{"kube-rest"};
  std::shared_ptr<kube::RestClient> client_;
};

TEST_F(RestClientTest, ConfigMapCreateGetUpdateListDelete) {
  ASSERT_OK_AND_ASSIGN(const nlohmann::json created,
                       client_->Create(kConfigMaps, ns(), ConfigMap("crud", {{"v", "1"}}, {{"suite", "crud"}})));
  EXPECT_EQ(MetadataString(created, "namespace"), ns());
  EXPECT_FALSE(MetadataString(created, "uid").empty());

  ASSERT_OK_AND_ASSIGN(nlohmann::json fetched, client_->Get(kConfigMaps, ns(), "crud"));
  EXPECT_EQ(DataValue(fetched, "v"), "1");
  EXPECT_EQ(MetadataString(fetched, "resourceVersion"), MetadataString(created, "resourceVersion"));

  fetched["data"]["v"] = "2";
  ASSERT_OK_AND_ASSIGN(const nlohmann::json updated, client_->Update(kConfigMaps, ns(), fetched));
  EXPECT_EQ(DataValue(updated, "v"), "2");
  EXPECT_NE(MetadataString(updated, "resourceVersion"), MetadataString(created, "resourceVersion"));

  ASSERT_OK(client_->Create(kConfigMaps, ns(), ConfigMap("unlabelled", {{"v", "1"}})).status());
  ASSERT_OK_AND_ASSIGN(const kube::ListResult selected,
                       client_->List(kConfigMaps, ns(), {.label_selector = "suite=crud"}));
  ASSERT_EQ(selected.items.size(), 1u);
  EXPECT_EQ(MetadataString(selected.items[0], "name"), "crud");
  EXPECT_FALSE(selected.resource_version.empty());
  ASSERT_OK_AND_ASSIGN(const kube::ListResult by_field,
                       client_->List(kConfigMaps, ns(), {.field_selector = "metadata.name=unlabelled"}));
  ASSERT_EQ(by_field.items.size(), 1u);

  // A delete whose uid precondition matches goes through.
  ASSERT_OK(client_->Delete(kConfigMaps, ns(), "crud", {.precondition_uid = MetadataString(created, "uid")}));
  EXPECT_TRUE(kube::IsApiNotFound(client_->Get(kConfigMaps, ns(), "crud").status()));
}

// The errors a controller branches on, each provoked for real.
struct ApiErrorCase {
  std::string name;
  // Given the client, the namespace and an existing ConfigMap "existing", provokes the error.
  std::function<absl::Status(kube::RestClient&, const std::string& ns, const nlohmann::json& existing)> provoke;
  std::function<bool(const absl::Status&)> classifier;
  std::string reason;
  absl::StatusCode code;
};

TEST_F(RestClientTest, ApiErrorsKeepReasonAndAreClassified) {
  ASSERT_OK_AND_ASSIGN(const nlohmann::json existing,
                       client_->Create(kConfigMaps, ns(), ConfigMap("existing", {{"v", "1"}})));
  // Move the object on, so that `existing` now carries a stale resourceVersion.
  ASSERT_OK(
      client_->Patch(kConfigMaps, ns(), "existing", kube::PatchType::kMerge, {{"data", {{"v", "2"}}}}).status());

  const std::vector<ApiErrorCase> cases = {
      {"get of a missing object",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json&) {
         return c.Get(kConfigMaps, n, "no-such-configmap").status();
       },
       kube::IsApiNotFound, "NotFound", absl::StatusCode::kNotFound},
      {"create of an existing name",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json&) {
         return c.Create(kConfigMaps, n, ConfigMap("existing", {{"v", "x"}})).status();
       },
       kube::IsApiAlreadyExists, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {"update with a stale resourceVersion",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json& stale) {
         nlohmann::json edited = stale;
         edited["data"]["v"] = "lost update";
         return c.Update(kConfigMaps, n, edited).status();
       },
       kube::IsApiConflict, "Conflict", absl::StatusCode::kAborted},
      {"delete with a uid precondition that does not match",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json&) {
         return c.Delete(kConfigMaps, n, "existing", {.precondition_uid = "00000000-0000-0000-0000-000000000000"});
       },
       kube::IsApiConflict, "Conflict", absl::StatusCode::kAborted},
      {"delete with a resourceVersion precondition that does not match",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json& stale) {
         return c.Delete(kConfigMaps, n, "existing",
                         {.precondition_resource_version = MetadataString(stale, "resourceVersion")});
       },
       kube::IsApiConflict, "Conflict", absl::StatusCode::kAborted},
      {"create with an invalid name",
       [](kube::RestClient& c, const std::string& n, const nlohmann::json&) {
         return c.Create(kConfigMaps, n, ConfigMap("Not_A_DNS_Name", {})).status();
       },
       kube::IsApiInvalid, "Invalid", absl::StatusCode::kInvalidArgument},
  };
  for (const ApiErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const absl::Status status = test_case.provoke(*client_, ns(), existing);
    ASSERT_FALSE(status.ok());
    EXPECT_TRUE(test_case.classifier(status)) << status;
    EXPECT_EQ(kube::KubernetesReason(status), test_case.reason) << status;
    EXPECT_EQ(status.code(), test_case.code) << status;
    // The message names the request, so a log line says what failed.
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("/api/v1/namespaces/" + ns()));
  }
  // None of the refused deletes or updates touched the object.
  ASSERT_OK_AND_ASSIGN(const nlohmann::json after, client_->Get(kConfigMaps, ns(), "existing"));
  EXPECT_EQ(DataValue(after, "v"), "2");
  EXPECT_EQ(MetadataString(after, "uid"), MetadataString(existing, "uid"));
}

TEST_F(RestClientTest, ReadSecretDecodesAndExplainsWhatIsMissing) {
  ASSERT_OK(client_
                ->Create(kube::resources::kSecrets, ns(),
                         {{"apiVersion", "v1"},
                          {"kind", "Secret"},
                          {"metadata", {{"name", "hook"}}},
                          {"type", "Opaque"},
                          {"stringData", {{"url", "https://hooks.test/s3cr3t"}}}})
                .status());
  ASSERT_OK_AND_ASSIGN(kube::SecretContent secret,
                       kube::ReadSecret(*client_, ns(), "hook", "notification sink \"chat\"", "the controller"));
  EXPECT_EQ(secret.type, "Opaque");
  EXPECT_EQ(secret.data["url"], "https://hooks.test/s3cr3t");

  absl::StatusOr<kube::SecretContent> missing =
      kube::ReadSecret(*client_, ns(), "nope", "notification sink \"chat\"", "the controller");
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status())) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr(absl::StrCat("notification sink \"chat\" Secret \"nope\" in namespace \"", ns(),
                                                "\" not found: create it or fix the bundle")));
}

// The poller's reader of registry Secrets: with the controller's secrets_version it reads
// a Secret once per version, not once per poll.
TEST_F(RestClientTest, RegistryAccessReaderKeepsWhatItReadUntilTheSecretsVersionChanges) {
  auto basic_auth = [&](const std::string& password) {
    return nlohmann::json{{"apiVersion", "v1"},
                          {"kind", "Secret"},
                          {"metadata", {{"name", "pull"}, {"namespace", ns()}}},
                          {"type", "kubernetes.io/basic-auth"},
                          {"stringData", {{"username", "robot"}, {"password", password}}}};
  };
  ASSERT_OK(client_->Create(kube::resources::kSecrets, ns(), basic_auth("first")).status());
  hub::RegistryAccessReader reader(client_);
  pb::TrackRepository track;
  track.set_key("registry.test/app#pull");
  track.set_repository("registry.test/app");
  track.mutable_access()->mutable_credentials_secret()->set_namespace_(ns());
  track.mutable_access()->mutable_credentials_secret()->set_name("pull");
  auto password = [&]() -> std::string {
    absl::StatusOr<oci::RegistryAccess> access = reader.Read(track);
    if (!access.ok() || !access->credentials.has_value()) return access.status().ToString();
    return access->credentials->password;
  };

  // Without a version (an older controller): every read goes to the API server.
  EXPECT_EQ(password(), "first");
  EXPECT_EQ(password(), "first");
  EXPECT_EQ(reader.secret_reads(), 2);

  track.mutable_access()->set_secrets_version("1");
  EXPECT_EQ(password(), "first");
  EXPECT_EQ(password(), "first");
  EXPECT_EQ(reader.secret_reads(), 3) << "one read for version 1";

  ASSERT_OK(client_->Update(kube::resources::kSecrets, ns(), basic_auth("rotated")).status());
  EXPECT_EQ(password(), "first") << "the version has not changed yet: what was read is kept";
  track.mutable_access()->set_secrets_version("2");
  EXPECT_EQ(password(), "rotated");
  EXPECT_EQ(reader.secret_reads(), 4);

  track.mutable_access()->set_plain_http(true);
  ASSERT_OK_AND_ASSIGN(oci::RegistryAccess plain, reader.Read(track));
  EXPECT_EQ(plain.security, oci::TransportSecurity::kPlainHttp) << "transport settings are never kept";
  EXPECT_EQ(reader.secret_reads(), 4);

  reader.Forget(track.key());
  EXPECT_EQ(password(), "rotated");
  EXPECT_EQ(reader.secret_reads(), 5) << "forgotten on untrack, read again";
}

TEST_F(RestClientTest, MergePatchAndJsonPatch) {
  ASSERT_OK(client_->Create(kConfigMaps, ns(), ConfigMap("patched", {{"keep", "k"}, {"drop", "d"}, {"v", "1"}}))
                .status());

  // RFC 7386: null removes a key, other keys are merged.
  ASSERT_OK_AND_ASSIGN(
      const nlohmann::json merged,
      client_->Patch(kConfigMaps, ns(), "patched", kube::PatchType::kMerge,
                     {{"data", {{"drop", nullptr}, {"v", "2"}, {"added", "a"}}}, {"metadata", {{"labels", {{"l", "x"}}}}}}));
  EXPECT_EQ(merged["data"], nlohmann::json({{"keep", "k"}, {"v", "2"}, {"added", "a"}}));
  EXPECT_EQ(merged["metadata"]["labels"]["l"], "x");

  // RFC 6902, guarded by a test operation.
  const nlohmann::json json_patch = nlohmann::json::array({
      {{"op", "test"}, {"path", "/data/v"}, {"value", "2"}},
      {{"op", "replace"}, {"path", "/data/v"}, {"value", "3"}},
      {{"op", "remove"}, {"path", "/data/added"}},
      {{"op", "add"}, {"path", "/data/new"}, {"value", "n"}},
  });
  ASSERT_OK_AND_ASSIGN(const nlohmann::json patched,
                       client_->Patch(kConfigMaps, ns(), "patched", kube::PatchType::kJson, json_patch));
  EXPECT_EQ(patched["data"], nlohmann::json({{"keep", "k"}, {"v", "3"}, {"new", "n"}}));

  // The same patch again fails its test operation and changes nothing.
  const absl::Status refused = client_->Patch(kConfigMaps, ns(), "patched", kube::PatchType::kJson, json_patch).status();
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(kube::HttpCode(refused), 422) << refused;
  ASSERT_OK_AND_ASSIGN(const nlohmann::json unchanged, client_->Get(kConfigMaps, ns(), "patched"));
  EXPECT_EQ(unchanged["data"], patched["data"]);
}

// The data keys that `manager` owns through server-side apply, per metadata.managedFields.
std::set<std::string> AppliedDataKeys(const nlohmann::json& object, const std::string& manager) {
  std::set<std::string> keys;
  for (const nlohmann::json& entry : object["metadata"].value("managedFields", nlohmann::json::array())) {
    if (entry.value("manager", "") != manager || entry.value("operation", "") != "Apply") continue;
    const nlohmann::json data = entry["fieldsV1"].value("f:data", nlohmann::json::object());
    for (const auto& [field, unused] : data.items()) {
      if (field.rfind("f:", 0) == 0) keys.insert(field.substr(2));
    }
  }
  return keys;
}

TEST_F(RestClientTest, ServerSideApplyTracksFieldOwnershipAcrossManagers) {
  ASSERT_OK_AND_ASSIGN(const nlohmann::json first,
                       client_->Apply(kConfigMaps, ns(), "owned", ConfigMap("owned", {{"a", "alice"}, {"b", "alice"}}),
                                      "alice", /*force=*/false));
  EXPECT_THAT(AppliedDataKeys(first, "alice"), UnorderedElementsAre("a", "b"));

  // Bob wants another value for a field Alice owns: a conflict naming the field, unless forced.
  const nlohmann::json bobs = ConfigMap("owned", {{"b", "bob"}, {"c", "bob"}});
  const absl::Status conflict = client_->Apply(kConfigMaps, ns(), "owned", bobs, "bob", /*force=*/false).status();
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(kube::IsApiConflict(conflict)) << conflict;
  EXPECT_THAT(std::string(conflict.message()), ::testing::HasSubstr(".data.b"));
  ASSERT_OK_AND_ASSIGN(const nlohmann::json untouched, client_->Get(kConfigMaps, ns(), "owned"));
  EXPECT_EQ(untouched["data"], nlohmann::json({{"a", "alice"}, {"b", "alice"}}));

  ASSERT_OK_AND_ASSIGN(const nlohmann::json forced,
                       client_->Apply(kConfigMaps, ns(), "owned", bobs, "bob", /*force=*/true));
  EXPECT_EQ(forced["data"], nlohmann::json({{"a", "alice"}, {"b", "bob"}, {"c", "bob"}}));
  EXPECT_THAT(AppliedDataKeys(forced, "alice"), ElementsAre("a"));
  EXPECT_THAT(AppliedDataKeys(forced, "bob"), UnorderedElementsAre("b", "c"));

  // Agreeing on a value is shared ownership, not a conflict.
  ASSERT_OK_AND_ASSIGN(const nlohmann::json shared,
                       client_->Apply(kConfigMaps, ns(), "owned", ConfigMap("owned", {{"a", "alice"}, {"c", "bob"}}),
                                      "alice", /*force=*/false));
  EXPECT_THAT(AppliedDataKeys(shared, "alice"), UnorderedElementsAre("a", "c"));
  EXPECT_THAT(AppliedDataKeys(shared, "bob"), UnorderedElementsAre("b", "c"));
}

TEST_F(RestClientTest, StatusSubresourceSeparatesSpecFromStatus) {
  ASSERT_OK(EnsureWidgetCrd(*client_));
  nlohmann::json widget = Widget("w", {{"size", 1}});
  widget["status"] = {{"phase", "set on create"}};
  ASSERT_OK_AND_ASSIGN(nlohmann::json created, client_->Create(kWidgets, ns(), widget));
  EXPECT_FALSE(created.contains("status")) << "with a status subresource, create ignores status: " << created;
  EXPECT_EQ(created["metadata"]["generation"], 1);

  // Through /status: status changes, the spec change in the same body is ignored.
  created["status"] = {{"phase", "Ready"}};
  created["spec"]["size"] = 99;
  ASSERT_OK_AND_ASSIGN(nlohmann::json after_status, client_->UpdateStatus(kWidgets, ns(), created));
  EXPECT_EQ(after_status["status"]["phase"], "Ready");
  EXPECT_EQ(after_status["spec"]["size"], 1);
  EXPECT_EQ(after_status["metadata"]["generation"], 1);

  // Through the main resource: the spec changes, the status change is ignored.
  after_status["spec"]["size"] = 2;
  after_status["status"]["phase"] = "overwritten through the main resource";
  ASSERT_OK_AND_ASSIGN(const nlohmann::json after_spec, client_->Update(kWidgets, ns(), after_status));
  EXPECT_EQ(after_spec["spec"]["size"], 2);
  EXPECT_EQ(after_spec["status"]["phase"], "Ready");
  EXPECT_EQ(after_spec["metadata"]["generation"], 2);

  // A merge patch and a server-side apply on /status behave the same way.
  ASSERT_OK_AND_ASSIGN(const nlohmann::json patched,
                       client_->Patch(kWidgets, ns(), "w", kube::PatchType::kMerge,
                                      {{"status", {{"observedGeneration", 2}}}, {"spec", {{"size", 7}}}}, "status"));
  EXPECT_EQ(patched["status"], nlohmann::json({{"phase", "Ready"}, {"observedGeneration", 2}}));
  EXPECT_EQ(patched["spec"]["size"], 2);
  nlohmann::json status_apply = Widget("w", nlohmann::json::object());
  status_apply.erase("spec");
  status_apply["status"] = {{"phase", "Applied"}};
  ASSERT_OK_AND_ASSIGN(const nlohmann::json applied,
                       client_->Apply(kWidgets, ns(), "w", status_apply, "status-writer", /*force=*/true, "status"));
  EXPECT_EQ(applied["status"]["phase"], "Applied");
  EXPECT_EQ(applied["spec"]["size"], 2);

  ASSERT_OK_AND_ASSIGN(const nlohmann::json status_only, client_->Get(kWidgets, ns(), "w", "status"));
  EXPECT_EQ(status_only["status"]["phase"], "Applied");
}

TEST_F(RestClientTest, ListAllPagesThroughAThousandConfigMaps) {
  constexpr int kCount = 1000;
  constexpr int kPageSize = 100;
  ASSERT_OK_AND_ASSIGN(const std::shared_ptr<kube::RestClient> setup, UnthrottledAdminClient());
  ASSERT_OK(CreateInParallel(*setup, kConfigMaps, ns(), kCount, 16, [](int i) {
    return ConfigMap(absl::StrFormat("page-%04d", i), {{"i", absl::StrCat(i)}}, {{"paging", "yes"}});
  }));

  const kube::ListOptions options{.label_selector = "paging=yes", .limit = kPageSize};
  const int64_t before = client_->requests_sent();
  ASSERT_OK_AND_ASSIGN(const kube::ListResult all, client_->ListAll(kConfigMaps, ns(), options));
  const int64_t list_all_requests = client_->requests_sent() - before;

  std::set<std::string> names;
  for (const nlohmann::json& item : all.items) names.insert(MetadataString(item, "name"));
  EXPECT_EQ(all.items.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(names.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(*names.begin(), "page-0000");
  EXPECT_EQ(*names.rbegin(), "page-0999");
  EXPECT_FALSE(all.resource_version.empty());
  EXPECT_TRUE(all.continue_token.empty());

  // Walk the pages by hand: ListAll must have sent exactly one request per page.
  int pages = 0;
  size_t items = 0;
  kube::ListOptions page_options = options;
  do {
    ASSERT_OK_AND_ASSIGN(const kube::ListResult page, client_->List(kConfigMaps, ns(), page_options));
    EXPECT_LE(page.items.size(), static_cast<size_t>(kPageSize));
    items += page.items.size();
    page_options.continue_token = page.continue_token;
    ++pages;
    ASSERT_LT(pages, 100) << "paging does not end";
  } while (!page_options.continue_token.empty());
  EXPECT_EQ(items, static_cast<size_t>(kCount));
  EXPECT_GE(pages, kCount / kPageSize);
  EXPECT_EQ(list_all_requests, pages);

  // ListEach hands items over page by page: by the time the second page is asked for,
  // the first page's items have been handed over (nothing is held whole).
  std::vector<int64_t> requests_at_item;
  const int64_t each_before = client_->requests_sent();
  ASSERT_OK_AND_ASSIGN(const std::string resource_version,
                       client_->ListEach(kConfigMaps, ns(), options, [&](nlohmann::json item) {
                         EXPECT_TRUE(item["metadata"].contains("name"));
                         requests_at_item.push_back(client_->requests_sent() - each_before);
                       }));
  EXPECT_FALSE(resource_version.empty());
  ASSERT_EQ(requests_at_item.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(requests_at_item.front(), 1) << "the first page's items came before the second request";
  EXPECT_EQ(requests_at_item.back(), pages);
}

}  // namespace
}  // namespace werf::kube_test
