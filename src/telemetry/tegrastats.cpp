#include "modewise/telemetry/tegrastats.h"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "modewise/telemetry/rails.h"
#include "telemetry/parse_util.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::telemetry {

namespace {

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "04-24-2023" and "00:01:24"
bool is_date(std::string_view s) {
  return s.size() == 10 && s[2] == '-' && s[5] == '-' && is_digits(s.substr(0, 2)) && is_digits(s.substr(3, 2)) &&
         is_digits(s.substr(6, 4));
}
bool is_time(std::string_view s) {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && is_digits(s.substr(0, 2)) && is_digits(s.substr(3, 2)) &&
         is_digits(s.substr(6, 2));
}

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string_view strip_suffix(std::string_view s, std::string_view suffix) {
  if (s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix) s.remove_suffix(suffix.size());
  return s;
}

struct Ctx {
  std::string_view where;
  std::string field(std::string_view name) const { return fmt::format("{}: field '{}'", where, name); }
};

double number(std::string_view text, const Ctx& ctx, std::string_view field, std::string_view expected) {
  if (auto v = detail::try_double(text)) return *v;
  return util::parse_double(text, ctx.field(field), expected);  // throws with the context
}

// "12%" -> 12; "[50%,40%]" -> mean.
double parse_load(std::string_view text, const Ctx& ctx, std::string_view field, std::string_view expected) {
  if (!text.empty() && text.front() == '[') {
    if (text.back() != ']') throw Error("{}: expected {}, found '{}'", ctx.field(field), expected, text);
    auto items = util::split(text.substr(1, text.size() - 2), ',');
    double sum = 0;
    for (const auto& it : items) sum += parse_load(it, ctx, field, expected);
    return sum / static_cast<double>(items.size());
  }
  if (text.empty() || text.back() != '%') throw Error("{}: expected {}, found '{}'", ctx.field(field), expected, text);
  return number(text.substr(0, text.size() - 1), ctx, field, expected);
}

// "729", "[0,0]", "[621]"
std::vector<double> parse_mhz_list(std::string_view text, const Ctx& ctx, std::string_view field,
                                   std::string_view expected) {
  std::vector<double> out;
  if (!text.empty() && text.front() == '[') {
    if (text.size() < 2 || text.back() != ']')
      throw Error("{}: expected {}, found '{}'", ctx.field(field), expected, text);
    for (const auto& it : util::split(text.substr(1, text.size() - 2), ','))
      out.push_back(number(it, ctx, field, expected));
    return out;
  }
  out.push_back(number(text, ctx, field, expected));
  return out;
}

bool looks_like_engine_value(std::string_view v) {
  if (v == "off") return true;
  if (v.empty()) return false;
  char c = v.front();
  return (std::isdigit(static_cast<unsigned char>(c)) || c == '[' || c == '@') && v.find('/') == std::string_view::npos &&
         v.back() != 'C' && v.find("B") == std::string_view::npos;
}

// "off" | "u%@f" | "u%@[f0,f1]" | "u%" | "f" | "@f" | "@[f0,f1,f2]" (Thor: no load figure)
TegraEngine parse_engine(std::string_view name, std::string_view v, const Ctx& ctx) {
  static constexpr std::string_view expected =
      "'load%@MHz', 'load%@[MHz,...]', '@[MHz,...]', '@MHz', 'load%', 'MHz' or 'off'";
  TegraEngine e;
  e.name = std::string(name);
  if (v == "off") {
    e.off = true;
    return e;
  }
  auto at = v.find('@');
  std::string_view load = at == std::string_view::npos ? v : v.substr(0, at);
  if (at == 0) {
    e.mhz = parse_mhz_list(v.substr(1), ctx, name, expected);
  } else if (!load.empty() && (load.back() == '%' || load.front() == '[')) {
    e.load_pct = parse_load(load, ctx, name, expected);
    if (at != std::string_view::npos) e.mhz = parse_mhz_list(v.substr(at + 1), ctx, name, expected);
  } else {
    if (at != std::string_view::npos) throw Error("{}: expected {}, found '{}'", ctx.field(name), expected, v);
    e.mhz = parse_mhz_list(v, ctx, name, expected);
  }
  for (double m : e.mhz)
    if (m < 0) throw Error("{}: expected {} (non-negative), found '{}'", ctx.field(name), expected, v);
  return e;
}

// "[3%@729,off,5%@1190]" optionally followed by "@1190" (old format "[3%,5%]@1190").
std::vector<TegraCpu> parse_cpus(std::string_view v, const Ctx& ctx) {
  static constexpr std::string_view expected = "[load%@MHz,...] with 'off' for offline cores";
  auto close = v.find(']');
  if (v.empty() || v.front() != '[' || close == std::string_view::npos)
    throw Error("{}: expected {}, found '{}'", ctx.field("CPU"), expected, v);
  std::optional<double> shared_mhz;
  std::string_view rest = v.substr(close + 1);
  if (!rest.empty()) {
    if (rest.front() != '@') throw Error("{}: expected {}, found '{}'", ctx.field("CPU"), expected, v);
    shared_mhz = number(rest.substr(1), ctx, "CPU", expected);
  }
  std::vector<TegraCpu> cpus;
  auto items = util::split(v.substr(1, close - 1), ',');
  for (size_t i = 0; i < items.size(); ++i) {
    TegraCpu c;
    c.index = static_cast<int>(i);
    std::string_view it = items[i];
    if (it == "off") {
      c.online = false;
    } else {
      auto at = it.find('@');
      c.load_pct = parse_load(it.substr(0, at), ctx, "CPU", expected);
      if (at != std::string_view::npos)
        c.mhz = number(it.substr(at + 1), ctx, "CPU", expected);
      else
        c.mhz = shared_mhz;
    }
    cpus.push_back(c);
  }
  return cpus;
}

// "1282/62795MB" -> (1282, 62795); IRAM "0/252kB(lfb" too.
std::pair<double, double> parse_used_total(std::string_view v, std::string_view field, const Ctx& ctx) {
  static constexpr std::string_view expected = "'used/totalMB'";
  auto paren = v.find('(');
  if (paren != std::string_view::npos) v = v.substr(0, paren);
  auto slash = v.find('/');
  if (slash == std::string_view::npos) throw Error("{}: expected {}, found '{}'", ctx.field(field), expected, v);
  std::string_view total = v.substr(slash + 1);
  size_t digits = 0;
  while (digits < total.size() && (std::isdigit(static_cast<unsigned char>(total[digits])) || total[digits] == '.'))
    ++digits;
  std::string_view unit = total.substr(digits);
  if (unit != "MB" && unit != "kB" && unit != "GB" && unit != "KB")
    throw Error("{}: expected {}, found '{}'", ctx.field(field), expected, v);
  return {number(v.substr(0, slash), ctx, field, expected), number(total.substr(0, digits), ctx, field, expected)};
}

// A power field's value: anything with "mW" in it, or "cur/avg[/max]" made of numbers and signs only (the old
// unit-less form "GPU 463/463"). Such a value is parsed strictly: a malformed rail is an error, never dropped.
bool is_rail_value(std::string_view v) {
  if (v.empty()) return false;
  if (v.find("mW") != std::string_view::npos) return true;
  if (v.find('/') == std::string_view::npos) return false;
  for (char c : v)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '+')) return false;
  return true;
}

