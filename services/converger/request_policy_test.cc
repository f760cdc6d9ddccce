#include "services/converger/request_policy.h"

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::converger {
namespace {

namespace pb = ::werf::operator_::v1;
using ::testing::HasSubstr;

pb::ConvergeRequest Request() {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("web");
  request.set_target_namespace("team-a");
  request.set_service_account_name("deployer");
  request.mutable_access()->mutable_credentials_secret()->set_namespace_("team-a");
  request.mutable_access()->mutable_credentials_secret()->set_name("pull");
  pb::ValuesSource* values = request.add_values_from();
  values->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  values->mutable_object()->set_namespace_("team-a");
  values->mutable_object()->set_name("vals");
  return request;
}

struct Case {
  std::string name;
  std::function<void(pb::ConvergeRequest&)> mutate;
  std::map<std::string, std::string> annotations;
  std::string refusal;  // "" when accepted
};

class RequestPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(RequestPolicyTest, Checks) {
  const api::TenancyPolicy policy{.operator_namespace = "werf-operator-system"};
  pb::ConvergeRequest request = Request();
  GetParam().mutate(request);
  const absl::Status status = CheckRequestPolicy(policy, request, GetParam().annotations);
  if (GetParam().refusal.empty()) {
    EXPECT_TRUE(status.ok()) << status;
  } else {
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
    EXPECT_THAT(status.message(), HasSubstr(GetParam().refusal));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Requests, RequestPolicyTest,
    ::testing::Values(
        Case{"OwnNamespace", [](pb::ConvergeRequest&) {}, {}, ""},
        Case{"CredentialsOfAnotherNamespace",
             [](pb::ConvergeRequest& r) { r.mutable_access()->mutable_credentials_secret()->set_namespace_("kube-system"); },
             {}, "names Secret \"kube-system/pull\" (registry.secretRef) outside the bundle's namespace"},
        Case{"CaOfAnotherNamespace",
             [](pb::ConvergeRequest& r) {
               r.mutable_access()->mutable_ca_secret()->set_namespace_("team-b");
               r.mutable_access()->mutable_ca_secret()->set_name("ca");
             },
             {}, "registry.caSecretRef"},
        Case{"ValuesOfAnotherNamespace",
             [](pb::ConvergeRequest& r) { r.mutable_values_from(0)->mutable_object()->set_namespace_("team-b"); },
             {}, "names Secret \"team-b/vals\" (converge.valuesFrom)"},
        Case{"TargetWithoutGrant", [](pb::ConvergeRequest& r) { r.set_target_namespace("kube-system"); }, {},
             "may not deploy into namespace \"kube-system\""},
        Case{"TargetWithGrant", [](pb::ConvergeRequest& r) { r.set_target_namespace("shop"); },
             {{"werf.io/accept-bundles-from", "team-a/deployer"}}, ""},
        Case{"ImageNotAllowed", [](pb::ConvergeRequest& r) { r.set_image("evil.example.com/x:1"); }, {},
             "spec.converge.image"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace werf::converger
