// A characterization's section: heat maps over the sweep, the stall breakdown, trend charts, the numbers.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "modewise/report/charts.h"
#include "modewise/util/svg.h"
#include "report/sections.h"

namespace modewise::report::detail {

namespace {

using profile::CharacterizationRow;
using profile::Configuration;

// One sweep axis: its values in sweep order and how a configuration shows on it.
struct Dim {
  std::string name;        // "batch size"
  std::string axis_label;  // "batch size (samples)"
  std::vector<std::string> values;
  std::function<std::string(const Configuration&)> value;  // "16"
  std::function<std::string(const Configuration&)> short_label;  // "batch 16"
  bool swept() const { return values.size() > 1; }
};

std::vector<Dim> dims_of(const profile::CharacterizationSpec& d) {
  std::vector<Dim> out(4);
  out[0] = {"batch size", "batch size (samples)", {}, [](const Configuration& c) { return std::to_string(c.batch_size); },
            [](const Configuration& c) { return fmt::format("batch {}", c.batch_size); }};
  for (int v : d.axes.batch_sizes) out[0].values.push_back(std::to_string(v));
  out[1] = {"workers", "DataLoader workers (processes)", {},
            [](const Configuration& c) { return std::to_string(c.workers); },
            [](const Configuration& c) { return fmt::format("{} worker{}", c.workers, c.workers == 1 ? "" : "s"); }};
  for (int v : d.axes.workers) out[1].values.push_back(std::to_string(v));
  out[2] = {"storage", "storage medium", d.axes.storage, [](const Configuration& c) { return c.storage; },
            [](const Configuration& c) { return c.storage; }};
  out[3] = {"mode", "power mode", {}, [](const Configuration& c) { return c.mode.name; },
            [](const Configuration& c) { return c.mode.name; }};
  for (const auto& m : d.axes.modes) out[3].values.push_back(m.name);
  return out;
}

struct Metric {
  const char* name;
  const char* label;  // with unit
  double scale;
  double (*get)(const CharacterizationRow&);
};

const Metric kMetrics[] = {
    {"stall_fraction", "fetch stall (% of time)", 100, [](const CharacterizationRow& r) { return r.metric("stall_fraction"); }},
    {"epoch_time_s", "time per epoch (s)", 1, [](const CharacterizationRow& r) { return r.epoch_time_s(); }},
    {"epoch_energy_j", "energy per epoch (kJ)", 1e-3, [](const CharacterizationRow& r) { return r.epoch_energy_j(); }},
    {"energy_per_sample_j", "energy per sample (mJ)", 1e3,
     [](const CharacterizationRow& r) { return r.energy_per_sample_j(); }},
    {"throughput_sps", "throughput (samples/s)", 1, [](const CharacterizationRow& r) { return r.throughput_sps(); }},
    {"power_w", "board power (W)", 1, [](const CharacterizationRow& r) { return r.row.power_w; }},
    {"gpu_util", "GPU utilization (%)", 100, [](const CharacterizationRow& r) { return r.metric("gpu_util"); }},
    {"cpu_util", "CPU utilization (% of online cores)", 100, [](const CharacterizationRow& r) { return r.metric("cpu_util"); }},
    {"time_cv", "minibatch time variability (CV, %)", 100, [](const CharacterizationRow& r) { return r.time_cv(); }},
    {"mem_used_mb", "memory used (MB)", 1, [](const CharacterizationRow& r) { return r.metric("mem_used_mb"); }},
};

// The layout of the heat maps: one column axis, rows = combinations of the other swept axes.
struct Layout {
  size_t column = 1;          // index into dims
  std::vector<size_t> rows;   // indices into dims
  std::string fixed;          // "batch 16 · nvme" (axes with one value)
};

Layout layout_of(const std::vector<Dim>& dims, const std::vector<CharacterizationRow>& rows) {
  Layout l;
  const size_t preference[] = {1, 2, 0, 3};  // workers, storage, batch size, mode
  l.column = 3;
  for (size_t k : preference)
    if (dims[k].swept()) {
      l.column = k;
      break;
    }
  std::vector<std::string> fixed;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (k == l.column) continue;
    if (dims[k].swept())
      l.rows.push_back(k);
    else if (!rows.empty())
      fixed.push_back(dims[k].short_label(rows.front().config));
  }
  l.fixed = fmt::format("{}", fmt::join(fixed, " · "));
  return l;
}

std::string row_label(const std::vector<Dim>& dims, const Layout& l, const Configuration& c) {
  std::vector<std::string> parts;
  for (size_t k : l.rows) parts.push_back(dims[k].short_label(c));
  return parts.empty() ? (l.fixed.empty() ? "all" : l.fixed) : fmt::format("{}", fmt::join(parts, " · "));
}

std::string rows_axis_label(const std::vector<Dim>& dims, const Layout& l) {
  if (l.rows.empty()) return "configuration";
  std::vector<std::string> names;
  for (size_t k : l.rows) names.push_back(dims[k].name);
  return fmt::format("configuration ({})", fmt::join(names, " · "));
}

void heatmaps(Page& page, const CharacterizationReport& c, const std::vector<Dim>& dims, const Layout& l,
              const std::string& prov) {
  std::vector<std::string> row_labels;  // in order of first appearance
  std::map<std::string, size_t> row_index;
  for (const auto& r : c.rows) {
    auto label = row_label(dims, l, r.config);
    if (row_index.emplace(label, row_labels.size()).second) row_labels.push_back(label);
  }
  const Dim& col = dims[l.column];
  page.heading(3, "Heat maps");
  page.paragraph(fmt::format("Columns: {}; rows: {}.{}", col.name, rows_axis_label(dims, l),
                             l.fixed.empty() || l.rows.empty() ? "" : " Fixed: " + l.fixed + "."),
                 "hint");
  page.open_grid();
  for (const auto& m : kMetrics) {
    HeatMap h;
    h.title = fmt::format("{} by {}", m.label, col.name);
    h.title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(h.title[0])));
    h.note = prov + (l.fixed.empty() ? "" : " · " + l.fixed);
    h.x_label = col.axis_label;
    h.y_label = rows_axis_label(dims, l);
    h.x_categories = col.values;
    h.y_categories = row_labels;
    h.values.assign(row_labels.size(), std::vector<double>(col.values.size(), std::nan("")));
    h.value_label = m.label;
    h.scale = m.scale;
    for (const auto& r : c.rows) {
      size_t ri = row_index.at(row_label(dims, l, r.config));
      auto it = std::find(col.values.begin(), col.values.end(), col.value(r.config));
      if (it != col.values.end()) h.values[ri][static_cast<size_t>(it - col.values.begin())] = m.get(r);
    }
    page.figure(render_heatmap(h));
  }
  page.close_grid();
}

