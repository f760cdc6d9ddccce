#include "test/integration/testbed/testbed_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "libs/common/status_context.h"
#include "nlohmann/json.hpp"

namespace werf::testbed {

#ifndef WERF_TESTBED_SCRIPT
#error "WERF_TESTBED_SCRIPT must name the testbed script (set by CMakeLists.txt)"
#endif

#ifndef WERF_TESTBED_SOURCE_DIR
#error "WERF_TESTBED_SOURCE_DIR must name test/integration/testbed (set by CMakeLists.txt)"
#endif

std::string TestbedScript() {
  const char* override_path = std::getenv("WERF_TESTBED_SCRIPT");
  return override_path != nullptr && *override_path != '\0' ? override_path : WERF_TESTBED_SCRIPT;
}

namespace {

bool EnvFlag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && (absl::string_view(value) == "1" || absl::string_view(value) == "true");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Unquotes one shell word as `testbed env` writes it: '...' segments, "..." segments (taken
// literally: the only double-quoted line is PATH, which is handled separately) and \x escapes.
std::string ShellUnquote(absl::string_view word) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if (c == '\'' || c == '"') {
      const size_t end = word.find(c, i + 1);
      const size_t stop = end == absl::string_view::npos ? word.size() : end;
      out.append(word.data() + i + 1, stop - i - 1);
      i = stop;
    } else if (c == '\\' && i + 1 < word.size()) {
      out.push_back(word[++i]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void SetEnv(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }

// Makes the test bed's variables visible to this process and to its children.
void Export(const TestbedEnv& env) {
  for (const auto& [name, value] : env.vars()) {
    if (name != "PATH") SetEnv(name, value);
  }
  const std::string tools = env.Value("WERF_TESTBED_PATH");
  const char* path = std::getenv("PATH");
  const std::string current = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  if (!tools.empty() && !absl::StartsWith(current, tools + ":")) SetEnv("PATH", absl::StrCat(tools, ":", current));
}

std::string Tail(absl::string_view text, size_t max_chars = 4000) {
  return std::string(text.size() > max_chars ? text.substr(text.size() - max_chars) : text);
}

absl::StatusOr<TestbedEnv> LoadTestbed() {
  const std::string script = TestbedScript();
  std::string env_text;
  const char* env_file = std::getenv("WERF_TESTBED_ENV");
  const bool reuse = (env_file != nullptr && *env_file != '\0') || EnvFlag("WERF_TESTBED_REUSE");
  if (env_file != nullptr && *env_file != '\0') {
    auto text = ReadFile(env_file);
    if (!text.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("WERF_TESTBED_ENV names a file that cannot be read (", text.status().message(),
                       "); write it with `testbed env > FILE` or unset WERF_TESTBED_ENV"));
    }
    env_text = *std::move(text);
  } else if (reuse) {
    auto env = RunCommand({script, "env"});
    if (!env.ok()) return env.status();
    if (env->exit_code != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("WERF_TESTBED_REUSE=1 but `testbed env` failed (is the test bed up?): ", Tail(env->err)));
    }
    env_text = env->out;
  } else {
    // Cold tool builds take tens of minutes; CTest builds them first (fixture testbed_build_tools).
    RunOptions options;
    options.timeout = absl::Minutes(60);
    std::fprintf(stderr, "[testbed] %s up\n", script.c_str());
    auto up = RunCommand({script, "up"}, options);
    if (!up.ok()) return up.status();
    if (up->exit_code != 0) {
      return absl::UnavailableError(
          absl::StrCat("`", script, " up` failed with exit code ", up->exit_code, ":\n", Tail(up->err)));
    }
    env_text = up->out;
  }
  auto env = TestbedEnv::Parse(env_text);
  if (!env.ok()) return env.status();
  if (reuse) {
    // A reused test bed must be healthy: a dead component is reported, never papered over.
    RunOptions options;
    options.env = {{"WERF_TESTBED_DIR", env->Value("WERF_TESTBED_DIR")}};
    auto status = RunCommand({script, "status"}, options);
    if (!status.ok()) return status.status();
    if (status->exit_code != 0) {
      return absl::UnavailableError(absl::StrCat(
          "the reused test bed is not healthy; run `testbed up` to restart what died:\n", status->out, status->err));
    }
  }
  Export(*env);
  return env;
}

struct TestbedState {
  std::once_flag once;
  absl::StatusOr<TestbedEnv> env = absl::UnknownError("not loaded");
};

TestbedState& State() {
  static auto* state = new TestbedState;
  return *state;
}

class TestbedEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto env = EnsureTestbed();
    if (!env.ok()) GTEST_FAIL() << "test bed unavailable: " << env.status();
  }
};

[[maybe_unused]] const bool kRegistered = [] {
  RegisterTestbedEnvironment();
  return true;
}();

// A temporary directory removed at process exit.
class TempDirs {
 public:
  absl::StatusOr<std::string> Make(absl::string_view prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / absl::StrCat(prefix, "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
    }
    std::lock_guard<std::mutex> lock(mu_);
    dirs_.push_back(pattern);
    return pattern;
  }
  ~TempDirs() {
    for (const auto& dir : dirs_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

TempDirs& Temps() {
  static TempDirs dirs;
  return dirs;
}

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

// --- TestbedEnv -----------------------------------------------------------------------

absl::StatusOr<TestbedEnv> TestbedEnv::Parse(absl::string_view env_sh) {
  TestbedEnv env;
  for (absl::string_view line : absl::StrSplit(env_sh, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    if (!absl::ConsumePrefix(&line, "export ")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected line in testbed env output: ", line));
    }
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("no NAME=value in testbed env line: ", line));
    }
    env.vars_[std::string(line.substr(0, eq))] = ShellUnquote(line.substr(eq + 1));
  }
  for (const char* required : {"KUBECONFIG", "WERF_TESTBED_DIR", "WERF_TESTBED_PATH"}) {
    if (!env.vars_.contains(required)) {
      return absl::InvalidArgumentError(absl::StrCat("testbed env output lacks ", required));
    }
  }
  return env;
}

absl::StatusOr<std::string> TestbedEnv::Get(absl::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) {
    return absl::NotFoundError(absl::StrCat("the test bed does not export ", name, "; is testbed up to date?"));
  }
  return it->second;
}

std::string TestbedEnv::Value(absl::string_view name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

absl::StatusOr<const TestbedEnv*> EnsureTestbed() {
  TestbedState& state = State();
  std::call_once(state.once, [&state] { state.env = LoadTestbed(); });
  if (!state.env.ok()) return state.env.status();
  return &*state.env;
}

const TestbedEnv& Env() {
  auto env = EnsureTestbed();
  if (!env.ok()) {
    std::fprintf(stderr, "werf::testbed::Env(): %s\n", env.status().ToString().c_str());
    std::abort();
  }
  return **env;
}

void RegisterTestbedEnvironment() {
  static const bool registered = [] {
    ::testing::AddGlobalTestEnvironment(new TestbedEnvironment);
    return true;
  }();
  (void)registered;
}

// --- commands -------------------------------------------------------------------------

// --- Kubernetes -----------------------------------------------------------------------

absl::StatusOr<std::string> Kubectl(const std::vector<std::string>& args, const RunOptions& options) {
  auto env = EnsureTestbed();
  if (!env.ok()) return env.status();
  std::vector<std::string> argv = {"kubectl", "--kubeconfig", (*env)->Value("KUBECONFIG")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommandOk(argv, options);
}

absl::Status ApplyYaml(absl::string_view yaml) {
  RunOptions options;
  options.stdin_data = std::string(yaml);
  auto out = Kubectl({"apply", "-f", "-"}, options);
  return out.ok() ? absl::OkStatus() : out.status();
}

absl::StatusOr<std::string> GetJsonPath(const ObjectRef& object, absl::string_view jsonpath) {
  std::vector<std::string> args = {"get", object.kind, object.name, "-o", absl::StrCat("jsonpath=", jsonpath)};
  if (!object.ns.empty()) args.insert(args.end(), {"-n", object.ns});
  return Kubectl(args);
}

absl::Status WaitFor(absl::string_view what, absl::FunctionRef<absl::StatusOr<bool>()> condition,
                     absl::Duration timeout, absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last_error = absl::OkStatus();
  while (true) {
    absl::StatusOr<bool> done = condition();
    if (done.ok() && *done) return absl::OkStatus();
    if (!done.ok()) last_error = done.status();
    if (absl::Now() >= deadline) break;
    absl::SleepFor(interval);
  }
  return absl::DeadlineExceededError(absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ",
                                                  what, last_error.ok() ? "" : "; last error: ", last_error.message()));
}

absl::StatusOr<std::string> WaitForJsonPath(const ObjectRef& object, absl::string_view jsonpath,
                                            absl::string_view expected, absl::Duration timeout) {
  std::string last = "<never read>";
  absl::Status status = WaitFor(
      absl::StrCat(object.kind, "/", object.name, " ", jsonpath, " == \"", expected, "\""),
      [&]() -> absl::StatusOr<bool> {
        auto value = GetJsonPath(object, jsonpath);
        if (!value.ok()) return value.status();
        last = *value;
        return last == expected;
      },
      timeout);
  if (!status.ok()) return absl::DeadlineExceededError(absl::StrCat(status.message(), " (last value: \"", last, "\")"));
  return last;
}

absl::Status WaitForDeleted(const ObjectRef& object, absl::Duration timeout) {
  return WaitFor(
      absl::StrCat(object.kind, "/", object.name, " to be deleted"),
      [&]() -> absl::StatusOr<bool> {
        std::vector<std::string> args = {"get", object.kind, object.name, "--ignore-not-found", "-o", "name"};
        if (!object.ns.empty()) args.insert(args.end(), {"-n", object.ns});
        auto out = Kubectl(args);
        if (!out.ok()) return out.status();
        return absl::StripAsciiWhitespace(*out).empty();
      },
      timeout);
}

absl::StatusOr<std::string> MintServiceAccountToken(absl::string_view ns, absl::string_view service_account,
                                                    absl::Duration lifetime,
                                                    const std::vector<std::string>& audiences) {
  std::vector<std::string> args = {
      "create", "token",         std::string(service_account),
      "-n",     std::string(ns), absl::StrCat("--duration=", absl::ToInt64Seconds(lifetime), "s")};
  for (const auto& audience : audiences) args.push_back(absl::StrCat("--audience=", audience));
  auto out = Kubectl(args);
  if (!out.ok()) return out.status();
  return std::string(absl::StripAsciiWhitespace(*out));
}

absl::StatusOr<std::string> SignServiceAccountToken(absl::string_view ns, absl::string_view service_account,
                                                    absl::Time expires) {
  auto env = EnsureTestbed();
  if (!env.ok()) return env.status();
  auto uid = Kubectl({"get", "serviceaccount", std::string(service_account), "-n", std::string(ns), "-o",
                      "jsonpath={.metadata.uid}"});
  if (!uid.ok()) return uid.status();
  // The issuer as the API server announces it (its --service-account-issuer), which is
  // also its default audience.
  auto discovery = Kubectl({"get", "--raw", "/.well-known/openid-configuration"});
  if (!discovery.ok()) return discovery.status();
  const nlohmann::json announced = nlohmann::json::parse(*discovery, nullptr, false);
  if (!announced.is_object() || !announced.contains("issuer")) {
    return absl::InternalError(absl::StrCat("no issuer in the API server's OpenID configuration: ", *discovery));
  }
  const std::string issuer = announced["issuer"].get<std::string>();
  const int64_t exp = absl::ToUnixSeconds(expires);
  const int64_t issued = std::min(absl::ToUnixSeconds(absl::Now()), exp - 600);
  const nlohmann::json claims = {
      {"aud", nlohmann::json::array({issuer})},
      {"exp", exp},
      {"iat", issued},
      {"nbf", issued},
      {"iss", issuer},
      {"jti", UniqueName("testbed-token")},
      {"sub", absl::StrCat("system:serviceaccount:", ns, ":", service_account)},
      {"kubernetes.io",
       {{"namespace", ns}, {"serviceaccount", {{"name", service_account}, {"uid", std::string(absl::StripAsciiWhitespace(*uid))}}}}}};
  const std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"RS256","typ":"JWT"})"), ".",
                   absl::WebSafeBase64Escape(claims.dump()));
  const std::string key = absl::StrCat((*env)->Value("WERF_TESTBED_DIR"), "/pki/sa.key");
  auto signature = RunCommandOk({"openssl", "dgst", "-sha256", "-sign", key},
                                {.stdin_data = signing_input, .timeout = absl::Seconds(30), .env = {}, .working_dir = ""});
  if (!signature.ok()) return signature.status();
  return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(*signature));
}

