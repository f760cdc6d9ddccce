#include "test/bench/registry_populator.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/oci/digest.h"
#include "nlohmann/json.hpp"

namespace werf::bench {
namespace {

constexpr absl::string_view kManifestType = "application/vnd.oci.image.manifest.v1+json";

// One tiny image: an empty tar (two zero blocks) as the only layer, uncompressed,
// so its digest is also its diff_id.
struct Image {
  std::string layer = std::string(1024, '\0');
  std::string layer_digest = oci::Sha256Digest(layer);
  std::string config = absl::StrCat(
      R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")",
      layer_digest, R"("]}})");
  std::string config_digest = oci::Sha256Digest(config);
  std::string manifest = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":")", kManifestType,
      R"(","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")", config_digest,
      R"(","size":)", config.size(),
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")", layer_digest,
      R"(","size":)", layer.size(), "}]}");
  std::string manifest_digest = oci::Sha256Digest(manifest);
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string location;
};

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t CaptureLocation(char* data, size_t size, size_t count, void* out) {
  absl::string_view line(data, size * count);
  if (absl::StartsWithIgnoreCase(line, "location:")) {
    *static_cast<std::string*>(out) = std::string(absl::StripAsciiWhitespace(line.substr(9)));
  }
  return size * count;
}

// One keep-alive connection's worth of libcurl, for one thread.
class Session {
 public:
  Session(std::string base_url, std::string basic_auth, std::atomic<int64_t>& requests)
      : base_url_(std::move(base_url)),
        basic_auth_(std::move(basic_auth)),
        requests_(requests),
        handle_(curl_easy_init()) {}
  ~Session() { curl_easy_cleanup(handle_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // `target` is a path ("/v2/...") or an absolute URL (an upload Location).
  absl::StatusOr<HttpResult> Send(absl::string_view method, absl::string_view target,
                                  absl::string_view body = "", absl::string_view content_type = "") {
    const std::string url = absl::StartsWith(target, "http") ? std::string(target) : absl::StrCat(base_url_, target);
    HttpResult result;
    curl_easy_reset(handle_);  // keeps the connection
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &CaptureLocation);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &result.location);
    if (!basic_auth_.empty()) {
      // Preemptive Basic on every request: what distribution's htpasswd auth accepts.
      curl_easy_setopt(handle_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(handle_, CURLOPT_USERPWD, basic_auth_.c_str());
    }
    const std::string method_name(method);
    if (method == "HEAD") {
      curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, method_name.c_str());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_slist* headers = curl_slist_append(nullptr, "Expect:");
    const std::string content_type_header =
        absl::StrCat("Content-Type: ", content_type.empty() ? "application/octet-stream" : content_type);
    headers = curl_slist_append(headers, content_type_header.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers);
    const CURLcode code = curl_easy_perform(handle_);
    curl_slist_free_all(headers);
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat(method, " ", url, ": ", curl_easy_strerror(code)));
    }
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &result.status);
    if (!result.location.empty() && absl::StartsWith(result.location, "/")) {
      result.location = absl::StrCat(base_url_, result.location);
    }
    return result;
  }

 private:
  const std::string base_url_;
  const std::string basic_auth_;
  std::atomic<int64_t>& requests_;
  CURL* const handle_;
};

absl::Status Expect(const absl::StatusOr<HttpResult>& result, long status, absl::string_view what) {
  if (!result.ok()) return result.status();
  if (result->status == status) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": HTTP ", result->status, " (expected ", status, "): ",
                                          result->body.substr(0, 300)));
}

// Finishes an upload session started at `location` with the whole blob.
absl::Status CompleteUpload(Session& session, absl::string_view location, absl::string_view digest,
                            absl::string_view content, absl::string_view repository) {
  if (location.empty()) return absl::InternalError(absl::StrCat("upload to ", repository, ": no Location"));
  const std::string url =
      absl::StrCat(location, absl::StrContains(location, "?") ? "&" : "?", "digest=", digest);
  return Expect(session.Send("PUT", url, content), 201, absl::StrCat("upload ", digest, " to ", repository));
}

absl::Status UploadBlob(Session& session, absl::string_view repository, absl::string_view digest,
                        absl::string_view content) {
  absl::StatusOr<HttpResult> head = session.Send("HEAD", absl::StrCat("/v2/", repository, "/blobs/", digest));
  if (head.ok() && head->status == 200) return absl::OkStatus();
  absl::StatusOr<HttpResult> started = session.Send("POST", absl::StrCat("/v2/", repository, "/blobs/uploads/"));
  if (absl::Status ok = Expect(started, 202, absl::StrCat("start upload to ", repository)); !ok.ok()) return ok;
  return CompleteUpload(session, started->location, digest, content, repository);
}

// Mounts a blob from `source`; a registry that refuses the mount (202) gets an upload.
absl::Status MountBlob(Session& session, absl::string_view repository, absl::string_view source,
                       absl::string_view digest, absl::string_view content, std::atomic<int>& fallbacks) {
  absl::StatusOr<HttpResult> mounted = session.Send(
      "POST", absl::StrCat("/v2/", repository, "/blobs/uploads/?mount=", digest, "&from=", source));
  if (!mounted.ok()) return mounted.status();
  if (mounted->status == 201) return absl::OkStatus();
  if (mounted->status == 202) {
    fallbacks.fetch_add(1, std::memory_order_relaxed);
    return CompleteUpload(session, mounted->location, digest, content, repository);
  }
  return Expect(mounted, 201, absl::StrCat("mount ", digest, " into ", repository));
}

