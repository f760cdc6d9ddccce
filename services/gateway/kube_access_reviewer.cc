#include "services/gateway/kube_access_reviewer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/kube/api_error.h"

namespace werf::gateway {
namespace {

constexpr absl::string_view kTokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
constexpr absl::string_view kSubjectAccessReviews =
    "/apis/authorization.k8s.io/v1/subjectaccessreviews";

// The API server answered, but not with a review: the gateway's own access is wrong,
// which the caller cannot fix. Unavailable (not PermissionDenied) keeps the caller from
// thinking their own token is at fault.
absl::Status ReviewFailed(absl::string_view review, const absl::Status& status) {
  if (kube::IsApiForbidden(status)) {
    return absl::UnavailableError(absl::StrCat(
        "the gateway may not create ", review, " (", status.message(),
        "); bind its ServiceAccount to the ClusterRole system:auth-delegator"));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot ask the Kubernetes API server for a ", review, ": ", status.message()));
}

std::vector<std::string> Strings(const nlohmann::json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const nlohmann::json& item : array) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

nlohmann::json TokenReviewRequest(absl::string_view token, const std::vector<std::string>& audiences) {
  nlohmann::json spec = {{"token", std::string(token)}};
  if (!audiences.empty()) spec["audiences"] = audiences;
  return {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", spec}};
}

absl::StatusOr<UserInfo> UserFromTokenReview(const nlohmann::json& review) {
  const auto status = review.find("status");
  if (status == review.end() || !status->is_object()) {
    return absl::UnavailableError("the API server's TokenReview answer has no status");
  }
  const auto authenticated = status->find("authenticated");
  if (authenticated == status->end() || !authenticated->is_boolean() || !authenticated->get<bool>()) {
    // The API server's reason (expired, wrong audience, ...) is not echoed: it is the
    // kind of detail an attacker probing tokens should not get.
    return absl::UnauthenticatedError(
        "the bearer token was not accepted by the Kubernetes API server (TokenReview); "
        "it may be expired, revoked, or issued for another audience");
  }
  UserInfo user;
  const auto info = status->find("user");
  if (info != status->end() && info->is_object()) {
    if (const auto it = info->find("username"); it != info->end() && it->is_string()) {
      user.username = it->get<std::string>();
    }
    if (const auto it = info->find("uid"); it != info->end() && it->is_string()) {
      user.uid = it->get<std::string>();
    }
    if (const auto it = info->find("groups"); it != info->end()) user.groups = Strings(*it);
    if (const auto it = info->find("extra"); it != info->end() && it->is_object()) {
      for (const auto& [key, values] : it->items()) user.extra[key] = Strings(values);
    }
  }
  if (user.username.empty()) {
    return absl::UnauthenticatedError("the API server accepted the token but names no user");
  }
  return user;
}

nlohmann::json SubjectAccessReviewRequest(const UserInfo& user, const AccessRequest& request) {
  nlohmann::json attributes = {{"verb", request.verb}, {"group", "werf.io"},
                               {"resource", "werfbundles"}};
  if (!request.ns.empty()) attributes["namespace"] = request.ns;
  if (!request.name.empty()) attributes["name"] = request.name;
  nlohmann::json spec = {{"user", user.username}, {"resourceAttributes", attributes}};
  if (!user.uid.empty()) spec["uid"] = user.uid;
  if (!user.groups.empty()) spec["groups"] = user.groups;
  if (!user.extra.empty()) spec["extra"] = user.extra;
  return {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SubjectAccessReview"}, {"spec", spec}};
}

absl::StatusOr<bool> AllowedFromSubjectAccessReview(const nlohmann::json& review) {
  const auto status = review.find("status");
  if (status == review.end() || !status->is_object()) {
    return absl::UnavailableError("the API server's SubjectAccessReview answer has no status");
  }
  const auto allowed = status->find("allowed");
  const auto denied = status->find("denied");
  const bool is_denied = denied != status->end() && denied->is_boolean() && denied->get<bool>();
  return !is_denied && allowed != status->end() && allowed->is_boolean() && allowed->get<bool>();
}

KubeAccessReviewer::KubeAccessReviewer(std::shared_ptr<kube::RestClient> client,
                                       std::vector<std::string> audiences)
    : client_(std::move(client)), audiences_(std::move(audiences)) {}

absl::StatusOr<UserInfo> KubeAccessReviewer::ReviewToken(absl::string_view token) {
  const nlohmann::json body = TokenReviewRequest(token, audiences_);
  absl::StatusOr<nlohmann::json> review = client_->Call("POST", kTokenReviews, &body);
  if (!review.ok()) return ReviewFailed("tokenreviews.authentication.k8s.io", review.status());
  return UserFromTokenReview(*review);
}

absl::StatusOr<bool> KubeAccessReviewer::ReviewAccess(const UserInfo& user,
                                                      const AccessRequest& request) {
  const nlohmann::json body = SubjectAccessReviewRequest(user, request);
  absl::StatusOr<nlohmann::json> review = client_->Call("POST", kSubjectAccessReviews, &body);
  if (!review.ok()) {
    return ReviewFailed("subjectaccessreviews.authorization.k8s.io", review.status());
  }
  return AllowedFromSubjectAccessReview(*review);
}

}  // namespace werf::gateway
