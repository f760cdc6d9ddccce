#include "libs/oci/testing/fault_registry.h"

#include <httplib.h>

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/oci/digest.h"
#include "libs/oci/url.h"
#include "nlohmann/json.hpp"

namespace werf::oci::testing {
namespace {

using Json = nlohmann::json;

std::string ErrorBody(absl::string_view code, absl::string_view message) {
  return Json{{"errors", Json::array({Json{{"code", code}, {"message", message}}})}}.dump();
}

std::string PercentDecode(absl::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    int value = 0;
    if (text[i] == '%' && i + 2 < text.size() && absl::SimpleHexAtoi(text.substr(i + 1, 2), &value)) {
      decoded.push_back(static_cast<char>(value));
      i += 2;
    } else {
      decoded.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return decoded;
}

std::multimap<std::string, std::string> ParseForm(absl::string_view body) {
  std::multimap<std::string, std::string> form;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    form.emplace(PercentDecode(kv.first), PercentDecode(kv.second));
  }
  return form;
}

// "/v2/<name>/<suffix...>" -> name and suffix, for suffixes tags/list and manifests/<ref>.
bool SplitRegistryPath(absl::string_view path, std::string& name, std::string& kind, std::string& reference) {
  if (!absl::ConsumePrefix(&path, "/v2/")) return false;
  if (absl::ConsumeSuffix(&path, "/tags/list")) {
    name = std::string(path);
    kind = "tags";
    return !name.empty();
  }
  const size_t manifests = path.rfind("/manifests/");
  if (manifests == absl::string_view::npos) return false;
  name = std::string(path.substr(0, manifests));
  kind = "manifests";
  reference = std::string(path.substr(manifests + 11));
  return !name.empty() && !reference.empty();
}

}  // namespace

FaultRegistry::FaultRegistry() = default;

absl::StatusOr<std::unique_ptr<FaultRegistry>> FaultRegistry::Start() {
  std::unique_ptr<FaultRegistry> registry(new FaultRegistry());
  registry->server_ = std::make_unique<httplib::Server>();
  FaultRegistry* self = registry.get();
  auto dispatch = [self](const httplib::Request& request, httplib::Response& response) {
    if (request.path == "/token") {
      self->HandleToken(request, response);
    } else {
      self->HandleRegistry(request, response);
    }
  };
  // Without it, delayed ACKs add ~40 ms to every answer on a reused connection.
  registry->server_->set_tcp_nodelay(true);
  registry->server_->Get(".*", dispatch);
  registry->server_->Post(".*", dispatch);
  registry->port_ = registry->server_->bind_to_any_port("127.0.0.1");
  if (registry->port_ <= 0) return absl::UnavailableError("fault registry: cannot bind 127.0.0.1");
  registry->thread_ = std::thread([server = registry->server_.get()] { server->listen_after_bind(); });
  for (int i = 0; i < 500 && !registry->server_->is_running(); ++i) absl::SleepFor(absl::Milliseconds(10));
  if (!registry->server_->is_running()) return absl::UnavailableError("fault registry did not start");
  return registry;
}

FaultRegistry::~FaultRegistry() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FaultRegistry::host() const { return absl::StrCat("127.0.0.1:", port_); }
std::string FaultRegistry::base_url() const { return absl::StrCat("http://", host()); }

void FaultRegistry::SetTags(absl::string_view repository, std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  absl::MutexLock lock(&mu_);
  repositories_[std::string(repository)].tags = std::move(tags);
}

void FaultRegistry::SetManifest(absl::string_view repository, absl::string_view tag, std::string body,
                                std::string media_type) {
  absl::MutexLock lock(&mu_);
  Repository& repo = repositories_[std::string(repository)];
  repo.manifests[std::string(tag)] = {std::move(body), std::move(media_type)};
  if (std::find(repo.tags.begin(), repo.tags.end(), tag) == repo.tags.end()) {
    repo.tags.emplace_back(tag);
    std::sort(repo.tags.begin(), repo.tags.end());
  }
}

void FaultRegistry::SetBehaviour(Behaviour behaviour) {
  absl::MutexLock lock(&mu_);
  behaviour_ = std::move(behaviour);
}

void FaultRegistry::RequireBearer(BearerAuth auth) {
  absl::MutexLock lock(&mu_);
  bearer_ = std::move(auth);
  basic_.reset();
}

void FaultRegistry::RequireBasic(std::string username, std::string password) {
  absl::MutexLock lock(&mu_);
  basic_ = {std::move(username), std::move(password)};
  bearer_.reset();
}

void FaultRegistry::RevokeTokens() {
  absl::MutexLock lock(&mu_);
  ++token_generation_;
}

void FaultRegistry::InjectFault(Fault fault, int times) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < times; ++i) faults_.push_back(fault);
}

