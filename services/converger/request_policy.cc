#include "services/converger/request_policy.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

absl::Status CheckRequestPolicy(const api::TenancyPolicy& policy, const pb::ConvergeRequest& request,
                                const std::map<std::string, std::string>& target_annotations) {
  const std::string& bundle_namespace = request.bundle().namespace_();
  const std::string bundle = absl::StrCat("WerfBundle ", bundle_namespace, "/", request.bundle().name());
  const auto same_namespace = [&](const pb::ObjectRef& ref, const char* kind, const char* field) -> absl::Status {
    // An empty namespace means the bundle's own (the request's default).
    if (ref.name().empty() || ref.namespace_().empty() || ref.namespace_() == bundle_namespace) {
      return absl::OkStatus();
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "converge request of ", bundle, " names ", kind, " \"", ref.namespace_(), "/", ref.name(), "\" (", field,
        ") outside the bundle's namespace; a bundle uses only its own namespace's ", kind,
        "s, so nothing was read or copied"));
  };
  RETURN_IF_ERROR(same_namespace(request.access().credentials_secret(), "Secret", "registry.secretRef"));
  RETURN_IF_ERROR(same_namespace(request.access().ca_secret(), "Secret", "registry.caSecretRef"));
  for (const pb::ValuesSource& source : request.values_from()) {
    const bool secret = source.kind() == pb::VALUES_SOURCE_KIND_SECRET;
    RETURN_IF_ERROR(same_namespace(source.object(), secret ? "Secret" : "ConfigMap", "converge.valuesFrom"));
  }
  if (absl::Status s = api::CheckTarget(policy, bundle_namespace, request.target_namespace(),
                                        request.service_account_name(), target_annotations);
      !s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("converge request of ", bundle, " refused: ", s.message()));
  }
  if (absl::Status s = api::CheckImage(policy, request.image()); !s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("converge request of ", bundle, " refused: ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace werf::converger
