#include "modewise/control/probe_protocol.h"

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::control {

namespace {

constexpr const char* kUsage =
    "expected one of: hello <version> [pid] | mb_begin [t_ns] | fetch_end [t_ns] | mb_end [t_ns] | "
    "mb <fetch_ms> <compute_ms> [t_end_ns] | mark <label> [t_ns] | bye";

long long parse_t(const std::string& text, std::string_view context) {
  long long v = util::parse_int(text, context, "a CLOCK_MONOTONIC timestamp in ns (time.monotonic_ns())");
  if (v < 0) throw Error("{}: expected a CLOCK_MONOTONIC timestamp in ns, found '{}'", context, text);
  return v;
}

double parse_ms(const std::string& text, std::string_view context, std::string_view what) {
  double v = util::parse_double(text, context, what);
  if (v < 0 || v > 1e9) throw Error("{}: expected {} (0 to 1e9 ms), found '{}'", context, what, text);
  return v;
}

}  // namespace

std::optional<ProbeEvent> parse_probe_line(std::string_view line, std::string_view context) {
  std::string trimmed = util::trim(line);
  if (trimmed.empty() || trimmed[0] == '#') return std::nullopt;
  if (trimmed.size() > 512) throw Error("{}: line longer than 512 bytes ({}); {}", context, trimmed.size(), kUsage);
  auto w = util::split_whitespace(trimmed);
  const std::string& cmd = w[0];
  ProbeEvent e;
  auto arity = [&](size_t lo, size_t hi) {
    if (w.size() - 1 < lo || w.size() - 1 > hi)
      throw Error("{}: '{}' takes {} to {} arguments, found {}; {}", context, cmd, lo, hi, w.size() - 1, kUsage);
  };
  if (cmd == "hello") {
    arity(1, 2);
    e.kind = ProbeKind::hello;
    long long v = util::parse_int(w[1], context, "a protocol version (1)");
    if (v != 1) throw Error("{}: protocol version {} is not supported (expected 1)", context, v);
    e.version = 1;
  } else if (cmd == "mb_begin" || cmd == "fetch_end" || cmd == "mb_end") {
    arity(0, 1);
    e.kind = cmd == "mb_begin" ? ProbeKind::mb_begin : cmd == "fetch_end" ? ProbeKind::fetch_end : ProbeKind::mb_end;
    if (w.size() == 2) e.t_ns = parse_t(w[1], context);
  } else if (cmd == "mb") {
    arity(2, 3);
    e.kind = ProbeKind::mb;
    e.fetch_ms = parse_ms(w[1], context, "fetch_ms");
    e.compute_ms = parse_ms(w[2], context, "compute_ms");
    if (w.size() == 4) e.t_ns = parse_t(w[3], context);
  } else if (cmd == "mark") {
    arity(1, 2);
    e.kind = ProbeKind::mark;
    e.label = w[1];
    if (w.size() == 3) e.t_ns = parse_t(w[2], context);
  } else if (cmd == "bye") {
    arity(0, 0);
    e.kind = ProbeKind::bye;
  } else {
    std::string shown = cmd.substr(0, 40);
    throw Error("{}: unknown event '{}'; {}", context, shown, kUsage);
  }
  return e;
}

void MinibatchAssembler::add(const ProbeEvent& e, long long received_ns, std::string_view context) {
  long long t = e.t_ns.value_or(received_ns);
  constexpr long long kMaxSkewNs = 600LL * 1000000000LL;
  if (e.t_ns && std::llabs(*e.t_ns - received_ns) > kMaxSkewNs)
    throw Error("{}: timestamp {} ns is {:.0f} s away from modewise's CLOCK_MONOTONIC; timestamps must come from "
                "CLOCK_MONOTONIC (Python: time.monotonic_ns(), not time.time_ns())",
                context, *e.t_ns, static_cast<double>(*e.t_ns - received_ns) / 1e9);
  auto ms = [](long long a, long long b) { return static_cast<double>(b - a) / 1e6; };
  switch (e.kind) {
    case ProbeKind::hello: return;
    case ProbeKind::mark: ++marks_; return;
    case ProbeKind::bye: bye_ = true; return;
    case ProbeKind::mb_begin:
      if (begin_ns_)
        throw Error("{}: mb_begin before the previous minibatch's mb_end (expected mb_begin, fetch_end, mb_end in "
                    "order)",
                    context);
      begin_ns_ = t;
      fetch_end_ns_.reset();
      return;
    case ProbeKind::fetch_end:
      if (!begin_ns_ || fetch_end_ns_)
        throw Error("{}: fetch_end without an open minibatch (expected mb_begin, fetch_end, mb_end in order)", context);
      if (t < *begin_ns_) throw Error("{}: fetch_end at {} ns is before its mb_begin at {} ns", context, t, *begin_ns_);
      fetch_end_ns_ = t;
      return;
    case ProbeKind::mb_end: {
      if (!begin_ns_) throw Error("{}: mb_end without mb_begin (expected mb_begin, fetch_end, mb_end in order)", context);
      if (t < *begin_ns_) throw Error("{}: mb_end at {} ns is before its mb_begin at {} ns", context, t, *begin_ns_);
      device::MinibatchRecord r;
      r.start_s = static_cast<double>(*begin_ns_ - t0_ns_) / 1e9;
      r.time_ms = ms(*begin_ns_, t);
      r.fetch_ms = fetch_end_ns_ ? ms(*begin_ns_, *fetch_end_ns_) : 0;
      r.compute_ms = r.time_ms - r.fetch_ms;
      records_.push_back(r);
      begin_ns_.reset();
      fetch_end_ns_.reset();
      return;
    }
    case ProbeKind::mb: {
      if (begin_ns_) throw Error("{}: 'mb' inside an open minibatch (after mb_begin)", context);
      device::MinibatchRecord r;
      r.time_ms = e.fetch_ms + e.compute_ms;
      r.fetch_ms = e.fetch_ms;
      r.compute_ms = e.compute_ms;
      r.start_s = static_cast<double>(t - t0_ns_) / 1e9 - r.time_ms / 1000.0;
      records_.push_back(r);
      return;
    }
  }
}

}  // namespace modewise::control
