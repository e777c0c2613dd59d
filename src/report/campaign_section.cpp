// A profiling campaign's section: Pareto fronts, time and power against each knob, the roofline, the numbers.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "modewise/sim/emulator.h"
#include "modewise/util/svg.h"
#include "report/sections.h"

namespace modewise::report::detail {

namespace {

const std::string kGrey = "#9a9a9a";

struct Knob {
  const char* name;
  const char* label;  // axis label with unit
  double (*get)(const device::PowerMode&);
};

const Knob kKnobs[] = {
    {"cores", "online CPU cores (count)", [](const device::PowerMode& m) { return double(m.cores); }},
    {"cpu_mhz", "CPU clock (MHz)", [](const device::PowerMode& m) { return m.cpu_mhz; }},
    {"gpu_mhz", "GPU clock (MHz)", [](const device::PowerMode& m) { return m.gpu_mhz; }},
    {"emc_mhz", "memory (EMC) clock (MHz)", [](const device::PowerMode& m) { return m.emc_mhz; }},
};

util::SvgChart chart(std::string title, std::string x, std::string y, std::string note) {
  util::SvgChart c;
  c.title = std::move(title);
  c.x_label = std::move(x);
  c.y_label = std::move(y);
  c.note = std::move(note);
  c.width = 560;
  c.height = 360;
  return c;
}

util::SvgSeries series(std::string name, std::vector<double> x, std::vector<double> y, std::string color = {},
                       bool line = false, double radius = 2.5) {
  util::SvgSeries s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  s.color = std::move(color);
  s.line = line;
  s.radius = radius;
  return s;
}

// The median of `y` at each distinct value of `x`, ascending in x.
std::pair<std::vector<double>, std::vector<double>> medians(const std::vector<double>& x, const std::vector<double>& y) {
  std::map<long long, std::vector<double>> groups;  // x in 1e-3 units
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(y[i])) groups[std::llround(x[i] * 1000)].push_back(y[i]);
  std::pair<std::vector<double>, std::vector<double>> out;
  for (auto& [k, v] : groups) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    out.first.push_back(static_cast<double>(k) / 1000);
    out.second.push_back(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
  }
  return out;
}

void pareto_charts(Page& page, const CampaignReport& c, const std::string& prov) {
  std::vector<double> t, p, e;
  for (const auto& r : c.rows) t.push_back(r.time_ms), p.push_back(r.power_w), e.push_back(r.energy_or_derived_j());
  auto pick = [](const std::vector<double>& v, const std::vector<size_t>& idx) {
    std::vector<double> out;
    for (size_t i : idx) out.push_back(v[i]);
    return out;
  };
  std::string note = fmt::format("{} · {} modes", prov, c.rows.size());
  auto tp = pareto_front(p, t);
  auto a = chart("Pareto front: time per minibatch vs board power", "board power (W)", "time per minibatch (ms)",
                 note + fmt::format(" · {} on the front", tp.size()));
  a.series = {series("all modes", p, t, kGrey), series("Pareto front", pick(p, tp), pick(t, tp), "#d62728", true, 3.5)};
  auto te = pareto_front(t, e);
  auto b = chart("Pareto front: energy vs time per minibatch", "time per minibatch (ms)", "energy per minibatch (J)",
                 note + fmt::format(" · {} on the front", te.size()));
  b.series = {series("all modes", t, e, kGrey), series("Pareto front", pick(t, te), pick(e, te), "#2ca02c", true, 3.5)};
  page.open_grid();
  page.figure(util::render_svg(a));
  page.figure(util::render_svg(b));
  page.close_grid();
}

void knob_charts(Page& page, const CampaignReport& c, const std::string& prov) {
  std::vector<std::string> fixed;
  std::vector<util::SvgChart> charts;
  for (const auto& k : kKnobs) {
    std::vector<double> x, t, p;
    std::set<long long> distinct;
    for (const auto& r : c.rows) {
      x.push_back(k.get(r.mode));
      t.push_back(r.time_ms);
      p.push_back(r.power_w);
      distinct.insert(std::llround(x.back() * 1000));
    }
    if (distinct.size() < 2) {
      fixed.push_back(fmt::format("{} = {}", k.name, num(x.front(), 6)));
      continue;
    }
    for (int which = 0; which < 2; ++which) {
      const auto& y = which == 0 ? t : p;
      auto ch = chart(fmt::format("{} against {}", which == 0 ? "Time" : "Power", k.name), k.label,
                      which == 0 ? "time per minibatch (ms)" : "board power (W)", prov);
      auto [mx, my] = medians(x, y);
      ch.series = {series("modes", x, y, kGrey, false, 2),
                   series("median", mx, my, which == 0 ? "#1f77b4" : "#ff7f0e", true, 3.5)};
      charts.push_back(std::move(ch));
    }
  }
  page.heading(3, "Time and power against each knob");
  if (!fixed.empty())
    page.paragraph(fmt::format("Fixed in this campaign: {}.", fmt::join(fixed, ", ")));
  if (charts.empty()) return;
  page.paragraph(fmt::format("Each grey point is one {} mode; the line is the median over the modes sharing the "
                             "knob's value.",
                             provenance_noun(c.info.provenance)),
                 "hint");
  page.open_grid();
  for (const auto& ch : charts) page.figure(util::render_svg(ch));
  page.close_grid();
}

void roofline_chart(Page& page, const CampaignReport& c, const std::string& prov) {
  page.heading(3, "Roofline");
  const auto& info = c.info;
  if (!c.spec || c.spec->gpu_cuda_cores <= 0 || c.spec->mem_bus_bits <= 0) {
    page.paragraph(fmt::format("No roofline: the store has no GPU and memory description of device '{}'.", info.device),
                   "hint");
    return;
  }
  if (!sim::is_catalog_workload(info.workload) || info.batch_size < 1 ||
      (info.task != "train" && info.task != "infer")) {
    page.paragraph(fmt::format("No roofline: modewise has no FLOP and byte counts for workload '{}' ({}, batch {}); "
                               "`modewise analyze MODEL.onnx` counts them for an ONNX model.",
                               info.workload, info.task, info.batch_size),
                   "hint");
    return;
  }
  device::WorkloadRequest w;
  w.workload = info.workload;
  w.task = info.task;
  w.batch_size = info.batch_size;
  sim::MinibatchWork work = sim::minibatch_work(w);
  const double ai = work.gflop * 1e9 / (work.dram_mb * 1e6);  // FLOP/byte
  const auto& spec = *c.spec;

  std::vector<std::string> ceilings;
  auto ceiling = [&](const device::PowerMode& m, const std::string& label, const std::string& color) {
    double peak = spec.peak_fp32_gflops(m.gpu_mhz), bw = spec.peak_dram_gbps(m.emc_mhz), ridge = peak / bw;
    ceilings.push_back(fmt::format("{} ({}): {} GFLOP/s peak FP32, {} GB/s DRAM, ridge at {} FLOP/byte", label,
                                   m.key(), num(peak), num(bw), num(ridge, 3)));
    return series(label, {0.1, ridge, 1000.0}, {0.1 * bw, peak, peak}, color, true, 0);
  };
  const profile::ProfileRow* slow = &c.rows.front();
  for (const auto& r : c.rows)
    if (r.mode.gpu_mhz * r.mode.emc_mhz < slow->mode.gpu_mhz * slow->mode.emc_mhz) slow = &r;
  std::vector<double> xs, ys;
  for (const auto& r : c.rows) xs.push_back(ai), ys.push_back(work.gflop / (r.time_ms / 1000.0));
  auto ch = chart(fmt::format("Roofline: {} {} batch {} on {}", info.workload, info.task, info.batch_size, info.device),
                  "arithmetic intensity (FLOP/byte)", "performance (GFLOP/s)",
                  prov + " · ceilings: FP32 peak and DRAM bandwidth of the device spec");
  ch.log_x = ch.log_y = true;
  ch.width = 760;
  ch.height = 420;
  ch.series.push_back(ceiling(spec.maxn(), "MAXN", "#1f77b4"));
  if (!(slow->mode == spec.maxn())) ch.series.push_back(ceiling(slow->mode, "lowest clocks", "#ff7f0e"));
  ch.series.push_back(series(provenance_noun(info.provenance) + " modes", xs, ys, "#d62728", false, 3));
  ch.series.back().line = false;
  for (auto& s : ch.series)
    if (s.radius == 0) s.points = false;
  page.figure(util::render_svg(ch));
  page.paragraph(fmt::format("Ceilings: {}. Workload counts (modewise catalog): {} GFLOP and {} MB of DRAM traffic "
                             "per minibatch, arithmetic intensity {} FLOP/byte; each red point is one {} mode "
                             "(GFLOP per minibatch / time per minibatch).",
                             fmt::join(ceilings, "; "), num(work.gflop), num(work.dram_mb), num(ai),
                             provenance_noun(info.provenance)),
                 "hint");
}

void tables(Page& page, const CampaignReport& c, const std::string& prov, const ReportOptions& o) {
  std::vector<std::string> metric_cols;
  for (const auto& m : profile::known_metric_columns())
    for (const auto& r : c.rows)
      if (r.metrics.count(m)) {
        metric_cols.push_back(m);
        break;
      }
  std::vector<double> t, p;
  for (const auto& r : c.rows) t.push_back(r.time_ms), p.push_back(r.power_w);
  auto front = pareto_front(p, t);
  std::set<size_t> on_front(front.begin(), front.end());
  std::vector<std::string> header = {"cores", "cpu_mhz", "gpu_mhz", "emc_mhz", "time_ms", "time_sd_ms",
                                     "power_w", "energy_j"};
  header.insert(header.end(), metric_cols.begin(), metric_cols.end());
  header.push_back("pareto");
  auto row_cells = [&](size_t i) {
    const auto& r = c.rows[i];
    std::vector<std::string> cells = {std::to_string(r.mode.cores), num(r.mode.cpu_mhz, 6), num(r.mode.gpu_mhz, 6),
                                      num(r.mode.emc_mhz, 6),       num(r.time_ms),         num(r.time_sd_ms),
                                      num(r.power_w),               num(r.energy_or_derived_j())};
    for (const auto& m : metric_cols) {
      auto it = r.metrics.find(m);
      cells.push_back(it == r.metrics.end() ? "–" : num(it->second));
    }
    cells.push_back(on_front.count(i) ? "yes" : "");
    return cells;
  };
  page.heading(3, "Numbers");
  HtmlTable pareto(header, fmt::format("Pareto-optimal modes (time vs power), by power — {}", prov));
  for (size_t i : front) pareto.add(row_cells(i), true);
  page.table(pareto);

  std::vector<size_t> order(c.rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return t[a] < t[b]; });
  size_t shown = std::min(order.size(), o.max_table_rows);
  HtmlTable all(header, fmt::format("All {} modes, fastest first{} — {}", c.rows.size(),
                                    shown < order.size() ? fmt::format(" (first {} shown)", shown) : "", prov));
  for (size_t k = 0; k < shown; ++k) all.add(row_cells(order[k]), on_front.count(order[k]) > 0);
  page.raw(fmt::format("<details><summary>All {} modes</summary>\n", c.rows.size()));
  page.table(all);
  if (shown < order.size())
    page.paragraph(fmt::format("{} more modes are in the store: `modewise db export --campaign {}`.",
                               order.size() - shown, c.info.id),
                   "hint");
  page.raw("</details>\n");
}

}  // namespace

