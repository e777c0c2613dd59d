// The Prometheus exposition text and the metrics HTTP server, over real loopback TCP connections.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "modewise/telemetry/prometheus.h"
#include "modewise/util/error.h"
#include "telemetry/test_prometheus_http.h"

using modewise::Error;
using modewise::UsageError;
using modewise::telemetry::ListenAddress;
using modewise::telemetry::MetricsServer;
using modewise::telemetry::parse_listen_address;
using modewise::telemetry::PrometheusText;
using modewise::testing::http_get;
using modewise::testing::http_raw;

TEST(PrometheusAddress, LoopbackUnlessAnAddressIsGiven) {
  auto a = parse_listen_address(":9100");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9100);
  EXPECT_EQ(parse_listen_address("9100").host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("localhost:80").host, "127.0.0.1");
  auto any = parse_listen_address("0.0.0.0:0");
  EXPECT_EQ(any.host, "0.0.0.0");
  EXPECT_EQ(any.port, 0);
  EXPECT_EQ(parse_listen_address("10.1.2.3:65535").port, 65535);
  for (const char* bad : {"", ":", "abc", "host:9100", "1.2.3:80", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:12a", "[::1]:9100", "127.0.0.1:999999"}) {
    try {
      parse_listen_address(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--prometheus '" + std::string(bad) + "'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("expected HOST:PORT"), std::string::npos) << e.what();
    }
  }
}

TEST(PrometheusText, HelpTypeSamplesAndEscapedLabels) {
  PrometheusText t;
  t.family("modewise_rail_power_watts", "gauge", "Power of one rail");
  t.sample("modewise_rail_power_watts", 4.25, {{"rail", "VDD_GPU_SOC"}});
  t.sample("modewise_rail_power_watts", 0, {{"rail", "a\"b\\c\nd"}});
  t.family("modewise_board_energy_joules_total", "counter", "Energy\nsince start");
  t.sample("modewise_board_energy_joules_total", 12);
  EXPECT_EQ(t.str(),
            "# HELP modewise_rail_power_watts Power of one rail\n"
            "# TYPE modewise_rail_power_watts gauge\n"
            "modewise_rail_power_watts{rail=\"VDD_GPU_SOC\"} 4.25\n"
            "modewise_rail_power_watts{rail=\"a\\\"b\\\\c\\nd\"} 0\n"
            "# HELP modewise_board_energy_joules_total Energy\\nsince start\n"
            "# TYPE modewise_board_energy_joules_total counter\n"
            "modewise_board_energy_joules_total 12\n");
  EXPECT_EQ(modewise::telemetry::format_sample_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(modewise::telemetry::format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(modewise::telemetry::format_sample_value(0.1 + 0.2)), 0.1 + 0.2);  // round-trips
}

TEST(PrometheusServer, ServesMetricsFreshPerScrape404And405) {
  std::atomic<int> renders{0};
  MetricsServer server(parse_listen_address("127.0.0.1:0"), [&] {
    return "modewise_test_renders " + std::to_string(++renders) + "\n";
  });
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
  auto a = http_get(server.port(), "/metrics");
  ASSERT_EQ(a.status, 200) << a.head;
  EXPECT_NE(a.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << a.head;
  EXPECT_NE(a.head.find("Content-Length: " + std::to_string(a.body.size())), std::string::npos) << a.head;
  EXPECT_EQ(a.body, "modewise_test_renders 1\n");
  EXPECT_EQ(http_get(server.port(), "/metrics?x=1").body, "modewise_test_renders 2\n");  // a query is ignored

  auto other = http_get(server.port(), "/");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(http_get(server.port(), "/metricsx").status, 404);
  auto post = http_raw(server.port(), "POST /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.head.find("Allow: GET, HEAD"), std::string::npos);
  auto head = http_raw(server.port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(http_raw(server.port(), "nonsense\r\n\r\n").status, 400);
  EXPECT_EQ(http_raw(server.port(), std::string(9000, 'G')).status, 400);  // no end of headers within 8 KiB
  EXPECT_EQ(renders.load(), 3);
}

TEST(PrometheusServer, ClientsThatDisconnectEarlyDoNotStopIt) {
  MetricsServer server(ListenAddress{"127.0.0.1", 0}, [] { return std::string("up 1\n"); });
  for (int i = 0; i < 3; ++i) {
    // connect and close without a request, then half a request line
    EXPECT_EQ(http_raw(server.port(), "", true).status, -1);
    EXPECT_EQ(http_raw(server.port(), "GET /met", true).status, -1);
  }
  auto r = http_get(server.port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "up 1\n");
  EXPECT_GE(server.client_errors(), 6u);
}

TEST(PrometheusServer, RenderErrorIs500AndServerGoesOn) {
  bool fail = true;
  MetricsServer server(ListenAddress{"127.0.0.1", 0}, [&]() -> std::string {
    if (fail) throw Error("no sample yet");
    return "ok 1\n";
  });
  auto r = http_get(server.port(), "/metrics");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("no sample yet"), std::string::npos);
  fail = false;
  EXPECT_EQ(http_get(server.port(), "/metrics").status, 200);
}

TEST(PrometheusServer, PortInUseIsAClearErrorAndStopClosesThePort) {
  auto server = std::make_unique<MetricsServer>(ListenAddress{"127.0.0.1", 0}, [] { return std::string(); });
  int port = server->port();
  try {
    MetricsServer second(ListenAddress{"127.0.0.1", port}, [] { return std::string(); });
    ADD_FAILURE() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("port " + std::to_string(port) + " is in use"), std::string::npos)
        << e.what();
  }
  try {
    MetricsServer foreign(ListenAddress{"192.0.2.1", 0}, [] { return std::string(); });  // TEST-NET-1
    ADD_FAILURE() << "bound an address of another machine";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not an address of this machine"), std::string::npos) << e.what();
  }
  server->stop();
  EXPECT_EQ(http_get(port, "/metrics").status, -1);  // refused
  server.reset();
}