std::vector<FaultRegistry::RecordedRequest> FaultRegistry::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int FaultRegistry::CountRequests(absl::string_view method, absl::string_view path_prefix) const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(), [&](const RecordedRequest& request) {
    return (method.empty() || request.method == method) && absl::StartsWith(request.path, path_prefix);
  }));
}

void FaultRegistry::ClearRequests() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

void FaultRegistry::Record(const httplib::Request& request) {
  RecordedRequest recorded{.method = request.method, .path = request.path, .body = request.body};
  for (const auto& [name, value] : request.params) recorded.params.emplace(name, value);
  for (const auto& [name, value] : request.headers) recorded.headers[absl::AsciiStrToLower(name)] = value;
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(recorded));
}

void FaultRegistry::HandleToken(const httplib::Request& request, httplib::Response& response) {
  Record(request);
  absl::MutexLock lock(&mu_);
  if (!bearer_.has_value()) {
    response.status = 404;
    return;
  }
  const BearerAuth& auth = *bearer_;
  bool authenticated = auth.username.empty() && auth.refresh_token.empty();
  std::multimap<std::string, std::string> params;
  if (request.method == "POST") {
    params = ParseForm(request.body);
    auto grant = params.find("grant_type");
    auto refresh = params.find("refresh_token");
    if (grant == params.end() || grant->second != "refresh_token") {
      response.status = 400;
      response.set_content(R"({"error":"unsupported_grant_type"})", "application/json");
      return;
    }
    authenticated = !auth.refresh_token.empty() && refresh != params.end() && refresh->second == auth.refresh_token;
  } else {
    for (const auto& [name, value] : request.params) params.emplace(name, value);
    const std::string authorization = request.get_header_value("Authorization");
    absl::string_view header = authorization;
    if (absl::ConsumePrefix(&header, "Basic ")) {
      std::string decoded;
      authenticated = absl::Base64Unescape(header, &decoded) && !auth.username.empty() &&
                      decoded == absl::StrCat(auth.username, ":", auth.password);
    }
  }
  auto service = params.find("service");
  if (service == params.end() || service->second != auth.service) {
    response.status = 400;
    response.set_content(ErrorBody("UNSUPPORTED", "unknown service"), "application/json");
    return;
  }
  if (!authenticated) {
    response.status = 401;
    response.set_content(ErrorBody("UNAUTHORIZED", "invalid credentials"), "application/json");
    return;
  }
  IssuedToken issued{.scopes = {}, .generation = token_generation_};
  for (auto [it, end] = params.equal_range("scope"); it != end; ++it) {
    for (absl::string_view scope : absl::StrSplit(it->second, ' ', absl::SkipEmpty())) issued.scopes.emplace(scope);
  }
  const std::string token = absl::StrCat("token-", ++next_token_);
  tokens_[token] = std::move(issued);
  Json body{{auth.access_token_field ? "access_token" : "token", token}};
  if (auth.expires_in > 0) body["expires_in"] = auth.expires_in;
  response.set_content(body.dump(), "application/json");
}

bool FaultRegistry::Authorized(const httplib::Request& request, absl::string_view repository,
                               httplib::Response& response) {
  const std::string scope = absl::StrCat("repository:", repository, ":pull");
  const std::string authorization = request.get_header_value("Authorization");
  absl::string_view header = authorization;
  if (bearer_.has_value()) {
    if (absl::ConsumePrefix(&header, "Bearer ")) {
      auto token = tokens_.find(std::string(header));
      if (token != tokens_.end() && token->second.generation == token_generation_ &&
          (repository.empty() || token->second.scopes.contains(scope))) {
        return true;
      }
    }
    std::string challenge =
        absl::StrCat("Bearer realm=\"", base_url(), "/token\",service=\"", bearer_->service, "\"");
    if (!repository.empty()) absl::StrAppend(&challenge, ",scope=\"", scope, "\"");
    response.set_header("WWW-Authenticate", challenge);
  } else if (basic_.has_value()) {
    if (header == absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(basic_->first, ":", basic_->second)))) {
      return true;
    }
    response.set_header("WWW-Authenticate", R"(Basic realm="fault-registry")");
  } else {
    return true;
  }
  response.status = 401;
  response.set_content(ErrorBody("UNAUTHORIZED", "authentication required"), "application/json");
  return false;
}