std::string campaign_anchor(const CampaignReport& c) { return anchor_id("campaign", c.info.id); }

void render_campaign(Page& page, const CampaignReport& c, const ReportOptions& o) {
  const auto& info = c.info;
  const std::string prov = provenance_text(info.provenance, info.backend, info.source);
  page.raw(fmt::format("<section class=\"campaign\" id=\"{}\">\n", campaign_anchor(c)));
  page.heading(2, fmt::format("Campaign {}: {} {} · batch {} · {}", info.id, info.workload,
                              info.task.empty() ? "(task unknown)" : info.task, info.batch_size, info.device));
  page.raw(fmt::format("<p><span class=\"prov\">{}</span></p>\n", esc(prov)));
  HtmlTable meta({"field", "value"}, fmt::format("Campaign {} — {}", info.id, prov), false);
  meta.add({"kind", info.kind});
  meta.add({"backend", info.backend});
  meta.add({"status", info.message.empty() ? info.status : info.status + ": " + info.message});
  meta.add({"modes done", fmt::format("{} of {}", info.modes_done, info.modes_total)});
  if (info.minibatches > 0) meta.add({"minibatches per mode", std::to_string(info.minibatches)});
  meta.add({"source", info.source});
  meta.add({"created / updated (UTC)", info.created_at + " / " + info.updated_at});
  page.table(meta);
  if (c.rows.empty()) {
    page.paragraph("No finished modes yet.", "hint");
    page.raw("</section>\n");
    return;
  }
  page.heading(3, "Pareto fronts");
  pareto_charts(page, c, prov);
  knob_charts(page, c, prov);
  roofline_chart(page, c, prov);
  tables(page, c, prov, o);
  render_board_spread(page, c, prov);  // merged fleet campaigns only
  page.raw("</section>\n");
}

}  // namespace modewise::report::detail
