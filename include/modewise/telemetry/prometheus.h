// Prometheus export for `modewise monitor --prometheus HOST:PORT`: the text exposition format (version 0.0.4) and a
// small HTTP/1.0 server of our own on one thread (no prometheus-cpp: docs/PYTHON.md, "Prometheus and Grafana", says
// why). The server accepts one connection at a time, reads the request line and headers (at most 8 KiB, 2 s per
// client), answers `GET /metrics` (and HEAD) with `text/plain; version=0.0.4` rendered fresh by a callback on its own
// thread, 404 for any other path, 405 for other methods, 400 for a malformed request, and closes the connection.
// A client that disconnects or stalls costs at most its timeout, never a crash (no SIGPIPE) and never a sample: the
// sampler runs on its own thread and the callback only copies its latest sample.
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace modewise::telemetry {

// Where to listen: an IPv4 address and a port (0: any free port, chosen by the kernel).
struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 0;
};

// "HOST:PORT" with HOST an IPv4 address or "localhost"; ":PORT" and "PORT" mean 127.0.0.1 (listening on every
// interface must be asked for: "0.0.0.0:PORT"). Throws UsageError naming `option` and what was expected.
ListenAddress parse_listen_address(std::string_view text, std::string_view option = "--prometheus");

using Labels = std::vector<std::pair<std::string, std::string>>;

// Builds an exposition: each family's `# HELP` and `# TYPE` lines, then its samples.
class PrometheusText {
 public:
  // type: "gauge", "counter" (the name should end in _total) or "untyped". A family is announced once.
  void family(const std::string& name, const std::string& type, const std::string& help);
  void sample(const std::string& name, double value, const Labels& labels = {});
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string escape_label_value(std::string_view value);
// A sample value: shortest text that reads back to the same double; NaN, +Inf and -Inf as Prometheus spells them.
std::string format_sample_value(double value);

class MetricsServer {
 public:
  // Renders the /metrics body; called on the server thread for every scrape. An exception becomes a 500 answer.
  using Render = std::function<std::string()>;

  // Binds and listens before returning, so port() is known and errors surface here: Error when the port is in use,
  // the address is not one of this machine's, or binding needs privileges.
  MetricsServer(const ListenAddress& address, Render render);
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }            // the bound port (the chosen one when 0 was asked for)
  std::string url() const;                      // "http://127.0.0.1:PORT/metrics"
  void stop();                                  // wakes and joins the thread, closes the socket
  size_t requests() const { return requests_; }  // requests answered (any status)
  size_t client_errors() const { return client_errors_; }  // clients that timed out or disconnected mid-request

 private:
  void loop();
  void serve_client(int fd);

  ListenAddress address_;
  Render render_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<size_t> requests_{0}, client_errors_{0};
  std::thread thread_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

}  // namespace modewise::telemetry
