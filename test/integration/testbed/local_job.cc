#include "test/integration/testbed/local_job.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::testbed {
namespace {

using nlohmann::json;

// What the kubelet keeps of a termination message, and of the log when it falls back to it
// (pkg/kubelet/container: MaxContainerTerminationMessageLength, ...LogLength, ...LogLines).
constexpr size_t kMaxTerminationMessage = 4096;
constexpr size_t kMaxFallbackLogBytes = 2048;
constexpr int kMaxFallbackLogLines = 80;

absl::Status WriteFileWithMode(const std::string& path, absl::string_view contents, int mode) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Maps the pod's paths to the host: P (or P/...) for every mounted path P becomes root + P.
class PathMapper {
 public:
  PathMapper(std::string root, std::vector<std::string> pod_paths)
      : root_(std::move(root)), pod_paths_(std::move(pod_paths)) {}

  // A value that is a path, or a `:`-separated list of paths (PATH-like variables).
  std::string Value(const std::string& value) const {
    std::vector<std::string> parts = absl::StrSplit(value, ':');
    for (std::string& part : parts) {
      for (const std::string& path : pod_paths_) {
        if (part == path || absl::StartsWith(part, path + "/")) {
          part = root_ + part;
          break;
        }
      }
    }
    return absl::StrJoin(parts, ":");
  }

  // A shell script: single-quoted paths ('P...) inside it, in one pass (a mapped path may
  // start with another mounted path, e.g. /tmp). Returns how many were mapped.
  int Script(std::string* script) const {
    std::vector<std::pair<std::string, std::string>> replacements;
    for (const std::string& path : pod_paths_) replacements.emplace_back("'" + path, "'" + root_ + path);
    return absl::StrReplaceAll(replacements, script);
  }

 private:
  std::string root_;
  std::vector<std::string> pod_paths_;
};

std::string FallbackLogTail(const std::string& log) {
  absl::string_view tail = log;
  int lines = 0;
  size_t start = tail.size();
  if (!tail.empty() && tail.back() == '\n') --start;
  while (start > 0) {
    const size_t newline = tail.rfind('\n', start - 1);
    if (newline == absl::string_view::npos) {
      start = 0;
      break;
    }
    if (++lines == kMaxFallbackLogLines) {
      start = newline + 1;
      break;
    }
    start = newline;
  }
  tail = tail.substr(start);
  if (tail.size() > kMaxFallbackLogBytes) tail = tail.substr(tail.size() - kMaxFallbackLogBytes);
  return std::string(tail);
}

// A kubeconfig with the ServiceAccount's token: what in-cluster configuration gives the pod.
absl::StatusOr<std::string> ServiceAccountKubeconfig(const std::string& root, const std::string& ns,
                                                     const std::string& service_account) {
  absl::StatusOr<std::string> token = MintServiceAccountToken(ns, service_account);
  if (!token.ok()) return token.status();
  const TestbedEnv& env = Env();
  const std::string path = root + "/var/run/secrets/kubeconfig";
  const std::string contents = absl::StrCat(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: in-cluster\n  cluster:\n    server: ",
      env.Value("WERF_TESTBED_APISERVER"), "\n    certificate-authority: ", env.Value("WERF_TESTBED_CA"),
      "\nusers:\n- name: sa\n  user:\n    token: ", *token,
      "\ncontexts:\n- name: in-cluster\n  context:\n    cluster: in-cluster\n    user: sa\n    namespace: ", ns,
      "\ncurrent-context: in-cluster\n");
  if (absl::Status written = WriteFileWithMode(path, contents, 0600); !written.ok()) return written;
  return path;
}

}  // namespace

std::string UnwrapNelmLines(const std::string& s) {
  std::string out;
  const std::string mark = "\u21b5\n";
  size_t at = 0;
  while (true) {
    const size_t found = s.find(mark, at);
    if (found == std::string::npos) {
      out.append(s, at, std::string::npos);
      return out;
    }
    size_t end = found;
    while (end > at && s[end - 1] == ' ') --end;
    out.append(s, at, end - at);
    out.push_back(' ');
    at = found + mark.size();
  }
}