TegraRail parse_rail(std::string_view name, std::string_view v, const Ctx& ctx) {
  static constexpr std::string_view expected =
      "'cur/avg' or 'cur/avg/max' in mW (non-negative numbers, optionally with 'mW' units)";
  auto parts = util::split(v, '/');
  if (parts.size() < 2 || parts.size() > 3) throw Error("{}: expected {}, found '{}'", ctx.field(name), expected, v);
  std::vector<double> vals;
  for (auto& p : parts) {
    std::string_view s = strip_suffix(p, "mW");
    auto d = detail::try_double(s);
    if (!d || *d < 0 || s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.'))
      throw Error("{}: expected {}, found '{}'", ctx.field(name), expected, v);
    vals.push_back(*d);
  }
  TegraRail r;
  r.name = std::string(name);
  r.power_mw = vals[0];
  r.avg_mw = vals[1];
  if (vals.size() == 3) r.max_mw = vals[2];
  return r;
}

// A temperature token: "name@..." whose value starts with a digit or '-' and holds a 'C'.
bool is_temp_token(std::string_view tok) {
  auto at = tok.find('@');
  if (at == std::string_view::npos || at == 0 || !is_name(tok.substr(0, at))) return false;
  std::string_view value = tok.substr(at + 1);
  if (value.empty() || !(std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '-')) return false;
  return value.find('C') != std::string_view::npos;
}

// "CPU@42.593C", "cpu@52.968C/52.968C" (JetPack 7), "tj@52.5C(max)", "CV0@-256C" (absent). The reading is the
// number before the first 'C'; what follows it (a second value, another suffix) is accepted and not interpreted.
TegraTemp parse_temp(std::string_view tok, const Ctx& ctx) {
  static constexpr std::string_view expected = "a temperature such as 41.5C or 52.968C/52.968C";
  auto at = tok.find('@');
  TegraTemp t;
  t.name = std::string(tok.substr(0, at));
  std::string_view value = tok.substr(at + 1);
  auto d = detail::try_double(value.substr(0, value.find('C')));
  if (!d) throw Error("{}: expected {}, found '{}'", ctx.field(t.name), expected, value);
  if (*d > -255) t.celsius = *d;  // -256C: absent sensor
  return t;
}

}  // namespace

