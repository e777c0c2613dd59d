// The emulated reference and transfer models the prediction CLI tests start from (test_cli_predict.cpp,
// test_cli_recommend_confirm.cpp): resnet18 profiled on sim:orin-agx (emulated numbers), fitted, and transferred to
// mobilenetv3 with 30 emulated modes.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/run_cli.h"

namespace modewise::test {

// `p` single-quoted for run_cli's shell command line.
inline std::string q(const std::filesystem::path& p) {  // appended, not operator+ of temporaries: g++ 12 -Wrestrict
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

// Writes ref.csv (resnet18, random:ref_modes of the powertrain grid, seed 1), new.csv (mobilenetv3, random:30, seed
// 2), ref.model.json (fit, `epochs`) and new.model.json (transfer) into `dir`. `profile` is how the profile command
// starts (e.g. "profile --no-db", or "--db 'x.db' profile"). A failing step fails the calling test (suite) set-up.
inline void make_emulated_models(const std::filesystem::path& dir, const std::string& profile, int ref_modes,
                                 int epochs) {
  auto ref = run_cli(profile + " --device sim:orin-agx --workload resnet18 --modes random:" + std::to_string(ref_modes) +
                     " --grid powertrain --seed 1 --out " + q(dir / "ref.csv"));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  auto fresh = run_cli(profile + " --device sim:orin-agx --workload mobilenetv3 --modes random:30 --grid powertrain "
                                 "--seed 2 --out " + q(dir / "new.csv"));
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  auto fit = run_cli("fit --profile " + q(dir / "ref.csv") + " --out " + q(dir / "ref.model.json") + " --epochs " +
                     std::to_string(epochs));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  auto tr = run_cli("transfer --base " + q(dir / "ref.model.json") + " --profile " + q(dir / "new.csv") + " --out " +
                    q(dir / "new.model.json"));
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
}

}  // namespace modewise::test
