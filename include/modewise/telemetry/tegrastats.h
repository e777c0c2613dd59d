// A parser for tegrastats lines from every JetPack release (fixtures in tests/fixtures/tegrastats/):
// optional "MM-DD-YYYY HH:MM:SS" timestamp; RAM/SWAP/IRAM; CPU [load%@MHz,...] with "off" for offline cores
// (or the old "CPU [a%,b%]@MHz"); EMC_FREQ / GR3D_FREQ as "u%@f", "u%@[f0,f1]" (per GPC) or "u%"; other engines
// ("VIC 36%@115", "NVDEC off", "APE 174"); temperatures "NAME@41.5C" where -256C means an absent sensor; rails
// "NAME cur/avg" with or without "mW", or three values (JetPack 7). JetPack 7 and Thor forms too: temperatures
// with a second value or another suffix ("cpu@52.968C/52.968C"), "GR3D_FREQ @[f0,f1,f2]" (no load figure), engines
// "NVENC0_FREQ @314". The total power is chosen as in rails.h: the VDD_IN / POM_5V_IN / VIN rail where present, else
// the sum of the rails ("NC" channels skipped).
// The policy (docs/HARDWARE.md): a power field (a rail: a value with "mW", or "cur/avg" numbers) that is present but
// malformed (not a number, negative, one or four values) throws Error naming `context` (file:line) and the field,
// since a dropped rail would silently falsify the total. A non-power field whose format this parser does not know
// never fails the line: it is kept as raw text in TegrastatsRecord::other (the caller warns once per field name);
// TegrastatsParseOptions::strict turns it into an Error. A line with nothing recognizable is an Error.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace modewise::telemetry {

struct TegraCpu {
  int index = 0;
  bool online = true;
  std::optional<double> load_pct, mhz;
};

struct TegraEngine {
  std::string name;  // "EMC_FREQ", "GR3D_FREQ", "VIC", ...
  bool off = false;
  std::optional<double> load_pct;
  std::vector<double> mhz;  // one value, one per GPC ("@[f0,f1]"), or none
};

struct TegraTemp {
  std::string name;
  std::optional<double> celsius;  // nullopt: the sensor is absent (-256C)
};

struct TegraRail {
  std::string name;
  double power_mw = 0;
  std::optional<double> avg_mw;
  std::optional<double> max_mw;  // third value printed by JetPack 7
};

// A field the parser did not recognize, or a non-power field whose value it could not read: kept as printed.
struct TegraOther {
  std::string name;  // "FOO", or the text before '@' of "name@value"
  std::string text;  // the value as printed ("" for a bare word)
};

struct TegrastatsParseOptions {
  bool strict = false;  // unknown or unreadable non-power fields are errors (tests of the parser itself)
};

struct TegrastatsRecord {
  std::optional<std::string> timestamp;  // as printed, e.g. "04-24-2023 00:01:24"
  std::optional<double> ram_used_mb, ram_total_mb, swap_used_mb, swap_total_mb;
  std::vector<TegraCpu> cpus;
  std::optional<TegraEngine> emc;  // EMC_FREQ
  std::optional<TegraEngine> gpu;  // GR3D_FREQ (GR3D2_FREQ, a second GPC, is in engines)
  std::vector<TegraEngine> engines;
  std::vector<TegraTemp> temps;
  std::vector<TegraRail> rails;  // in printed order, "NC" skipped
  std::optional<double> total_power_mw, total_avg_mw;
  std::string total_rule;  // "input rail VDD_IN" (POM_5V_IN, VIN) or "sum of rails"; empty without rails
  std::vector<TegraOther> other;  // unknown non-power fields, in printed order
};

TegrastatsRecord parse_tegrastats_line(std::string_view line, std::string_view context,
                                       const TegrastatsParseOptions& options = {});
// Every non-blank line of a log; context "<source>:<line>".
std::vector<TegrastatsRecord> parse_tegrastats_log(std::string_view text, std::string_view source,
                                                   const TegrastatsParseOptions& options = {});

// One JSON object: timestamp, ram/swap, cpu [{core, online, load_pct, mhz}], emc {load_pct, mhz}, gpu {load_pct,
// mhz, mhz_per_gpc}, engines, temperatures_c {NAME: value|null}, rails {NAME: {power_mw, avg_mw[, max_mw]}},
// total_power_mw, total_avg_mw, total_rule, other {NAME: "raw text"}. Absent values are null.
nlohmann::json to_json(const TegrastatsRecord& r);

}  // namespace modewise::telemetry