absl::StatusOr<LocalJobResult> RunJobLocally(const json& job, const std::optional<json>& secret,
                                             const LocalJobOptions& options) {
  const json& pod_spec = job.at("spec").at("template").at("spec");
  const json& container = pod_spec.at("containers").at(0);
  const std::string ns = job.at("metadata").value("namespace", "default");

  absl::StatusOr<std::string> root_dir = [] () -> absl::StatusOr<std::string> {
    std::string pattern = (std::filesystem::temp_directory_path() / "werf-local-job-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
    }
    return pattern;
  }();
  if (!root_dir.ok()) return root_dir.status();
  LocalJobResult result;
  result.root = *root_dir;
  const std::string& root = result.root;

  // Volumes: emptyDirs are empty directories; a Secret volume holds its items (key -> path)
  // with the volume's defaultMode, as the kubelet projects them.
  std::vector<std::string> pod_paths;
  const std::string termination_path = container.value("terminationMessagePath", "/dev/termination-log");
  pod_paths.push_back(termination_path);
  std::filesystem::create_directories(root + std::filesystem::path(termination_path).parent_path().string());
  const json no_items = json::array();
  const json& volumes = pod_spec.contains("volumes") ? pod_spec.at("volumes") : no_items;
  const json& mounts = container.contains("volumeMounts") ? container.at("volumeMounts") : no_items;
  for (const json& mount : mounts) {
    const std::string mount_path = mount.at("mountPath");
    pod_paths.push_back(mount_path);
    std::filesystem::create_directories(root + mount_path);
    const json* volume = nullptr;
    for (const json& candidate : volumes) {
      if (candidate.value("name", "") == mount.value("name", "")) volume = &candidate;
    }
    if (volume == nullptr) return absl::InvalidArgumentError(absl::StrCat("no volume for mount ", mount.dump()));
    if (!volume->contains("secret")) continue;
    const json& source = volume->at("secret");
    if (!secret || secret->at("metadata").value("name", "") != source.value("secretName", "")) {
      return absl::InvalidArgumentError(absl::StrCat("the Job mounts Secret ", source.value("secretName", ""),
                                                     " but no such Secret was given"));
    }
    const int mode = source.value("defaultMode", 0644);
    for (const json& item : source.value("items", json::array())) {
      const std::string key = item.at("key");
      if (!secret->contains("data") || !secret->at("data").contains(key)) {
        return absl::InvalidArgumentError(absl::StrCat("Secret has no key ", key));
      }
      std::string decoded;
      if (!absl::Base64Unescape(secret->at("data").at(key).get<std::string>(), &decoded)) {
        return absl::InvalidArgumentError(absl::StrCat("Secret key ", key, " is not base64"));
      }
      const std::string path = absl::StrCat(root, mount_path, "/", item.at("path").get<std::string>());
      if (absl::Status written = WriteFileWithMode(path, decoded, mode); !written.ok()) return written;
    }
  }
  const PathMapper map(root, pod_paths);

  // env -i: the process sees the container's env and nothing of the test's.
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 2>&1", "local-job", "env", "-i"};
  const std::string path =
      options.path.empty() ? absl::StrCat(WerfStandinDir(), ":", Env().Value("WERF_TESTBED_PATH"), ":/usr/bin:/bin")
                           : options.path;
  argv.push_back("PATH=" + path);
  absl::StatusOr<std::string> kubeconfig =
      ServiceAccountKubeconfig(root, ns, pod_spec.value("serviceAccountName", "default"));
  if (!kubeconfig.ok()) return kubeconfig.status();
  argv.push_back("KUBECONFIG=" + *kubeconfig);
  for (const json& var : container.value("env", json::array())) {
    argv.push_back(absl::StrCat(var.at("name").get<std::string>(), "=", map.Value(var.value("value", ""))));
  }
  for (const auto& [name, value] : options.extra_env) argv.push_back(absl::StrCat(name, "=", value));
  std::vector<std::string> command = container.value("command", std::vector<std::string>{});
  if (command.size() >= 3 && command[0] == "/bin/sh" && command[1] == "-c") {
    map.Script(&command[2]);
  } else {
    for (std::string& word : command) word = map.Value(word);
  }
  std::vector<std::string> args = options.args ? *options.args
                                               : container.value("args", std::vector<std::string>{});
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  for (std::string& arg : args) arg = map.Value(arg);
  argv.insert(argv.end(), command.begin(), command.end());
  argv.insert(argv.end(), args.begin(), args.end());
  result.argv.assign(argv.begin() + 4, argv.end());

  RunOptions run;
  run.timeout = options.timeout;
  run.working_dir = root;
  absl::StatusOr<CommandResult> ran = RunCommand(argv, run);
  if (!ran.ok()) return ran.status();
  result.exit_code = ran->exit_code;
  result.log = ran->out + ran->err;

  std::string message = ReadFileOrEmpty(root + termination_path);
  if (message.size() > kMaxTerminationMessage) message = message.substr(message.size() - kMaxTerminationMessage);
  if (message.empty() && result.exit_code != 0 &&
      container.value("terminationMessagePolicy", "File") == "FallbackToLogsOnError") {
    message = FallbackLogTail(result.log);
  }
  result.termination_message = std::move(message);
  return result;
}

}  // namespace werf::testbed
