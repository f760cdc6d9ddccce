// The converger: takes ConvergeRequests from the controller's hub, runs each as a werf
// Job (at most one unfinished Job per bundle), and reports every Job's progress back.
//
//   hub stream ──ConvergeRequest──▶ queue ──▶ HandleConverge ──▶ JobLauncher ──▶ Job + Secret
//        ▲   receipt (accepted) at once ┘            │ a refusal (why not), later
//        └────── JobObservation ◀── JobMonitor ◀── informer on werf Jobs
//
// A request is acknowledged when it arrives, not when its Job exists: the hub re-sends
// a request whose acknowledgement is late, and under a burst (a first pass over
// thousands of bundles) handling takes longer than that, so acknowledging after the
// work turned every queued request into a duplicate. A received request is not lost:
// if this converger dies before the Job exists, its stream ends and the hub gives the
// request to another converger; a refusal is sent as a second acknowledgement.
//
// Nothing is kept but soft state: the Jobs themselves are the record. After a restart
// the monitor re-reads every Job, and each new hub stream receives the latest
// observation of every Job, so neither a restarted controller nor a restarted
// converger loses a result.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "libs/common/clock.h"
#include "libs/hub/hub_worker.h"
#include "libs/api/tenancy.h"
#include "libs/kube/rest_client.h"
#include "services/converger/job_builder.h"
#include "services/converger/job_launcher.h"
#include "services/converger/job_monitor.h"
#include "werf/operator/v1/converger_service.pb.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

struct ConvergerOptions {
  JobBuilderOptions builder{};
  // Checked again here before anything is read or created (request_policy.h).
  api::TenancyPolicy tenancy{};
  JobMonitorOptions monitor{};
  // controller_address, version, capacity...; the kind is always CONVERGER.
  hub::HubWorkerOptions hub{};
  // Requests handled at once (each is a few API round trips); requests of one bundle
  // are still handled one at a time, in order.
  int handlers = 4;
  // Times Job names, and is the monitor's and the hub stream's clock unless their
  // options name one; defaults to common::RealClock(). Must outlive the converger.
  common::Clock* clock = nullptr;
};

class Converger {
 public:
  static absl::StatusOr<std::unique_ptr<Converger>> Create(std::shared_ptr<kube::RestClient> client,
                                                           ConvergerOptions options);
  ~Converger();
  Converger(const Converger&) = delete;
  Converger& operator=(const Converger&) = delete;

  // Starts watching Jobs and, once the watch has synced (deduplication must see every
  // existing Job before it accepts work), dials the hub. Returns at once.
  void Start();
  // Closes the hub stream, then stops watching. Idempotent.
  void Stop();

  // OK when the Job watch has synced and the hub stream is up; otherwise says which is missing.
  absl::Status Ready() const;
  bool connected() const { return hub_->connected(); }
  // For ConvergerService.ListJobs.
  werf::operator_::v1::ListJobsResponse ListJobs() const;
  const std::string& worker_id() const { return hub_->worker_id(); }

  struct Decision {
    // Sequence unset; the hub handler quotes the request's.
    pb::Acknowledgement ack;
    // The Job the request names (empty when the request was invalid).
    std::string job_name;
  };
  // Decides a request and launches (or adopts) its Job. The hub handler calls it.
  Decision HandleConverge(const pb::ConvergeRequest& request);

 private:
  Converger(std::shared_ptr<kube::RestClient> client, ConvergerOptions options);
  void OnConnected(hub::StreamId stream);
  void OnMessage(hub::StreamId stream, const pb::ConnectResponse& message);
  void Publish(const pb::JobObservation& observation);
  void RunStarter();
  // Takes queued requests (of a bundle no other handler holds) until Stop.
  void RunHandler();

  struct QueuedConverge {
    hub::StreamId stream = 0;
    uint64_t sequence = 0;
    pb::ConvergeRequest request{};
  };

  const ConvergerOptions options_;
  common::Clock& clock_;
  const std::shared_ptr<kube::RestClient> client_;
  JobLauncher launcher_;
  std::unique_ptr<JobMonitor> monitor_;
  std::unique_ptr<hub::HubWorker> hub_;
  std::thread starter_;
  std::vector<std::thread> handlers_;
  absl::Notification stopping_;
  bool stopped_ = false;

  absl::Mutex queue_mu_;
  std::deque<QueuedConverge> queue_ ABSL_GUARDED_BY(queue_mu_);
  // "namespace/name" of bundles whose request a handler is working on.
  std::set<std::string> busy_bundles_ ABSL_GUARDED_BY(queue_mu_);
  bool handlers_stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_H_
