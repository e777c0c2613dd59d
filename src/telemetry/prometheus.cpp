#include "modewise/telemetry/prometheus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "modewise/util/error.h"

namespace modewise::telemetry {
namespace {

constexpr size_t kMaxRequestBytes = 8192;
constexpr int kClientTimeoutS = 2;

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Send everything or give up (the client went away); MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string response(int status, std::string_view reason, std::string_view content_type, const std::string& body,
                     bool head, std::string_view extra_headers = "") {
  std::string r = fmt::format("HTTP/1.0 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
                              status, reason, content_type, body.size(), extra_headers);
  if (!head) r += body;
  return r;
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text, std::string_view option) {
  auto bad = [&](std::string_view why) {
    return UsageError("{} '{}': {}; expected HOST:PORT (e.g. 127.0.0.1:9100, :9100 for 127.0.0.1, 0.0.0.0:9100 for "
                      "every interface, port 0 for any free port)",
                      option, text, why);
  };
  ListenAddress a;
  std::string_view host, port = text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!all_digits(port) || port.size() > 5) throw bad("the port must be a number from 0 to 65535");
  a.port = std::stoi(std::string(port));
  if (a.port > 65535) throw bad("the port must be a number from 0 to 65535");
  if (host.empty() || host == "localhost") {
    a.host = "127.0.0.1";
  } else {
    in_addr addr{};
    if (host.front() == '[' || ::inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1)
      throw bad(fmt::format("'{}' is not an IPv4 address (IPv6 and host names other than localhost are not "
                            "supported)",
                            host));
    a.host = std::string(host);
  }
  return a;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::family(const std::string& name, const std::string& type, const std::string& help) {
  std::string h;
  for (char c : help) h += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, h, name, type);
}

void PrometheusText::sample(const std::string& name, double value, const Labels& labels) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i)
      text_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first, escape_label_value(labels[i].second));
    text_ += '}';
  }
  text_ += ' ';
  text_ += format_sample_value(value);
  text_ += '\n';
}

MetricsServer::MetricsServer(const ListenAddress& address, Render render)
    : address_(address), render_(std::move(render)) {
  std::string where = fmt::format("{}:{}", address.host, address.port);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error("cannot serve metrics on {}: socket: {}", where, std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart while old sockets linger
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(address.port));
  if (::inet_pton(AF_INET, address.host.c_str(), &sa.sin_addr) != 1) {
    ::close(listen_fd_);
    throw UsageError("cannot serve metrics on {}: '{}' is not an IPv4 address", where, address.host);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(listen_fd_);
    if (e == EADDRINUSE)
      throw Error("cannot serve metrics on {}: port {} is in use (another exporter or monitor?); choose another "
                  "port, or port 0 for any free one",
                  where, address.port);
    if (e == EADDRNOTAVAIL)
      throw Error("cannot serve metrics on {}: {} is not an address of this machine", where, address.host);
    if (e == EACCES)
      throw Error("cannot serve metrics on {}: ports below 1024 need root; choose a port from 1024 up", where);
    throw Error("cannot serve metrics on {}: bind: {}", where, std::strerror(e));
  }
  if (::listen(listen_fd_, 16) != 0) {
    int e = errno;
    ::close(listen_fd_);
    throw Error("cannot serve metrics on {}: listen: {}", where, std::strerror(e));
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(listen_fd_);
    throw Error("cannot serve metrics on {}: pipe: {}", where, std::strerror(e));
  }
  thread_ = std::thread([this] { loop(); });
}

MetricsServer::~MetricsServer() { stop(); }

std::string MetricsServer::url() const { return fmt::format("http://{}:{}/metrics", address_.host, port_); }

void MetricsServer::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  char byte = 1;
  while (::write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void MetricsServer::loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nothing sensible left to do; stop() still joins
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up between poll and accept, or out of descriptors for a moment
    serve_client(fd);
    ::close(fd);
  }
}

void MetricsServer::serve_client(int fd) {
  timeval tv{kClientTimeoutS, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // Read the request head: up to the blank line that ends the headers (or the first line of an HTTP/0.9-style
  // request that never sends one), at most kMaxRequestBytes.
  std::string head;
  char buf[1024];
  for (;;) {
    if (head.find("\r\n\r\n") != std::string::npos || head.find("\n\n") != std::string::npos) break;
    if (head.size() >= kMaxRequestBytes) break;
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (head.find('\n') == std::string::npos) {  // timed out or closed before a whole request line
        ++client_errors_;
        return;
      }
      break;
    }
    head.append(buf, static_cast<size_t>(got));
  }
  std::string line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++requests_;
  // METHOD SP TARGET [SP VERSION]
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp1 == 0 || head.size() >= kMaxRequestBytes) {
    send_all(fd, response(400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", false));
    return;
  }
  std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
  std::string path = target.substr(0, target.find('?'));
  bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    send_all(fd, response(405, "Method Not Allowed", "text/plain; charset=utf-8", "only GET and HEAD\n", false,
                          "Allow: GET, HEAD\r\n"));
    return;
  }
  if (path != "/metrics") {
    send_all(fd, response(404, "Not Found", "text/plain; charset=utf-8",
                          "not found: modewise serves its metrics on /metrics\n", head_only));
    return;
  }
  std::string body;
  try {
    body = render_();
  } catch (const std::exception& e) {
    send_all(fd, response(500, "Internal Server Error", "text/plain; charset=utf-8",
                          std::string("cannot render metrics: ") + e.what() + "\n", head_only));
    return;
  }
  if (!send_all(fd, response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, head_only)))
    ++client_errors_;
}

}  // namespace modewise::telemetry