absl::Status PutManifest(Session& session, absl::string_view repository, absl::string_view tag,
                         const Image& image) {
  return Expect(session.Send("PUT", absl::StrCat("/v2/", repository, "/manifests/", tag), image.manifest,
                             kManifestType),
                201, absl::StrCat("put manifest ", repository, ":", tag));
}

absl::Status PushImage(Session& session, absl::string_view repository, absl::string_view source,
                       absl::string_view tag, const Image& image, std::atomic<int>& fallbacks) {
  if (absl::Status ok = MountBlob(session, repository, source, image.config_digest, image.config, fallbacks);
      !ok.ok()) {
    return ok;
  }
  if (absl::Status ok = MountBlob(session, repository, source, image.layer_digest, image.layer, fallbacks);
      !ok.ok()) {
    return ok;
  }
  return PutManifest(session, repository, tag, image);
}

// The largest N of the marker's "n<N>" tags: repositories 0..N-1 exist.
absl::StatusOr<int> PopulatedCount(Session& session, absl::string_view marker) {
  absl::StatusOr<HttpResult> listed = session.Send("GET", absl::StrCat("/v2/", marker, "/tags/list"));
  if (!listed.ok()) return listed.status();
  if (listed->status == 404) return 0;
  if (listed->status != 200) return absl::InternalError(absl::StrCat("list ", marker, ": HTTP ", listed->status));
  const nlohmann::json body = nlohmann::json::parse(listed->body, nullptr, /*allow_exceptions=*/false);
  int populated = 0;
  if (body.is_object() && body.contains("tags") && body["tags"].is_array()) {
    for (const nlohmann::json& tag : body["tags"]) {
      if (!tag.is_string()) continue;
      absl::string_view name = tag.get_ref<const std::string&>();
      int count = 0;
      if (absl::ConsumePrefix(&name, "n") && absl::SimpleAtoi(name, &count)) populated = std::max(populated, count);
    }
  }
  return populated;
}

}  // namespace

std::string BenchRepositoryName(absl::string_view prefix, int index) {
  return absl::StrFormat("%sr%06d", prefix, index);
}

absl::StatusOr<PopulateResult> PopulateRegistry(const PopulateOptions& options) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const absl::Time start = absl::Now();
  const Image image;
  const std::string source = absl::StrCat(options.prefix, "source");
  const std::string marker = absl::StrCat(options.prefix, "marker");
  std::atomic<int64_t> requests{0};
  std::atomic<int> fallbacks{0};
  PopulateResult result;
  result.manifest_digest = image.manifest_digest;

  Session main_session(options.base_url, options.basic_auth, requests);
  absl::StatusOr<int> populated = PopulatedCount(main_session, marker);
  if (!populated.ok()) return populated.status();
  result.reused = std::min(*populated, options.repositories);
  if (*populated < options.repositories) {
    if (absl::Status ok = UploadBlob(main_session, source, image.config_digest, image.config); !ok.ok()) return ok;
    if (absl::Status ok = UploadBlob(main_session, source, image.layer_digest, image.layer); !ok.ok()) return ok;
    if (absl::Status ok = PutManifest(main_session, source, options.tag, image); !ok.ok()) return ok;

    std::atomic<int> next{*populated};
    std::atomic<int> done{0};
    std::mutex error_mu;
    absl::Status first_error;
    std::atomic<bool> failed{false};
    auto work = [&] {
      Session session(options.base_url, options.basic_auth, requests);
      while (!failed.load()) {
        const int index = next.fetch_add(1);
        if (index >= options.repositories) return;
        absl::Status pushed;
        for (int attempt = 0; attempt < 3; ++attempt) {  // a loaded registry may drop a connection
          pushed = PushImage(session, BenchRepositoryName(options.prefix, index), source, options.tag, image,
                             fallbacks);
          if (pushed.ok()) break;
          absl::SleepFor(absl::Milliseconds(200));
        }
        if (!pushed.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.ok()) first_error = pushed;
          failed = true;
          return;
        }
        const int finished = done.fetch_add(1) + 1;
        if (finished % 1000 == 0) {
          std::fprintf(stderr, "populated %d of %d repositories (%.0f s)\n",
                       *populated + finished, options.repositories, absl::ToDoubleSeconds(absl::Now() - start));
        }
      }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, options.threads); ++i) threads.emplace_back(work);
    for (std::thread& thread : threads) thread.join();
    if (!first_error.ok()) return first_error;
    result.created = done.load();
    if (absl::Status ok = PushImage(main_session, marker, source, absl::StrCat("n", options.repositories), image,
                                    fallbacks);
        !ok.ok()) {
      return ok;
    }
  }
  result.mount_fallbacks = fallbacks.load();
  result.requests = requests.load();
  result.elapsed = absl::Now() - start;
  return result;
}

}  // namespace werf::bench