std::string config_label(const std::vector<Dim>& dims, const Configuration& c) {
  std::vector<std::string> parts;
  for (const auto& d : dims)
    if (d.swept()) parts.push_back(d.short_label(c));
  return parts.empty() ? dims[3].short_label(c) : fmt::format("{}", fmt::join(parts, " · "));
}

void stall_breakdown(Page& page, const CharacterizationReport& c, const std::vector<Dim>& dims, const Layout& l,
                     const std::string& prov, size_t max_rows) {
  StackedBars b;
  b.title = "Stall breakdown: where each minibatch's time goes";
  b.note = prov + (l.fixed.empty() ? "" : " · " + l.fixed);
  b.x_label = "time per minibatch (ms)";
  b.y_label = "configuration";
  b.segment_names = {"fetch stall (waiting for data)", "compute (GPU and launch)"};
  b.colors = {"#d62728", "#1f77b4"};
  size_t n = std::min(c.rows.size(), max_rows);
  for (size_t i = 0; i < n; ++i) {
    const auto& r = c.rows[i];
    double fetch = r.metric("fetch_ms");
    if (std::isnan(fetch)) fetch = r.metric("stall_fraction") * r.row.time_ms;
    if (std::isnan(fetch)) fetch = 0;
    b.categories.push_back(config_label(dims, r.config));
    b.segments.push_back({fetch, std::max(0.0, r.row.time_ms - fetch)});
  }
  page.heading(3, "Stall breakdown");
  page.figure(render_stacked_bars(b));
  if (n < c.rows.size()) page.paragraph(fmt::format("First {} of {} configurations shown.", n, c.rows.size()), "hint");
}

// Series of `y` against the numeric axis `along`, one per combination of the other swept axes (at most 10).
void trend(Page& page, const CharacterizationReport& c, const std::vector<Dim>& dims, size_t along,
           const std::string& title, const std::string& y_label, double (*get)(const CharacterizationRow&),
           double scale, const std::string& prov) {
  std::map<std::string, util::SvgSeries> by_label;
  std::vector<std::string> order;
  for (const auto& r : c.rows) {
    std::vector<std::string> parts;
    for (size_t k = 0; k < dims.size(); ++k)
      if (k != along && dims[k].swept()) parts.push_back(dims[k].short_label(r.config));
    std::string label = parts.empty() ? "configurations" : fmt::format("{}", fmt::join(parts, " · "));
    auto [it, fresh] = by_label.try_emplace(label);
    if (fresh) {
      order.push_back(label);
      it->second.name = label;
      it->second.line = true;
    }
    it->second.x.push_back(along == 0 ? r.config.batch_size : r.config.workers);
    it->second.y.push_back(get(r) * scale);
  }
  util::SvgChart ch;
  ch.title = title;
  ch.x_label = dims[along].axis_label;
  ch.y_label = y_label;
  ch.note = prov + (order.size() > 10 ? fmt::format(" · first 10 of {} series", order.size()) : "");
  ch.width = 560;
  ch.height = 360;
  for (size_t i = 0; i < order.size() && i < 10; ++i) ch.series.push_back(by_label.at(order[i]));
  page.figure(util::render_svg(ch));
}

