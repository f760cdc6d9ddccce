#include "test/integration/e2e/leader_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace werf::e2e {
namespace {

int Connect(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) return -1;
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &target.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Copies both ways until either side closes.
void Pipe(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buffer[16384];
  while (poll(fds, 2, -1) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0 || write(fds[1 - i].fd, buffer, n) != n) {
        shutdown(a, SHUT_RDWR);
        shutdown(b, SHUT_RDWR);
        return;
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<LeaderProxy>> LeaderProxy::Start(std::function<std::string()> backend) {
  std::unique_ptr<LeaderProxy> proxy(new LeaderProxy());
  proxy->backend_ = std::move(backend);
  proxy->listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(proxy->listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(proxy->listener_, 64) != 0 ||
      getsockname(proxy->listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError("leader proxy cannot listen");
  }
  proxy->address_ = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->Accept(); });
  return proxy;
}

void LeaderProxy::Accept() {
  while (!stopping_.load()) {
    pollfd pfd{listener_, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    const std::string target = backend_();
    const int upstream = target.empty() ? -1 : Connect(target);
    if (upstream < 0) {
      close(client);  // no ready endpoint: refused, as a Service without endpoints
      continue;
    }
    absl::MutexLock lock(&mu_);
    sockets_.push_back(client);
    sockets_.push_back(upstream);
    pipes_.emplace_back([client, upstream] { Pipe(client, upstream); });
  }
}

LeaderProxy::~LeaderProxy() {
  stopping_.store(true);
  acceptor_.join();
  close(listener_);
  absl::MutexLock lock(&mu_);
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  for (std::thread& pipe : pipes_) pipe.join();
  for (int fd : sockets_) close(fd);
}

}  // namespace werf::e2e
