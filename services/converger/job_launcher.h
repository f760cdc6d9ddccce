// Creates the werf Job of a ConvergeRequest, or adopts the one that already exists.
//
// Order, so that a crash at any point loses nothing and duplicates nothing:
//   1. the Job exists (a re-sent request, another replica, a restart): adopt it as it
//      is, only making sure its Secret is owned by it (an object of that name without
//      this bundle's labels is someone else's: refused, never adopted or overwritten);
//   2. read the inputs and write the per-Job Secret (replacing a leftover of an
//      earlier attempt that died before creating the Job);
//   3. create the Job; AlreadyExists means another attempt won the race: adopt;
//   4. make the Job the Secret's owner, so garbage collection deletes the Secret
//      with the Job (ttlSecondsAfterFinished, or by hand).
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_JOB_LAUNCHER_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_JOB_LAUNCHER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "services/converger/job_builder.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

struct LaunchResult {
  // The Job as the API server returned it (with uid).
  nlohmann::json job;
  // False when an existing Job was adopted.
  bool created = false;
};

class JobLauncher {
 public:
  JobLauncher(std::shared_ptr<kube::RestClient> client, JobBuilderOptions options);

  // Errors say what failed on which object, for the Acknowledgement's message.
  absl::StatusOr<LaunchResult> Launch(const pb::ConvergeRequest& request, const std::string& job_name);

 private:
  // Creates the per-Job Secret, or replaces this bundle's leftover of the same name.
  absl::Status PutSecret(const pb::ConvergeRequest& request, const nlohmann::json& secret);
  // Makes `job` the owner of its Secret unless it already is. A missing Secret is fine.
  absl::Status OwnSecret(const nlohmann::json& job);

  const std::shared_ptr<kube::RestClient> client_;
  const JobBuilderOptions options_;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_LAUNCHER_H_