void FaultRegistry::HandleRegistry(const httplib::Request& request, httplib::Response& response) {
  Record(request);
  std::optional<Fault> fault;
  {
    absl::MutexLock lock(&mu_);
    if (!faults_.empty()) {
      fault = std::move(faults_.front());
      faults_.pop_front();
    }
  }
  if (fault.has_value() && fault->delay > absl::ZeroDuration()) absl::SleepFor(fault->delay);
  if (fault.has_value() && fault->status != 0) {
    response.status = fault->status;
    for (const auto& [name, value] : fault->headers) response.set_header(name, value);
    response.set_content(fault->body, "application/json");
    return;
  }

  absl::MutexLock lock(&mu_);
  for (const auto& [name, value] : behaviour_.extra_headers) response.set_header(name, value);
  std::string name, kind, reference;
  if (request.path == "/v2/" || request.path == "/v2") {
    if (Authorized(request, "", response)) response.set_content("{}", "application/json");
  } else if (!SplitRegistryPath(request.path, name, kind, reference)) {
    response.status = 404;
    response.set_content(ErrorBody("NOT_FOUND", "no such endpoint"), "application/json");
  } else if (Authorized(request, name, response)) {
    if (kind == "tags") {
      ServeTagList(request, name, response);
    } else {
      ServeManifest(request, name, reference, response);
    }
  }
  if (fault.has_value() && fault->truncate && !response.body.empty()) {
    auto body = std::make_shared<std::string>(std::move(response.body));
    const std::string type = response.get_header_value("Content-Type");
    response.body.clear();
    response.set_content_provider(body->size(), type,
                                  [body](size_t, size_t, httplib::DataSink& sink) {
                                    sink.write(body->data(), body->size() / 2);
                                    return false;  // closes the connection mid-body
                                  });
  }
}

void FaultRegistry::ServeTagList(const httplib::Request& request, const std::string& repository,
                                 httplib::Response& response) {
  auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) {
    response.status = 404;
    response.set_content(ErrorBody("NAME_UNKNOWN", "repository name not known to registry"), "application/json");
    return;
  }
  const std::vector<std::string>& tags = repo->second.tags;
  if (behaviour_.etags) {
    const std::string etag = absl::StrCat("\"", Sha256Hex(absl::StrJoin(tags, "\n")), "\"");
    response.set_header("ETag", etag);
    if (request.get_header_value("If-None-Match") == etag) {
      response.status = 304;
      return;
    }
  }
  size_t page_size = behaviour_.page_size;
  if (request.has_param("n")) {
    int n = 0;
    if (absl::SimpleAtoi(request.get_param_value("n"), &n) && n > 0) page_size = static_cast<size_t>(n);
  }
  auto start = tags.begin();
  if (request.has_param("last")) start = std::upper_bound(tags.begin(), tags.end(), request.get_param_value("last"));
  auto end = page_size == 0 ? tags.end() : start + std::min<ptrdiff_t>(page_size, tags.end() - start);
  Json body{{"name", repository}, {"tags", std::vector<std::string>(start, end)}};
  if (end != tags.end() && start != end && behaviour_.send_links) {
    response.set_header("Link", absl::StrCat("<", behaviour_.absolute_links ? base_url() : "", "/v2/", repository,
                                             "/tags/list?n=", page_size, "&last=", QueryEscape(*(end - 1)),
                                             ">; rel=\"next\""));
  }
  response.set_content(body.dump(), "application/json");
}

void FaultRegistry::ServeManifest(const httplib::Request& request, const std::string& repository,
                                  const std::string& tag, httplib::Response& response) {
  auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) {
    response.status = 404;
    response.set_content(ErrorBody("NAME_UNKNOWN", "repository name not known to registry"), "application/json");
    return;
  }
  if (request.method == "HEAD" && !behaviour_.head_supported) {
    response.status = 405;
    return;
  }
  auto manifest = repo->second.manifests.find(tag);
  if (manifest == repo->second.manifests.end()) {
    response.status = 404;
    response.set_content(ErrorBody("MANIFEST_UNKNOWN", "manifest unknown"), "application/json");
    return;
  }
  if (behaviour_.digest_header) response.set_header("Docker-Content-Digest", Sha256Digest(manifest->second.first));
  response.set_content(manifest->second.first, manifest->second.second);
}

}  // namespace werf::oci::testing
