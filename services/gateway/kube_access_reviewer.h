// The AccessReviewer that asks the Kubernetes API server: TokenReview
// (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1). The
// gateway's ServiceAccount needs `create` on both, which the ClusterRole
// system:auth-delegator grants.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_KUBE_ACCESS_REVIEWER_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_KUBE_ACCESS_REVIEWER_H_

#include <memory>
#include <string>
#include <vector>

#include "libs/kube/rest_client.h"
#include "services/gateway/access_control.h"

namespace werf::gateway {

class KubeAccessReviewer final : public AccessReviewer {
 public:
  // `audiences`: when not empty, tokens must be issued for one of them.
  KubeAccessReviewer(std::shared_ptr<kube::RestClient> client, std::vector<std::string> audiences);

  absl::StatusOr<UserInfo> ReviewToken(absl::string_view token) override;
  absl::StatusOr<bool> ReviewAccess(const UserInfo& user, const AccessRequest& request) override;

 private:
  const std::shared_ptr<kube::RestClient> client_;
  const std::vector<std::string> audiences_;
};

// The request bodies and answers, exposed for tests.
nlohmann::json TokenReviewRequest(absl::string_view token, const std::vector<std::string>& audiences);
absl::StatusOr<UserInfo> UserFromTokenReview(const nlohmann::json& review);
nlohmann::json SubjectAccessReviewRequest(const UserInfo& user, const AccessRequest& request);
absl::StatusOr<bool> AllowedFromSubjectAccessReview(const nlohmann::json& review);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_KUBE_ACCESS_REVIEWER_H_
