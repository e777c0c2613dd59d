// The line protocol a user's workload speaks to modewise (docs/HARDWARE.md; python/modewise_probe.py writes it).
// modewise creates a FIFO and passes its path in $MODEWISE_PIPE; the workload writes one line per event, each line
// a single write() of at most 512 bytes (atomic on a pipe). Timestamps are CLOCK_MONOTONIC nanoseconds (Python:
// time.monotonic_ns()); when a line has none, modewise stamps it on arrival.
//   hello <version> [pid]        optional; version 1
//   mb_begin [t_ns]              a minibatch starts: the loop asks the DataLoader for the next batch
//   fetch_end [t_ns]             its data is ready (mb_begin..fetch_end = data-fetch stall)
//   mb_end [t_ns]                its compute is done (after torch.cuda.synchronize())
//   mb <fetch_ms> <compute_ms> [t_end_ns]   a whole minibatch timed by the workload itself
//   mark <label> [t_ns]          a free-form event (counted, otherwise ignored)
//   bye                          the workload is done
// Blank lines and lines starting with '#' are ignored. Anything else, or events out of order, is an Error naming
// the line number and what was expected.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modewise/device/backend.h"

namespace modewise::control {

enum class ProbeKind { hello, mb_begin, fetch_end, mb_end, mb, mark, bye };

struct ProbeEvent {
  ProbeKind kind = ProbeKind::mark;
  std::optional<long long> t_ns;  // CLOCK_MONOTONIC
  double fetch_ms = 0, compute_ms = 0;  // "mb" lines
  int version = 0;                      // "hello"
  std::string label;                    // "mark"
};

// nullopt for blank and comment lines; Error("<context>: ...") for anything malformed.
std::optional<ProbeEvent> parse_probe_line(std::string_view line, std::string_view context);

// Builds minibatch records from events, relative to the run's start t0 (monotonic ns).
class MinibatchAssembler {
 public:
  explicit MinibatchAssembler(long long t0_ns) : t0_ns_(t0_ns) {}
  // `received_ns`: arrival time, used for events without a timestamp and to reject timestamps from another clock
  // (more than 10 minutes away from the arrival time).
  void add(const ProbeEvent& e, long long received_ns, std::string_view context);
  const std::vector<device::MinibatchRecord>& records() const { return records_; }
  bool said_bye() const { return bye_; }
  size_t marks() const { return marks_; }
  bool in_minibatch() const { return begin_ns_.has_value(); }

 private:
  long long t0_ns_;
  std::optional<long long> begin_ns_, fetch_end_ns_;
  std::vector<device::MinibatchRecord> records_;
  bool bye_ = false;
  size_t marks_ = 0;
};

}  // namespace modewise::control
