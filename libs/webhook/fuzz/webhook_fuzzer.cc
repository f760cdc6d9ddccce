// libFuzzer target for every webhook parser. The first byte picks the parser, the
// second the headers it gets (event kind, CloudEvents mode); the rest is the body.
// The signature check runs on every input too, with the body as its header.
// Besides crashes, sanitizer reports and escaping exceptions, traps when a parser
// breaks its promises: errors are InvalidArgument with a short message, events
// are canonical, valid and unique.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "libs/oci/reference.h"
#include "libs/webhook/cloudevents.h"
#include "libs/webhook/distribution.h"
#include "libs/webhook/dockerhub.h"
#include "libs/webhook/generic.h"
#include "libs/webhook/github.h"
#include "libs/webhook/gitlab.h"
#include "libs/webhook/harbor.h"
#include "libs/webhook/quay.h"
#include "libs/webhook/signature.h"

namespace {

using werf::webhook::Delivery;
using werf::webhook::Parser;
using werf::webhook::RepositoryEvent;

// Parser order matches run_fuzzer.sh's seed naming.
constexpr Parser kParsers[] = {
    &werf::webhook::ParseDistribution, &werf::webhook::ParseGitHub, &werf::webhook::ParseHarbor,
    &werf::webhook::ParseDockerHub,    &werf::webhook::ParseQuay,   &werf::webhook::ParseGitLab,
    &werf::webhook::ParseCloudEvents,  &werf::webhook::ParseGeneric,
};

std::map<std::string, std::string> Headers(size_t parser, uint8_t variant) {
  if (parser == 1) {
    static const char* const kEvents[] = {"package", "registry_package", "ping", "push"};
    return {{"x-github-event", kEvents[variant % 4]}};
  }
  if (parser == 5 && variant % 2 == 1) return {{"x-gitlab-event", "Push Hook"}};
  if (parser == 6) {
    switch (variant % 4) {
      case 0: return {{"content-type", "application/cloudevents+json"}};
      case 1: return {{"content-type", "application/cloudevents-batch+json"}};
      case 2:
        return {{"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "/s"},
                {"ce-type", variant & 4 ? "harbor.artifact.pushed" : "t"}, {"content-type", "application/json"}};
      default: return {{"content-type", "application/json"}};
    }
  }
  return {};
}

void Check(const absl::StatusOr<std::vector<RepositoryEvent>>& result) {
  if (!result.ok()) {
    if (result.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    if (result.status().message().empty() || result.status().message().size() > 1024) __builtin_trap();
    return;
  }
  std::set<std::tuple<std::string, std::string, bool, std::string>> seen;
  for (const RepositoryEvent& event : *result) {
    if (event.registry.empty() || event.repository.empty()) __builtin_trap();
    if (werf::oci::CanonicalRegistry(event.registry) != event.registry) __builtin_trap();
    absl::StatusOr<werf::oci::RepositoryRef> ref = werf::oci::RepositoryRef::Create(event.registry, event.repository);
    if (!ref.ok() || ref->registry() != event.registry || ref->path() != event.repository) __builtin_trap();
    if (event.tag.has_value() && !werf::oci::ValidateTag(*event.tag).ok()) __builtin_trap();
    if (!seen.emplace(event.registry, event.repository, event.tag.has_value(), event.tag.value_or("")).second) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t parser = data[0] % (sizeof(kParsers) / sizeof(kParsers[0]));
  Delivery delivery{.headers = Headers(parser, data[1]),
                    .body = std::string(reinterpret_cast<const char*>(data + 2), size - 2)};
  Check(kParsers[parser](delivery));

  const std::string_view body = delivery.body;
  if (werf::webhook::VerifyHubSignature256("", body, body)) __builtin_trap();
  if (werf::webhook::VerifySharedToken("", body)) __builtin_trap();
  const std::string signature = "sha256=" + werf::webhook::HmacSha256Hex("fuzz", body);
  if (!werf::webhook::VerifyHubSignature256("fuzz", body, signature)) __builtin_trap();
  if (werf::webhook::VerifyHubSignature256("fuzz", body, body) && body != signature) __builtin_trap();
  return 0;
}
