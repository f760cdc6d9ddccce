// The Job's entrypoint script, run for real: under dash with mawk (Debian's /bin/sh and
// awk) and under busybox sh and awk (what the alpine-based werf image has), with a
// fake `werf` on PATH. The fake stands in for werf only here, in a unit test, because
// werf cannot be had on our machines; it records its arguments, writes a report in
// nelm's layout (tab-indented, as json.MarshalIndent writes it) where
// --deploy-report-path says, and exits as told.
#include "services/converger/werf_entrypoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/converger/job_observation.h"

namespace werf::converger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kFakeWerf[] = R"(#!/bin/sh
printf '%s\n' "$@" > "$FAKE_DIR/args"
report=
while [ $# -gt 0 ]; do
  case $1 in --deploy-report-path) report=$2; shift ;; esac
  shift
done
echo "fake werf: deploying"
if [ -n "${FAKE_HOLD:-}" ]; then
  trap 'echo "fake werf: terminated"; [ -z "$report" ] || cp "$FAKE_REPORT" "$report"; exit 143' TERM
  : > "$FAKE_DIR/started"
  while :; do sleep 0.05; done
fi
if [ -n "$report" ] && [ -n "${FAKE_REPORT:-}" ]; then cp "$FAKE_REPORT" "$report"; fi
exit "${FAKE_EXIT:-0}"
)";

// nelm's report as json.MarshalIndent(report, "", "\t") writes it; empty lists are
// omitted (omitempty).
std::string NelmReport(const std::string& status, const std::vector<std::string>& completed,
                       const std::vector<std::string>& canceled, const std::vector<std::string>& failed) {
  std::string out = absl::StrCat("{\n\t\"version\": 3,\n\t\"release\": \"shop\",\n\t\"namespace\": \"prod\",\n",
                                 "\t\"revision\": 7,\n\t\"status\": \"", status, "\"");
  const auto list = [&out](const char* name, const std::vector<std::string>& items) {
    if (items.empty()) return;
    absl::StrAppend(&out, ",\n\t\"", name, "\": [\n");
    for (size_t i = 0; i < items.size(); ++i) {
      absl::StrAppend(&out, "\t\t\"", items[i], "\"", i + 1 < items.size() ? ",\n" : "\n");
    }
    absl::StrAppend(&out, "\t]");
  };
  list("completedOperations", completed);
  list("canceledOperations", canceled);
  list("failedOperations", failed);
  return out + "\n}";
}

std::vector<std::string> Operations(const std::string& verb, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(absl::StrCat(verb, " resource: apps/v1, Kind=Deployment, Namespace=prod, Name=app-", i));
  }
  return names;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text, bool executable = false) {
  std::ofstream(path) << text;
  if (executable) fs::permissions(path, fs::perms::owner_all);
}

