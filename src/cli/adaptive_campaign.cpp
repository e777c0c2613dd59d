#include "cli/adaptive_campaign.h"

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "cli/common.h"
#include "modewise/predict/sampling.h"
#include "modewise/predict/train.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::cli {

ModeDesign parse_mode_design(const std::string& modes_arg) {
  std::string a = util::to_lower(util::trim(modes_arg));
  for (const char* kind : {"random", "spread", "adaptive"}) {
    std::string prefix = std::string(kind) + ":";
    if (util::starts_with(a, prefix)) {
      long long n = 0;
      try {
        n = util::parse_int(a.substr(prefix.size()), fmt::format("--modes {}:N", kind), "a whole number of modes N");
      } catch (const UsageError&) {
        throw;
      } catch (const Error& e) {
        throw UsageError("{}", e.what());
      }
      return {kind, n};
    }
  }
  return {};
}

std::vector<device::PowerMode> design_modes(const std::vector<device::PowerMode>& candidates, const ModeDesign& d,
                                            uint64_t seed, const std::string& what) {
  MW_CHECK(d.kind == "random" || d.kind == "spread");
  if (d.n < 1 || static_cast<size_t>(d.n) > candidates.size())
    throw UsageError("--modes {}:N: N must be between 1 and {} ({}), found {}", d.kind, candidates.size(), what, d.n);
  return predict::choose_modes(candidates, static_cast<size_t>(d.n), d.kind, seed);
}

namespace {

void check_adaptive_counts(long long n, long long initial, long long batch, size_t candidates,
                           const std::string& what) {
  const long long min_n = predict::kMinTransferModes;
  if (n < min_n || static_cast<size_t>(n) > candidates)
    throw UsageError("--modes adaptive:N: N must be between {} (the fewest modes a transfer accepts) and {} ({}), "
                     "found {}",
                     min_n, candidates, what, n);
  if (initial < min_n || initial > n)
    throw UsageError("--adaptive-initial: the first batch must be between {} (the fewest modes a transfer accepts) "
                     "and N = {}, found {}",
                     min_n, n, initial);
  if (batch < 1 || batch > n)
    throw UsageError("--adaptive-batch: expected between 1 and N = {} modes per step, found {}", n, batch);
}

}  // namespace

AdaptivePlan plan_adaptive(predict::PerfModel base, const std::string& base_id, long long n, long long initial,
                           long long batch, uint64_t seed, std::vector<device::PowerMode> candidates,
                           const std::string& what) {
  check_adaptive_counts(n, initial, batch, candidates.size(), what);
  AdaptivePlan plan;
  plan.base = std::move(base);
  plan.options.total = static_cast<size_t>(n);
  plan.options.initial = static_cast<size_t>(initial);
  plan.options.batch = static_cast<size_t>(batch);
  plan.options.seed = seed;
  plan.candidates = std::move(candidates);
  std::string keys;
  for (const auto& m : plan.candidates) keys += m.key() + ",";
  plan.design = fmt::format("adaptive:{} initial={} batch={} first={} score={} transfer={} base={} candidates={}:{}", n,
                            initial, batch, plan.options.first_batch, plan.options.score, plan.options.transfer.method,
                            base_id, plan.candidates.size(), profile::fnv1a_hex(keys));
  return plan;
}

AdaptivePlan plan_adaptive(const std::string& base_path, long long n, long long initial, long long batch,
                           uint64_t seed, std::vector<device::PowerMode> candidates, const std::string& what) {
  if (base_path.empty())
    throw UsageError("--modes adaptive:N needs --base REF.model.json: the reference model (`modewise fit`) that is "
                     "transferred after each batch to choose the next modes");
  check_adaptive_counts(n, initial, batch, candidates.size(), what);
  std::string text;
  predict::PerfModel base;
  try {
    text = util::read_text_file(base_path);
    base = predict::load_model(base_path);
  } catch (const Error& e) {
    throw UsageError("--base {}: expected a modewise model file (from `modewise fit` or `transfer`): {}", base_path,
                     e.what());
  }
  return plan_adaptive(std::move(base), profile::fnv1a_hex(text), n, initial, batch, seed, std::move(candidates),
                       what);
}

profile::ChooseModesFn adaptive_chooser(const AdaptivePlan& plan, const device::DeviceSpec& spec) {
  auto p = std::make_shared<const AdaptivePlan>(plan);
  return [p, spec](const std::vector<profile::ProfileRow>& measured) {
    return predict::next_adaptive_modes(p->base, spec, p->candidates, measured, p->options);
  };
}

void report_adaptive_steps(profile::CampaignCallbacks& cb, const std::string& label) {
  auto t0 = std::make_shared<std::chrono::steady_clock::time_point>();
  auto done = std::make_shared<size_t>(0);
  auto total = std::make_shared<size_t>(0);
  cb.on_choose = [t0, done, total](size_t, size_t d, size_t all) {
    *t0 = std::chrono::steady_clock::now();
    *done = d;
    *total = all;
  };
  cb.on_chosen = [t0, done, total, label](size_t step, const std::vector<device::PowerMode>& modes) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - *t0).count();
    if (modes.empty())
      info(fmt::format("{} step {}: no more modes to choose ({} of {} measured)", label, step, *done, *total));
    else
      info(fmt::format("{} step {}: {} mode{} chosen in {:.2f} s from {} measured (of {})", label, step, modes.size(),
                       modes.size() == 1 ? "" : "s", s, *done, *total));
  };
  cb.on_note = [label](const std::string& message) { warn(fmt::format("{}: {}", label, message)); };
}

}  // namespace modewise::cli
