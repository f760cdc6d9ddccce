// A fake OCI registry for TESTS ONLY. It stands in for faults real registries
// cannot be made to produce on demand: 429 with Retry-After, bursts of 5xx,
// answers slower than the client's timeout, truncated and malformed bodies,
// ETag/304 on tag lists (distribution 2.8 sends no ETag there), tens of
// thousands of tags paged with Link, and token expiry at a moment of the
// test's choosing. Everything a real registry does on its own is tested
// against the test bed's CNCF distribution registries instead.
//
// cpp-httplib on 127.0.0.1 with a kernel-chosen port; plain HTTP.
#ifndef WERF_OPERATOR_LIBS_OCI_TESTING_FAULT_REGISTRY_H_
#define WERF_OPERATOR_LIBS_OCI_TESTING_FAULT_REGISTRY_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace werf::oci::testing {

inline constexpr absl::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";

class FaultRegistry {
 public:
  struct Behaviour {
    // Page size when the client sends no `n`; 0 answers everything at once.
    size_t page_size = 0;
    // Link rel="next" on partial pages; without it clients must use n/last.
    bool send_links = true;
    bool absolute_links = false;
    // ETag on tag lists (a hash of the whole list) and 304 for a matching If-None-Match.
    bool etags = false;
    // Docker-Content-Digest on manifests.
    bool digest_header = true;
    // HEAD on manifests; false answers 405 like registries that lack it.
    bool head_supported = true;
    // Added to every registry answer (e.g. RateLimit-Remaining).
    std::vector<std::pair<std::string, std::string>> extra_headers{};
  };

  struct BearerAuth {
    std::string service = "fault-registry";
    // expires_in in token answers; 0 omits it.
    int expires_in = 60;
    // When set, the token endpoint wants these (HTTP Basic), or `refresh_token`
    // (OAuth2 POST); otherwise it serves anyone.
    std::string username{};
    std::string password{};
    std::string refresh_token{};
    // Answer with "access_token" instead of "token".
    bool access_token_field = false;
  };

  // Applies to the next registry requests (not token requests), in order.
  struct Fault {
    int status = 0;  // 0: answer normally (after `delay`, possibly truncated)
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    absl::Duration delay = absl::ZeroDuration();
    // Promise the normal body's Content-Length, send half of it, close.
    bool truncate = false;
  };

  struct RecordedRequest {
    std::string method{};
    std::string path{};
    std::multimap<std::string, std::string> params{};
    std::map<std::string, std::string> headers{};  // lowercase names
    std::string body{};
  };

  static absl::StatusOr<std::unique_ptr<FaultRegistry>> Start();
  ~FaultRegistry();

  FaultRegistry(const FaultRegistry&) = delete;
  FaultRegistry& operator=(const FaultRegistry&) = delete;

  std::string host() const;      // 127.0.0.1:port
  std::string base_url() const;  // http://127.0.0.1:port

  // Sorted, as distribution lists them.
  void SetTags(absl::string_view repository, std::vector<std::string> tags) ABSL_LOCKS_EXCLUDED(mu_);
  void SetManifest(absl::string_view repository, absl::string_view tag, std::string body,
                   std::string media_type = std::string(kOciManifestType)) ABSL_LOCKS_EXCLUDED(mu_);
  void SetBehaviour(Behaviour behaviour) ABSL_LOCKS_EXCLUDED(mu_);

  void RequireBearer(BearerAuth auth) ABSL_LOCKS_EXCLUDED(mu_);
  void RequireBasic(std::string username, std::string password) ABSL_LOCKS_EXCLUDED(mu_);
  // Every token issued so far stops working, as when it expires server-side.
  void RevokeTokens() ABSL_LOCKS_EXCLUDED(mu_);

  void InjectFault(Fault fault, int times = 1) ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<RecordedRequest> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  // Requests whose path starts with `path_prefix` ("" for all), any method when `method` is empty.
  int CountRequests(absl::string_view method = "", absl::string_view path_prefix = "") const ABSL_LOCKS_EXCLUDED(mu_);
  void ClearRequests() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Repository {
    std::vector<std::string> tags;
    std::map<std::string, std::pair<std::string, std::string>> manifests;  // tag -> body, media type
  };
  struct IssuedToken {
    std::set<std::string> scopes;
    int generation = 0;
  };

  FaultRegistry();

  void Record(const httplib::Request& request) ABSL_LOCKS_EXCLUDED(mu_);
  void HandleToken(const httplib::Request& request, httplib::Response& response) ABSL_LOCKS_EXCLUDED(mu_);
  void HandleRegistry(const httplib::Request& request, httplib::Response& response) ABSL_LOCKS_EXCLUDED(mu_);
  bool Authorized(const httplib::Request& request, absl::string_view repository, httplib::Response& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ServeTagList(const httplib::Request& request, const std::string& repository, httplib::Response& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ServeManifest(const httplib::Request& request, const std::string& repository, const std::string& tag,
                     httplib::Response& response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  std::map<std::string, Repository> repositories_ ABSL_GUARDED_BY(mu_);
  Behaviour behaviour_ ABSL_GUARDED_BY(mu_);
  std::optional<BearerAuth> bearer_ ABSL_GUARDED_BY(mu_);
  std::optional<std::pair<std::string, std::string>> basic_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IssuedToken> tokens_ ABSL_GUARDED_BY(mu_);
  int token_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int next_token_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Fault> faults_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci::testing

#endif  // WERF_OPERATOR_LIBS_OCI_TESTING_FAULT_REGISTRY_H_