void trends(Page& page, const CharacterizationReport& c, const std::vector<Dim>& dims, const std::string& prov) {
  page.heading(3, "Trends");
  page.open_grid();
  if (dims[0].swept()) {
    trend(page, c, dims, 0, "Throughput against batch size", "throughput (samples/s)",
          [](const CharacterizationRow& r) { return r.throughput_sps(); }, 1, prov);
    trend(page, c, dims, 0, "Power against batch size", "board power (W)",
          [](const CharacterizationRow& r) { return r.row.power_w; }, 1, prov);
  }
  if (dims[1].swept()) {
    trend(page, c, dims, 1, "Fetch stalls against DataLoader workers", "fetch stall (% of time)",
          [](const CharacterizationRow& r) { return r.metric("stall_fraction"); }, 100, prov);
    trend(page, c, dims, 1, "Time per epoch against DataLoader workers", "time per epoch (s)",
          [](const CharacterizationRow& r) { return r.epoch_time_s(); }, 1, prov);
  }
  // energy against time per epoch, one series per power mode
  util::SvgChart ch;
  ch.title = "Energy against time per epoch, by power mode";
  ch.x_label = "time per epoch (s)";
  ch.y_label = "energy per epoch (kJ)";
  ch.note = prov;
  ch.width = 560;
  ch.height = 360;
  for (const auto& m : c.definition.axes.modes) {
    util::SvgSeries s;
    s.name = m.name;
    s.radius = 4;
    for (const auto& r : c.rows)
      if (r.config.mode.name == m.name) s.x.push_back(r.epoch_time_s()), s.y.push_back(r.epoch_energy_j() / 1000);
    if (!s.x.empty() && ch.series.size() < 10) ch.series.push_back(std::move(s));
  }
  page.figure(util::render_svg(ch));
  page.close_grid();
}

void numbers(Page& page, const CharacterizationReport& c, const std::string& prov, size_t max_rows) {
  HtmlTable t({"batch_size", "workers", "storage", "mode", "time_ms", "epoch_time_s", "throughput_sps", "power_w",
               "epoch_energy_j", "energy_per_sample_j", "stall_fraction", "gpu_util", "cpu_util", "time_cv",
               "mem_used_mb"},
              fmt::format("All {} configurations{} — {}", c.rows.size(),
                          c.rows.size() > max_rows ? fmt::format(" (first {} shown)", max_rows) : "", prov));
  for (size_t i = 0; i < c.rows.size() && i < max_rows; ++i) {
    const auto& r = c.rows[i];
    t.add({std::to_string(r.config.batch_size), std::to_string(r.config.workers), r.config.storage,
           r.config.mode.name, num(r.row.time_ms), num(r.epoch_time_s()), num(r.throughput_sps()), num(r.row.power_w),
           num(r.epoch_energy_j()), num(r.energy_per_sample_j()), num(r.metric("stall_fraction")),
           num(r.metric("gpu_util")), num(r.metric("cpu_util")), num(r.time_cv()), num(r.metric("mem_used_mb"))});
  }
  page.heading(3, "Numbers");
  page.table(t);
}

}  // namespace

std::string characterization_anchor(const CharacterizationReport& c) {
  return anchor_id("characterization", c.info.id);
}

void render_characterization(Page& page, const CharacterizationReport& c, const ReportOptions& o) {
  const auto& info = c.info;
  const auto& d = c.definition;
  const std::string prov = provenance_text(info.provenance, info.backend);
  page.raw(fmt::format("<section class=\"characterization\" id=\"{}\">\n", characterization_anchor(c)));
  page.heading(2, fmt::format("Characterization {}: {} {} on {}", info.id, info.workload, info.task, info.device));
  page.raw(fmt::format("<p><span class=\"prov\">{}</span></p>\n", esc(prov)));
  auto dims = dims_of(d);
  HtmlTable meta({"field", "value"}, fmt::format("Characterization {} — {}", info.id, prov), false);
  meta.add({"backend", info.backend});
  meta.add({"status", info.message.empty() ? info.status : info.status + ": " + info.message});
  meta.add({"configurations done", fmt::format("{} of {}", info.configs_done, info.configs_total)});
  for (const auto& dim : dims) meta.add({dim.axis_label, fmt::format("{}", fmt::join(dim.values, ", "))});
  meta.add({"epoch", fmt::format("{} samples; {}", d.dataset_samples,
                                 d.epochs > 0 ? fmt::format("{} whole epochs run per configuration", d.epochs)
                                              : fmt::format("per-epoch numbers scaled from a window of {} minibatches",
                                                            d.minibatches))});
  if (!d.workload.command.empty()) meta.add({"command", d.workload.command});
  if (!d.container.empty()) meta.add({"container", d.container});
  meta.add({"source", info.source});
  meta.add({"created / updated (UTC)", info.created_at + " / " + info.updated_at});
  page.table(meta);
  if (c.rows.empty()) {
    page.paragraph("No finished configurations yet.", "hint");
    page.raw("</section>\n");
    return;
  }
  Layout l = layout_of(dims, c.rows);
  heatmaps(page, c, dims, l, prov);
  stall_breakdown(page, c, dims, l, prov, o.max_table_rows);
  trends(page, c, dims, prov);
  numbers(page, c, prov, o.max_table_rows);
  page.raw("</section>\n");
}

}  // namespace modewise::report::detail