// --- etcd -----------------------------------------------------------------------------

namespace {
absl::StatusOr<std::vector<std::string>> Etcdctl(std::vector<std::string> args) {
  auto env = EnsureTestbed();
  if (!env.ok()) return env.status();
  std::vector<std::string> argv = {"etcdctl",
                                   absl::StrCat("--endpoints=", (*env)->Value("WERF_TESTBED_ETCD_ENDPOINT"))};
  if (const std::string cert = (*env)->Value("WERF_TESTBED_ETCD_CERT"); !cert.empty()) {
    argv.push_back(absl::StrCat("--cert=", cert));
    argv.push_back(absl::StrCat("--key=", (*env)->Value("WERF_TESTBED_ETCD_KEY")));
    argv.push_back(absl::StrCat("--cacert=", (*env)->Value("WERF_TESTBED_CA")));
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
}  // namespace

absl::StatusOr<int64_t> EtcdRevision() {
  auto argv = Etcdctl({"endpoint", "status", "-w", "json"});
  if (!argv.ok()) return argv.status();
  RunOptions options;
  options.env = {{"ETCDCTL_API", "3"}};
  auto out = RunCommandOk(*argv, options);
  if (!out.ok()) return out.status();
  auto json = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_array() || json.empty() || !json[0].contains("Status")) {
    return absl::InternalError(absl::StrCat("unexpected `etcdctl endpoint status` output: ", *out));
  }
  const auto& revision = json[0]["Status"]["header"]["revision"];
  if (!revision.is_number_integer()) {
    return absl::InternalError(absl::StrCat("no header.revision in etcdctl output: ", *out));
  }
  return revision.get<int64_t>();
}

absl::StatusOr<int64_t> CompactEtcd() {
  auto revision = EtcdRevision();
  if (!revision.ok()) return revision.status();
  auto argv = Etcdctl({"compaction", "--physical", absl::StrCat(*revision)});
  if (!argv.ok()) return argv.status();
  RunOptions options;
  options.env = {{"ETCDCTL_API", "3"}};
  auto out = RunCommandOk(*argv, options);
  if (!out.ok()) return out.status();
  return *revision;
}

// --- registries -----------------------------------------------------------------------

absl::string_view FlavourName(RegistryFlavour flavour) {
  switch (flavour) {
    case RegistryFlavour::kAnonymous:
      return "anonymous";
    case RegistryFlavour::kBasic:
      return "basic";
    case RegistryFlavour::kToken:
      return "token";
    case RegistryFlavour::kTls:
      return "tls";
    case RegistryFlavour::kV2:
      return "v2";
  }
  return "unknown";
}

absl::StatusOr<Registry> GetRegistry(RegistryFlavour flavour) {
  auto env_or = EnsureTestbed();
  if (!env_or.ok()) return env_or.status();
  const TestbedEnv& env = **env_or;
  Registry registry;
  registry.flavour = flavour;
  std::string host_var;
  switch (flavour) {
    case RegistryFlavour::kAnonymous:
      host_var = "WERF_TESTBED_REGISTRY_ANON";
      break;
    case RegistryFlavour::kBasic:
      host_var = "WERF_TESTBED_REGISTRY_BASIC";
      registry.username = env.Value("WERF_TESTBED_REGISTRY_BASIC_USER");
      registry.password = env.Value("WERF_TESTBED_REGISTRY_BASIC_PASSWORD");
      break;
    case RegistryFlavour::kToken:
      host_var = "WERF_TESTBED_REGISTRY_TOKEN";
      registry.username = env.Value("WERF_TESTBED_REGISTRY_TOKEN_USER");
      registry.password = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PASSWORD");
      break;
    case RegistryFlavour::kTls:
      host_var = "WERF_TESTBED_REGISTRY_TLS";
      registry.ca_file = env.Value("WERF_TESTBED_CA");
      registry.external_host = env.Value("WERF_TESTBED_REGISTRY_TLS_EXTERNAL");
      break;
    case RegistryFlavour::kV2:
      host_var = "WERF_TESTBED_REGISTRY_V2";
      break;
  }
  auto host = env.Get(host_var);
  if (!host.ok()) return host.status();
  registry.host = *host;
  return registry;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RegistryClientEnv(const Registry& registry) {
  auto dir = Temps().Make("werf-testbed-docker-config");
  if (!dir.ok()) return dir.status();
  nlohmann::json config = {{"auths", nlohmann::json::object()}};
  if (!registry.username.empty()) {
    config["auths"][registry.host] = {
        {"auth", absl::Base64Escape(absl::StrCat(registry.username, ":", registry.password))}};
  }
  if (auto written = WriteFile(*dir + "/config.json", config.dump()); !written.ok()) return written;
  std::vector<std::pair<std::string, std::string>> env = {{"DOCKER_CONFIG", *dir}};
  if (!registry.ca_file.empty()) env.emplace_back("SSL_CERT_FILE", registry.ca_file);
  return env;
}

absl::Status PushTags(const Registry& registry, absl::string_view repository, const std::vector<std::string>& tags,
                      bool same_digest) {
  auto client_env = RegistryClientEnv(registry);
  if (!client_env.ok()) return client_env.status();
  auto work = Temps().Make("werf-testbed-push");
  if (!work.ok()) return work.status();
  RunOptions options;
  options.env = *client_env;
  options.timeout = absl::Seconds(120);
  const std::string base = absl::StrCat(registry.host, "/", repository);
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string ref = absl::StrCat(base, ":", tags[i]);
    if (same_digest && i > 0) {
      auto tagged = RunCommandOk({"crane", "tag", absl::StrCat(base, ":", tags[0]), tags[i]}, options);
      if (!tagged.ok())
        return common::WithContext(tagged.status(), absl::StrCat("tag ", ref));
      continue;
    }
    // One small file per push makes a distinct layer, hence a distinct digest: pushing
    // the same tag again re-publishes it with new content, as a release pipeline would.
    const std::string content_dir = absl::StrCat(*work, "/", i);
    std::filesystem::create_directories(content_dir);
    if (auto s = WriteFile(content_dir + "/tag.txt", absl::StrCat(repository, ":", tags[i], " ",
                                                                  absl::ToUnixNanos(absl::Now()), "\n"));
        !s.ok())
      return s;
    const std::string layer = absl::StrCat(*work, "/layer-", i, ".tar");
    auto tarred =
        RunCommandOk({"tar", "-C", content_dir, "--mtime=@0", "--owner=0", "--group=0", "-cf", layer, "tag.txt"});
    if (!tarred.ok()) return tarred.status();
    auto pushed = RunCommandOk({"crane", "append", "-f", layer, "-t", ref}, options);
    if (!pushed.ok())
      return common::WithContext(pushed.status(), absl::StrCat("push ", ref));
  }
  return absl::OkStatus();
}

absl::Status AnnotateManifest(const Registry& registry, absl::string_view repository, absl::string_view tag,
                              const std::map<std::string, std::string>& annotations) {
  auto client_env = RegistryClientEnv(registry);
  if (!client_env.ok()) return client_env.status();
  RunOptions options;
  options.env = *client_env;
  options.timeout = absl::Seconds(60);
  const std::string ref = absl::StrCat(registry.host, "/", repository, ":", tag);
  std::vector<std::string> args = {"crane", "mutate", ref, "-t", ref};
  for (const auto& [key, value] : annotations) {
    args.push_back("-a");
    args.push_back(absl::StrCat(key, "=", value));
  }
  auto mutated = RunCommandOk(args, options);
  if (!mutated.ok()) {
    return common::WithContext(mutated.status(), absl::StrCat("annotate ", ref));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListTagsWithCrane(const Registry& registry, absl::string_view repository) {
  auto client_env = RegistryClientEnv(registry);
  if (!client_env.ok()) return client_env.status();
  RunOptions options;
  options.env = *client_env;
  auto out = RunCommandOk({"crane", "ls", absl::StrCat(registry.host, "/", repository)}, options);
  if (!out.ok()) return out.status();
  std::vector<std::string> tags = absl::StrSplit(absl::StripAsciiWhitespace(*out), '\n', absl::SkipWhitespace());
  return tags;
}

absl::StatusOr<std::vector<PublishedBundle>> PublishBundle(const Registry& registry, absl::string_view chart,
                                                           absl::string_view repository,
                                                           const std::vector<std::string>& tags,
                                                           const std::vector<std::string>& values_files) {
  auto env = EnsureTestbed();
  if (!env.ok()) return env.status();
  std::string flavour;
  switch (registry.flavour) {
    case RegistryFlavour::kAnonymous: flavour = "anon"; break;
    case RegistryFlavour::kBasic: flavour = "basic"; break;
    case RegistryFlavour::kToken: flavour = "token"; break;
    case RegistryFlavour::kTls: flavour = "tls"; break;
    case RegistryFlavour::kV2: flavour = "v2"; break;
  }
  std::vector<std::string> argv = {std::string(WERF_TESTBED_SOURCE_DIR) + "/publish-bundle.sh", "--registry", flavour};
  for (const std::string& file : values_files) argv.insert(argv.end(), {"--values", file});
  argv.insert(argv.end(), {std::string(chart), std::string(repository)});
  argv.insert(argv.end(), tags.begin(), tags.end());
  RunOptions options;
  options.timeout = absl::Seconds(60 + 20 * static_cast<int64_t>(tags.size()));
  options.env = {{"WERF_TESTBED_ENV", (*env)->Value("WERF_TESTBED_ENV")}};
  auto out = RunCommandOk(argv, options);
  if (!out.ok()) {
    return common::WithContext(out.status(), absl::StrCat("publish ", chart, " as ", registry.host, "/", repository));
  }
  std::vector<PublishedBundle> published;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipWhitespace())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() != 2) return absl::InternalError(absl::StrCat("publish-bundle.sh printed \"", line, "\""));
    published.push_back({.reference = fields[0], .digest = fields[1]});
  }
  if (published.size() != tags.size()) {
    return absl::InternalError(absl::StrCat("publish-bundle.sh reported ", published.size(), " bundles for ",
                                            tags.size(), " tags: ", *out));
  }
  return published;
}

std::string WerfStandinDir() { return std::string(WERF_TESTBED_SOURCE_DIR) + "/werf-standin"; }

}  // namespace werf::testbed