std::string Which(const std::vector<std::string>& candidates) {
  for (const std::string& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct Shell {
  std::string name;
  // The shell and the awk put on PATH ("" for none); busybox picks its applet by name.
  std::vector<std::string> sh;
  std::vector<std::string> awk;
  bool required;  // dash and an awk come with every Debian; busybox is a test dependency
};

void PrintTo(const Shell& shell, std::ostream* out) { *out << shell.name; }

struct Finished {
  int exit_code = -1;
  std::string output;
  std::string message;  // the termination-message file; "" when not written
  std::vector<std::string> werf_args;
};

class EntrypointFixture : public ::testing::TestWithParam<Shell> {
 protected:
  void SetUp() override {
    const Shell& shell = GetParam();
    sh_ = Which(shell.sh);
    if (sh_.empty()) {
      if (shell.required) FAIL() << "no " << shell.sh[0];
      GTEST_SKIP() << "not installed: " << shell.sh[0] << " (scripts/install-deps.sh installs it)";
    }
    awk_ = shell.awk.empty() ? "" : Which(shell.awk);
    if (!shell.awk.empty() && awk_.empty()) FAIL() << "no " << shell.awk[0];
    char pattern[] = "/tmp/werf-entrypoint-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "report");
    Write(dir_ / "bin" / "werf", kFakeWerf, /*executable=*/true);
    fs::create_symlink(sh_, dir_ / "bin" / "sh");
    if (!awk_.empty()) fs::create_symlink(awk_, dir_ / "bin" / "awk");
    for (const char* tool : {"rm", "cat", "cp", "wc", "sleep"}) {
      const std::string path = Which({absl::StrCat("/usr/bin/", tool), absl::StrCat("/bin/", tool)});
      ASSERT_FALSE(path.empty()) << tool;
      fs::create_symlink(path, dir_ / "bin" / tool);
    }
  }

  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  fs::path ReportPath() const { return dir_ / "report" / "report.json"; }
  fs::path MessagePath() const { return dir_ / "termination-log"; }

  // Starts the entrypoint as the kubelet would: the command, then werf's args.
  pid_t Start(const std::vector<std::string>& werf_args, std::map<std::string, std::string> env) {
    std::vector<std::string> argv = EntrypointCommand(
        {.report_path = ReportPath().string(), .termination_message_path = MessagePath().string()});
    argv[0] = (dir_ / "bin" / "sh").string();
    argv.insert(argv.end(), werf_args.begin(), werf_args.end());
    env["PATH"] = (dir_ / "bin").string();
    env["FAKE_DIR"] = dir_.string();
    std::vector<std::string> environment;
    for (const auto& [name, value] : env) environment.push_back(absl::StrCat(name, "=", value));
    const pid_t pid = fork();
    if (pid == 0) {
      const int out = open((dir_ / "output").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      std::vector<char*> raw_argv, raw_env;
      for (std::string& arg : argv) raw_argv.push_back(arg.data());
      for (std::string& entry : environment) raw_env.push_back(entry.data());
      raw_argv.push_back(nullptr);
      raw_env.push_back(nullptr);
      execve(raw_argv[0], raw_argv.data(), raw_env.data());
      _exit(127);
    }
    return pid;
  }

  Finished Wait(pid_t pid) {
    Finished finished;
    int status = 0;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ADD_FAILURE() << "the entrypoint did not finish";
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    finished.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    finished.output = Read(dir_ / "output");
    finished.message = fs::exists(MessagePath()) ? Read(MessagePath()) : "";
    std::istringstream args(Read(dir_ / "args"));
    for (std::string line; std::getline(args, line);) finished.werf_args.push_back(line);
    return finished;
  }

  // Runs werf's apply with a report fixture ("" for none) and an exit code.
  Finished Apply(const std::string& report, int exit_code) {
    std::map<std::string, std::string> env = {{"FAKE_EXIT", absl::StrCat(exit_code)}};
    if (!report.empty()) {
      Write(dir_ / "fixture.json", report);
      env["FAKE_REPORT"] = (dir_ / "fixture.json").string();
    }
    return Wait(Start({"bundle", "apply", "--release", "shop", "--deploy-report-path", ReportPath().string()}, env));
  }

  bool has_awk() const { return !awk_.empty(); }

  std::string sh_;
  std::string awk_;
  fs::path dir_;
};

// With and without awk.
class EntrypointTest : public EntrypointFixture {};
// The werf image has awk; these need it.
class EntrypointWithAwkTest : public EntrypointFixture {};
// A werf image without awk still reports what fits.
class EntrypointWithoutAwkTest : public EntrypointFixture {};

TEST_P(EntrypointTest, PassesWerfItsArgumentsUnchangedAndExitsWithItsCode) {
  const std::vector<std::string> args = {"bundle", "plan", "--exit-code", "--values", "/werf/values/a b.yaml",
                                         "--tag", "it's \"quoted\" $HOME"};
  const Finished finished = Wait(Start(args, {{"FAKE_EXIT", "2"}}));
  EXPECT_EQ(finished.werf_args, args);
  EXPECT_EQ(finished.exit_code, 2) << "plan's 'drifted' survives the wrapper\n" << finished.output;
  EXPECT_THAT(finished.output, HasSubstr("fake werf: deploying"));
  EXPECT_EQ(finished.message, "") << "no report, no message: the kubelet falls back to the log";
}

TEST_P(EntrypointTest, WithoutAReportWritesNoMessage) {
  // A stale file where werf writes is not taken for this run's report.
  Write(ReportPath(), NelmReport("deployed", Operations("create", 1), {}, {}));
  const Finished finished = Apply("", 1);
  EXPECT_EQ(finished.exit_code, 1);
  EXPECT_EQ(finished.message, "");
}

TEST_P(EntrypointWithAwkTest, CompactsASmallReportWhole) {
  const Finished finished =
      Apply(NelmReport("deployed", {"create ConfigMap/a", "create Deployment/b", "update Service/c"}, {}, {}), 0);
  EXPECT_EQ(finished.exit_code, 0) << finished.output;
  EXPECT_EQ(finished.message,
            R"({"version":3,"release":"shop","namespace":"prod","revision":7,"status":"deployed",)"
            R"("failedOperationsCount":0,"canceledOperationsCount":0,"completedOperationsCount":3,)"
            R"("completedOperations":["create ConfigMap/a","create Deployment/b","update Service/c"],)"
            R"("truncated":false})");
}

TEST_P(EntrypointWithAwkTest, AReportOf150OperationsStillArrivesWithItsHeadAndCounts) {
  const std::string report =
      NelmReport("failed", Operations("create", 140), Operations("update", 5), Operations("delete", 5));
  ASSERT_GT(report.size(), 2 * kTerminationMessageBytes);
  const Finished finished = Apply(report, 1);
  EXPECT_EQ(finished.exit_code, 1) << finished.output;
  ASSERT_LE(finished.message.size(), kTerminationMessageBytes);
  ASSERT_GT(finished.message.size(), kTerminationMessageBytes - 200) << "the room is used";

  const json compact = json::parse(finished.message, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(compact.is_object()) << finished.message;
  EXPECT_EQ(compact["status"], "failed");
  EXPECT_EQ(compact["failedOperations"], json(Operations("delete", 5))) << "failures first, all of them";
  EXPECT_EQ(compact["canceledOperations"], json(Operations("update", 5)));
  EXPECT_LT(compact["completedOperations"].size(), 140u);

  const std::optional<pb::DeployReport> parsed = ParseDeployReport(finished.message);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->status(), "failed");
  EXPECT_EQ(parsed->release(), "shop");
  EXPECT_EQ(parsed->namespace_(), "prod");
  EXPECT_EQ(parsed->revision(), 7);
  EXPECT_EQ(parsed->completed_operations(), 140);
  EXPECT_EQ(parsed->canceled_operations(), 5);
  EXPECT_EQ(parsed->failed_operations(), 5);
  EXPECT_EQ(parsed->failed_operation_names_size(), 5);
  EXPECT_TRUE(parsed->truncated());
}

TEST_P(EntrypointWithAwkTest, KeepsEscapedNamesValid) {
  const std::string odd = R"(create ConfigMap/a \"b\", [c] {d}: e\\)";
  const Finished finished = Apply(NelmReport("failed", {}, {}, {odd}), 1);
  const json compact = json::parse(finished.message, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(compact.is_object()) << finished.message;
  EXPECT_EQ(compact["failedOperations"][0], R"(create ConfigMap/a "b", [c] {d}: e\)");
  EXPECT_EQ(compact["failedOperationsCount"], 1);
}

TEST_P(EntrypointWithAwkTest, AReportCutShortIsNotReported) {
  const std::string report = NelmReport("deployed", Operations("create", 10), {}, {});
  const Finished finished = Apply(report.substr(0, report.size() / 2), 0);
  EXPECT_EQ(finished.exit_code, 0);
  EXPECT_EQ(finished.message, "");
  EXPECT_THAT(finished.output, HasSubstr("is not one JSON object"));
}

TEST_P(EntrypointTest, ForwardsSigtermToWerfAndReportsWhatItWrote) {
  Write(dir_ / "fixture.json", NelmReport("failed", Operations("create", 2), {}, {}));
  const pid_t pid = Start({"bundle", "apply", "--release", "shop", "--deploy-report-path", ReportPath().string()},
                          {{"FAKE_HOLD", "1"}, {"FAKE_REPORT", (dir_ / "fixture.json").string()}});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!fs::exists(dir_ / "started") && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(fs::exists(dir_ / "started"));
  kill(pid, SIGTERM);
  const Finished finished = Wait(pid);
  EXPECT_EQ(finished.exit_code, 143) << finished.output;
  EXPECT_THAT(finished.output, HasSubstr("fake werf: terminated"));
  if (has_awk()) {
    EXPECT_THAT(finished.message, HasSubstr(R"("status":"failed")"));
  } else {
    EXPECT_THAT(finished.message, HasSubstr("\"status\": \"failed\""));
  }
}

TEST_P(EntrypointWithoutAwkTest, CopiesAReportThatFits) {
  const std::string report = NelmReport("deployed", Operations("create", 3), {}, {});
  EXPECT_EQ(Apply(report, 0).message, report);
}

TEST_P(EntrypointWithoutAwkTest, DropsAReportThatDoesNotFit) {
  EXPECT_EQ(Apply(NelmReport("deployed", Operations("create", 150), {}, {}), 0).message, "");
}

const Shell kDashMawk{"DashMawk", {"/bin/dash", "/usr/bin/dash"}, {"/usr/bin/mawk", "/usr/bin/awk"}, true};
const Shell kBusybox{"Busybox", {"/bin/busybox", "/usr/bin/busybox"}, {"/bin/busybox", "/usr/bin/busybox"}, false};
const Shell kDashWithoutAwk{"DashWithoutAwk", {"/bin/dash", "/usr/bin/dash"}, {}, true};
const auto kShellName = [](const auto& info) { return info.param.name; };

INSTANTIATE_TEST_SUITE_P(Shells, EntrypointTest, ::testing::Values(kDashMawk, kBusybox, kDashWithoutAwk), kShellName);
INSTANTIATE_TEST_SUITE_P(Shells, EntrypointWithAwkTest, ::testing::Values(kDashMawk, kBusybox), kShellName);
INSTANTIATE_TEST_SUITE_P(Shells, EntrypointWithoutAwkTest, ::testing::Values(kDashWithoutAwk), kShellName);

}  // namespace
}  // namespace werf::converger
