// Helpers shared by the webhook tests.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_TEST_UTIL_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_TEST_UTIL_H_

#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

// For gtest's failure messages.
inline void PrintTo(const RepositoryEvent& event, std::ostream* os) {
  *os << event.registry << "/" << event.repository;
  if (event.tag.has_value()) *os << ":" << *event.tag;
}

namespace testing {

inline std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(WERF_WEBHOOK_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open testdata/" << name;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

inline Delivery MakeDelivery(std::string body, std::map<std::string, std::string> headers = {}) {
  return Delivery{.headers = std::move(headers), .body = std::move(body)};
}

inline RepositoryEvent Event(std::string registry, std::string repository,
                             std::optional<std::string> tag = std::nullopt) {
  return RepositoryEvent{.registry = std::move(registry), .repository = std::move(repository), .tag = std::move(tag)};
}

}  // namespace testing
}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_TEST_UTIL_H_
