#include "modewise/telemetry/jetson_clocks.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "modewise/util/error.h"
#include "telemetry/parse_util.h"
#include "modewise/util/strings.h"

namespace modewise::telemetry {

namespace {

// KEY=VALUE pairs of a line; words without '=' are skipped.
std::vector<std::pair<std::string, std::string>> pairs(const std::vector<std::string>& toks) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& t : toks) {
    auto eq = t.find('=');
    if (eq != std::string::npos && eq > 0) out.emplace_back(t.substr(0, eq), t.substr(eq + 1));
  }
  return out;
}

ClockRange range_of(const std::vector<std::pair<std::string, std::string>>& kv, const std::string& where) {
  ClockRange r;
  for (const auto& [k, v] : kv) {
    auto num = [&] {
      if (auto x = detail::try_int(v)) return *x;
      return util::parse_int(v, fmt::format("{}: field '{}'", where, k), "a frequency (integer)");
    };
    if (k == "MinFreq") r.min = num();
    if (k == "MaxFreq") r.max = num();
    if (k == "CurrentFreq") r.current = num();
  }
  return r;
}

}  // namespace

JetsonClocksShow parse_jetson_clocks_show(std::string_view text, const std::string& source) {
  JetsonClocksShow out;
  int lineno = 0;
  bool recognized = false;
  for (const auto& raw : util::split(text, '\n')) {
    ++lineno;
    std::string line = util::trim(raw);
    if (line.empty()) continue;
    std::string where = source + ":" + std::to_string(lineno);
    if (util::starts_with(line, "SOC family:")) {
      // "SOC family:tegra234  Machine:Jetson AGX Orin"
      auto m = line.find("Machine:");
      out.soc_family = util::trim(line.substr(11, m == std::string::npos ? std::string::npos : m - 11));
      if (m != std::string::npos) out.machine = util::trim(line.substr(m + 8));
      recognized = true;
      continue;
    }
    if (util::starts_with(line, "NV Power Mode:")) {
      out.power_mode = util::trim(line.substr(14));
      recognized = true;
      continue;
    }
    auto toks = util::split_whitespace(line);
    if (toks.empty()) continue;
    std::string head = toks[0];
    if (head.size() > 4 && util::starts_with(head, "cpu") && head.back() == ':') {
      std::string digits = head.substr(3, head.size() - 4);
      long long idx = util::parse_int(digits, where, "a CPU line such as 'cpu0: Online=1 ...'");
      if (idx < 0 || idx > 4095) throw Error("{}: CPU index {} out of range (expected 0 to 4095)", where, idx);
      JetsonClocksCpu c;
      c.index = static_cast<int>(idx);
      auto kv = pairs(toks);
      for (const auto& [k, v] : kv) {
        if (k == "Online") c.online = util::parse_int(v, where + ": field 'Online'", "0 or 1") != 0;
        if (k == "Governor") c.governor = v;
      }
      c.khz = range_of(kv, where);
      out.cpus.push_back(c);
      recognized = true;
    } else if (head == "GPU" || head == "EMC") {
      ClockRange r = range_of(pairs(toks), where);
      (head == "GPU" ? out.gpu_hz : out.emc_hz) = r;
      recognized = true;
    } else if (head.size() > 1 && head.back() == ':' && line.find("MaxFreq=") != std::string::npos) {
      out.engines_hz[head.substr(0, head.size() - 1)] = range_of(pairs(toks), where);
      recognized = true;
    }
  }
  if (!recognized)
    throw Error("{}: not `jetson_clocks --show` output (expected lines such as 'cpu0: Online=1 ... MaxFreq=...', "
                "'GPU MinFreq=...', 'NV Power Mode: ...')",
                source);
  std::sort(out.cpus.begin(), out.cpus.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

}  // namespace modewise::telemetry