TegrastatsRecord parse_tegrastats_line(std::string_view line, std::string_view context,
                                       const TegrastatsParseOptions& options) {
  Ctx ctx{context};
  std::vector<std::string> tokens;
  {
    std::string cur;
    for (char c : line) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) tokens.push_back(std::move(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) tokens.push_back(std::move(cur));
  }
  TegrastatsRecord rec;
  size_t i = 0;
  if (tokens.size() >= 2 && is_date(tokens[0]) && is_time(tokens[1])) {
    rec.timestamp = tokens[0] + " " + tokens[1];
    i = 2;
  }
  bool recognized = rec.timestamp.has_value();
  auto skip_parenthesized = [&](const std::string& value) {
    // "(lfb 15152x4MB)", "(cached 0MB)": skip tokens up to the one that closes the parenthesis.
    bool open = value.find('(') != std::string::npos && value.find(')') == std::string::npos;
    if (!open && i + 1 < tokens.size() && !tokens[i + 1].empty() && tokens[i + 1][0] == '(') {
      open = tokens[i + 1].find(')') == std::string::npos;
      ++i;
    }
    for (int guard = 0; open && i + 1 < tokens.size() && guard < 4; ++guard) {
      ++i;
      if (tokens[i].find(')') != std::string::npos) open = false;
    }
  };
  // A non-power field this parser cannot read: kept as raw text (an Error with --strict).
  auto keep_other = [&](std::string_view name, std::string_view text, const char* why) {
    if (options.strict)
      throw Error("{}: {} (--strict: unknown or unreadable non-power fields are errors)", ctx.field(name), why);
    rec.other.push_back({std::string(name), std::string(text)});
  };
  // Parse a non-power field; an Error keeps it as raw text instead (or is rethrown with --strict).
  auto non_power = [&](std::string_view name, std::string_view text, auto&& parse) {
    try {
      parse();
      recognized = true;
    } catch (const Error&) {
      if (options.strict) throw;
      rec.other.push_back({std::string(name), std::string(text)});
    }
  };
  for (; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    const std::string* next = i + 1 < tokens.size() ? &tokens[i + 1] : nullptr;
    if (tok == "RAM" || tok == "SWAP" || tok == "IRAM") {
      if (!next) {
        keep_other(tok, "", "expected 'used/totalMB' after it, found the end of the line");
        continue;
      }
      ++i;
      non_power(tok, *next, [&] {
        auto [used, total] = parse_used_total(*next, tok, ctx);
        if (tok == "RAM") rec.ram_used_mb = used, rec.ram_total_mb = total;
        if (tok == "SWAP") rec.swap_used_mb = used, rec.swap_total_mb = total;
      });
      skip_parenthesized(tokens[i]);
    } else if (tok == "CPU" && next && !next->empty() && next->front() == '[') {
      ++i;
      non_power(tok, *next, [&] { rec.cpus = parse_cpus(*next, ctx); });
    } else if (tok == "CPU" && !(next && is_rail_value(*next))) {
      keep_other(tok, next ? *next : "", "expected [load%@MHz,...] after it");
      if (next) ++i;
    } else if ((tok == "EMC_FREQ" || tok == "GR3D_FREQ") && next) {
      ++i;
      non_power(tok, *next, [&] { (tok == "EMC_FREQ" ? rec.emc : rec.gpu) = parse_engine(tok, *next, ctx); });
    } else if (tok == "MTS" && i + 4 < tokens.size() && tokens[i + 1] == "fg") {
      i += 4;  // "MTS fg 0% bg 0%"
    } else if (is_temp_token(tok)) {
      auto at = tok.find('@');
      non_power(std::string_view(tok).substr(0, at), std::string_view(tok).substr(at + 1),
                [&] { rec.temps.push_back(parse_temp(tok, ctx)); });
    } else if (is_name(tok) && next && is_rail_value(*next)) {
      TegraRail r = parse_rail(tok, *next, ctx);  // a malformed rail is always an error
      if (is_real_rail(r.name)) rec.rails.push_back(r);
      ++i;
      recognized = true;
    } else if (is_name(tok) && next && looks_like_engine_value(*next)) {
      ++i;
      non_power(tok, *next, [&] { rec.engines.push_back(parse_engine(tok, *next, ctx)); });
    } else if (auto at = tok.find('@'); at != std::string::npos && at > 0) {
      keep_other(std::string_view(tok).substr(0, at), std::string_view(tok).substr(at + 1), "unknown field");
    } else if (next && !next->empty() && !std::isalpha(static_cast<unsigned char>(next->front()))) {
      keep_other(tok, *next, "unknown field");  // "NAME value"
      ++i;
    } else {
      keep_other(tok, "", "unknown field");
    }
  }
  if (!recognized) {
    std::string shown(line.substr(0, 60));
    throw Error("{}: not a tegrastats line (expected fields such as RAM, CPU [...], GR3D_FREQ or power rails), "
                "found '{}{}'",
                context, shown, line.size() > 60 ? "..." : "");
  }
  if (!rec.rails.empty()) {
    std::vector<std::string> names;
    for (const auto& r : rec.rails) names.push_back(r.name);
    rec.total_rule = total_rule(names);
    if (auto idx = total_rail_index(names)) {
      rec.total_power_mw = rec.rails[*idx].power_mw;
      rec.total_avg_mw = rec.rails[*idx].avg_mw;
    } else {
      double sum = 0, avg = 0;
      bool all_avg = true;
      for (const auto& r : rec.rails) {
        sum += r.power_mw;
        if (r.avg_mw)
          avg += *r.avg_mw;
        else
          all_avg = false;
      }
      rec.total_power_mw = sum;
      if (all_avg) rec.total_avg_mw = avg;
    }
  }
  return rec;
}

