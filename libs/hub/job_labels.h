// The labels and annotations that tie a werf Job (and its per-Job Secret) to the
// WerfBundle it serves. The converger writes them; the controller selects by them
// (restart recovery, finalizer cleanup in other namespaces), so both sides use
// these constants and functions instead of spelling the strings twice.
#ifndef WERF_OPERATOR_LIBS_HUB_JOB_LABELS_H_
#define WERF_OPERATOR_LIBS_HUB_JOB_LABELS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::hub {

inline constexpr absl::string_view kLabelManagedBy = "app.kubernetes.io/managed-by";
inline constexpr absl::string_view kManagedByValue = "werf-operator";
// Values of these three go through LabelValue(): bundle names may be longer than a label value.
inline constexpr absl::string_view kLabelBundle = "werf.io/bundle";
inline constexpr absl::string_view kLabelBundleNamespace = "werf.io/bundle-namespace";
inline constexpr absl::string_view kLabelBundleUid = "werf.io/bundle-uid";
// "apply" or "drift-check" (JobKindLabel).
inline constexpr absl::string_view kLabelJobKind = "werf.io/job-kind";

inline constexpr absl::string_view kAnnotationTag = "werf.io/tag";
inline constexpr absl::string_view kAnnotationDigest = "werf.io/digest";
inline constexpr absl::string_view kAnnotationConfigHash = "werf.io/config-hash";
inline constexpr absl::string_view kAnnotationRepository = "werf.io/repository";
inline constexpr absl::string_view kAnnotationGeneration = "werf.io/generation";
// Exact bundle namespace and name, for when the labels had to be shortened.
inline constexpr absl::string_view kAnnotationBundle = "werf.io/bundle";

// "apply" for JOB_KIND_APPLY, "drift-check" for JOB_KIND_DRIFT_CHECK, "" otherwise.
absl::string_view JobKindLabel(werf::operator_::v1::JobKind kind);
// The inverse of JobKindLabel; nullopt for anything else.
std::optional<werf::operator_::v1::JobKind> JobKindFromLabel(absl::string_view label);

// A valid label value standing for `text`: `text` itself when it is one (at most 63
// characters of [A-Za-z0-9._-], alphanumeric at both ends, or empty); otherwise a
// sanitised prefix, "-" and 10 hex digits of the SHA-256 of `text`, so distinct long
// names stay distinct.
std::string LabelValue(absl::string_view text);

// Selects every Job the operator manages: "app.kubernetes.io/managed-by=werf-operator".
std::string ManagedJobsSelector();
// Selects the Jobs of one bundle (any kind, any namespace).
std::string BundleJobsSelector(absl::string_view bundle_namespace, absl::string_view bundle_name);

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_JOB_LABELS_H_
