// `modewise db merge OUT.db IN.db...`: the stores of a fleet's boards (one shard of a campaign each, docs/FLEET.md)
// merged into one campaign per (device, workload, task, batch size, settings). Every row keeps its board: the same
// mode measured on two boards stays two rows (a conflict, shown as board-to-board spread, never averaged). Missing
// modes are reported: shards that never ran, modes a shard did not finish. Merging is idempotent: a row already in
// the output (same campaign, mode and board) is not added again.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "modewise/device/power_mode.h"
#include "modewise/profile/profile.h"
#include "modewise/store/store.h"

namespace modewise::store {

// One mode measured on two or more boards: the numbers of each board, side by side.
struct ModeSpread {
  device::PowerMode mode;
  std::vector<std::string> boards;       // one per row, in row order
  std::vector<double> time_ms, power_w;  // of each board
  double time_spread_pct() const;        // (max - min) / min x 100
  double power_spread_pct() const;
};

// The modes of `rows` measured on two or more distinct boards, in the order of their first row.
std::vector<ModeSpread> board_spread(const std::vector<profile::ProfileRow>& rows);
// Distinct non-empty boards of `rows`, in order of first appearance.
std::vector<std::string> boards_of(const std::vector<profile::ProfileRow>& rows);

struct MergedCampaign {
  CampaignInfo info;                 // the merged campaign in the output store, after the merge
  std::vector<std::string> sources;  // the campaigns merged into it: "IN.db: <id> (shard K/N, status)"
  std::vector<std::string> boards;   // distinct boards of its rows
  size_t rows_added = 0;             // rows new to the output
  size_t rows_present = 0;           // rows the output already had (the same shard merged again)
  size_t same_board_repeats = 0;     // a mode the same board measured twice with different numbers: the first kept
  size_t modes_expected = 0;         // distinct modes of the campaigns' lists (absent shards included)
  size_t modes_measured = 0;         // distinct modes with at least one row
  std::vector<std::string> missing;  // one line per absent shard or unfinished campaign
  std::vector<ModeSpread> conflicts;  // modes measured on two or more boards (every row kept)
  size_t modes_missing() const { return modes_expected > modes_measured ? modes_expected - modes_measured : 0; }
};

struct MergeSummary {
  std::string output;
  std::vector<std::string> inputs;
  std::vector<MergedCampaign> campaigns;
};

// Opens (creates) the store `output` and merges every campaign of the `inputs` (opened read-only) into it.
// Throws Error for a missing or unreadable input, and UsageError when the output is also an input.
MergeSummary merge_stores(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace modewise::store
