// For unit tests only: stands in for the API server's TokenReview and
// SubjectAccessReview in tests of the caching, scoping and re-checking logic. The real
// reviews are exercised against the test bed's API server in
// integration/gateway_auth_test.cc and integration/gateway_tenancy_test.cc.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_FAKE_ACCESS_REVIEWER_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_FAKE_ACCESS_REVIEWER_H_

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/access_control.h"

namespace werf::gateway {

class FakeReviewer : public AccessReviewer {
 public:
  FakeReviewer() { users.emplace("good", UserInfo{.username = "alice", .uid = "u1", .groups = {"devs"}, .extra = {}}); }

  absl::StatusOr<UserInfo> ReviewToken(absl::string_view token) override {
    ++token_reviews;
    if (!reachable) return absl::UnavailableError("API server down");
    const auto it = users.find(std::string(token));
    if (it == users.end()) return absl::UnauthenticatedError("bad token");
    return it->second;
  }
  absl::StatusOr<bool> ReviewAccess(const UserInfo& user, const AccessRequest& request) override {
    ++access_reviews;
    if (!reachable) return absl::UnavailableError("API server down");
    return grants.contains(std::make_tuple(user.username, request.verb, request.ns));
  }

  // Tests change these between calls (one thread: not synchronised).
  bool reachable = true;
  std::map<std::string, UserInfo> users;                                  // token -> user
  std::set<std::tuple<std::string, std::string, std::string>> grants;  // user, verb, namespace
  int token_reviews = 0;
  int access_reviews = 0;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_FAKE_ACCESS_REVIEWER_H_