std::vector<TegrastatsRecord> parse_tegrastats_log(std::string_view text, std::string_view source,
                                                   const TegrastatsParseOptions& options) {
  std::vector<TegrastatsRecord> out;
  size_t lineno = 0;
  for (const auto& raw : util::split(text, '\n')) {
    ++lineno;
    if (util::trim(raw).empty()) continue;
    out.push_back(parse_tegrastats_line(raw, fmt::format("{}:{}", source, lineno), options));
  }
  return out;
}

namespace {
nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json engine_json(const TegraEngine& e) {
  nlohmann::json j;
  j["off"] = e.off;
  j["load_pct"] = opt(e.load_pct);
  if (e.mhz.empty()) {
    j["mhz"] = nullptr;
  } else {
    double mx = e.mhz[0];
    for (double m : e.mhz) mx = std::max(mx, m);
    j["mhz"] = mx;
  }
  if (e.mhz.size() > 1) j["mhz_per_gpc"] = e.mhz;
  return j;
}
}  // namespace

nlohmann::json to_json(const TegrastatsRecord& r) {
  nlohmann::json j;
  j["timestamp"] = r.timestamp ? nlohmann::json(*r.timestamp) : nlohmann::json(nullptr);
  j["ram_used_mb"] = opt(r.ram_used_mb);
  j["ram_total_mb"] = opt(r.ram_total_mb);
  j["swap_used_mb"] = opt(r.swap_used_mb);
  j["swap_total_mb"] = opt(r.swap_total_mb);
  nlohmann::json cpus = nlohmann::json::array();
  for (const auto& c : r.cpus)
    cpus.push_back({{"core", c.index}, {"online", c.online}, {"load_pct", opt(c.load_pct)}, {"mhz", opt(c.mhz)}});
  j["cpu"] = cpus;
  j["emc"] = r.emc ? engine_json(*r.emc) : nlohmann::json(nullptr);
  j["gpu"] = r.gpu ? engine_json(*r.gpu) : nlohmann::json(nullptr);
  nlohmann::json engines = nlohmann::json::object();
  for (const auto& e : r.engines) engines[e.name] = engine_json(e);
  j["engines"] = engines;
  nlohmann::json temps = nlohmann::json::object();
  for (const auto& t : r.temps) temps[t.name] = opt(t.celsius);
  j["temperatures_c"] = temps;
  nlohmann::json rails = nlohmann::json::object();
  for (const auto& rail : r.rails) {
    nlohmann::json v{{"power_mw", rail.power_mw}, {"avg_mw", opt(rail.avg_mw)}};
    if (rail.max_mw) v["max_mw"] = *rail.max_mw;
    rails[rail.name] = v;
  }
  j["rails"] = rails;
  j["total_power_mw"] = opt(r.total_power_mw);
  j["total_avg_mw"] = opt(r.total_avg_mw);
  j["total_rule"] = r.total_rule.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.total_rule);
  nlohmann::json other = nlohmann::json::object();
  for (const auto& o : r.other) other[o.name] = o.text;
  j["other"] = other;
  return j;
}

}  // namespace modewise::telemetry
