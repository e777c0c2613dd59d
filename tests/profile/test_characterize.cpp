// Characterization sweeps: configurations and campaigns, --sweep parsing, commands for a real board (placeholders,
// environment, docker), the page cache, the CSV, resuming, and the published qualitative findings on the emulator.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modewise/device/grid.h"
#include "modewise/profile/characterize.h"
#include "modewise/sim/emulator.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "profile/characterize_test_util.h"

namespace modewise::profile {
namespace {

using ::testing::HasSubstr;

using test::orin;
using test::sim_spec;

std::vector<CharacterizationRow> run_sim(const CharacterizationSpec& spec) {
  auto backend = sim::make_sim_backend(orin(), 7);
  MemoryCampaignLog log;
  auto out = run_characterization(*backend, spec, log);
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.rows.size(), out.total);
  return out.rows;
}

// ---- configurations, campaigns, sweeps

TEST(Characterize, ConfigurationsAreEveryCombinationModeInnermost) {
  auto s = sim_spec("resnet18", {"batch-size=8,16", "workers=0,2", "storage=sd,nvme", "mode=maxn,MODE_30W"});
  auto configs = configurations(s);
  ASSERT_EQ(configs.size(), 16u);
  EXPECT_EQ(configs[0].batch_size, 8);
  EXPECT_EQ(configs[0].workers, 0);
  EXPECT_EQ(configs[0].storage, "sd");
  EXPECT_EQ(configs[0].mode.name, "maxn");
  EXPECT_EQ(configs[1].mode.name, "MODE_30W");
  EXPECT_EQ(configs[2].storage, "nvme");
  EXPECT_EQ(configs[15].batch_size, 16);
  for (size_t i = 0; i < configs.size(); ++i) EXPECT_EQ(configs[i].index, i);

  auto plan = plan_campaigns(s);
  ASSERT_EQ(plan.size(), 8u);  // one campaign per (batch, workers, storage)
  EXPECT_EQ(plan[0].campaign.modes.size(), 2u);
  EXPECT_EQ(plan[0].configs, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(plan[3].campaign.workload.batch_size, 8);
  EXPECT_EQ(plan[3].campaign.workload.workers, 2);
  EXPECT_EQ(plan[3].campaign.workload.storage, "nvme");
  EXPECT_EQ(plan[3].campaign.minibatches, 30);
  EXPECT_NE(plan[0].campaign.id(), plan[1].campaign.id());
}

TEST(Characterize, EpochsSetTheMeasuredMinibatchesPerBatchSize) {
  auto s = sim_spec("resnet18", {"batch-size=16,32"});
  s.epochs = 2;
  s.dataset_samples = 1000;
  auto plan = plan_campaigns(s);
  EXPECT_EQ(minibatches_per_epoch(1000, 16), 63);  // ceil(1000/16)
  EXPECT_EQ(plan[0].campaign.minibatches, 126);
  EXPECT_EQ(plan[1].campaign.minibatches, 64);
}

TEST(Characterize, IdentityChangesWithTheSweepOnly) {
  auto a = sim_spec("resnet18", {"workers=0,1"});
  auto b = sim_spec("resnet18", {"workers=0,1"});
  auto c = sim_spec("resnet18", {"workers=0,2"});
  EXPECT_EQ(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_EQ(a.id().size(), 16u);
}

TEST(Characterize, ParseSweepAcceptsNamesKeysAndAliases) {
  SweepAxes axes;
  parse_sweep("batch_size=4,8", orin(), axes);
  parse_sweep("workers=0, 1,4", orin(), axes);
  parse_sweep("storage=SD,hdd", orin(), axes);
  parse_sweep("mode=maxn,MODE_30W,4c/1190.4/1300.5/3199", orin(), axes);
  EXPECT_EQ(axes.batch_sizes, (std::vector<int>{4, 8}));
  EXPECT_EQ(axes.workers, (std::vector<int>{0, 1, 4}));
  EXPECT_EQ(axes.storage, (std::vector<std::string>{"sd", "hdd"}));
  ASSERT_EQ(axes.modes.size(), 3u);
  EXPECT_EQ(axes.modes[1].name, "MODE_30W");
  EXPECT_EQ(axes.modes[1].mode, device::named_mode(orin(), "MODE_30W"));
  EXPECT_EQ(axes.modes[2].mode, (device::PowerMode{4, 1190.4, 1300.5, 3199}));
}

TEST(Characterize, ParseSweepErrorsNameTheArgument) {
  SweepAxes axes;
  auto error_of = [&](const std::string& arg) {
    try {
      parse_sweep(arg, orin(), axes);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of("batch-size"), HasSubstr("expected NAME=V1,V2"));
  EXPECT_THAT(error_of("threads=1,2"), HasSubstr("unknown axis 'threads'"));
  EXPECT_THAT(error_of("workers=1,,2"), HasSubstr("empty value"));
  EXPECT_THAT(error_of("workers=1,1"), HasSubstr("repeated"));
  EXPECT_THAT(error_of("batch-size=0"), HasSubstr("a batch size"));
  EXPECT_THAT(error_of("workers=-1"), HasSubstr("workers"));
  EXPECT_THAT(error_of("batch-size=x"), HasSubstr("'x'"));
  EXPECT_THAT(error_of("mode=turbo"), HasSubstr("'turbo' is not a mode"));
  EXPECT_THAT(error_of("mode=12c/2201.6/999/3199"), HasSubstr("999"));
  EXPECT_THAT(error_of("mode=maxn,12c/2201.6/1300.5/3199"), HasSubstr("appears twice"));
}

// ---- commands on a real board

TEST(Characterize, CommandExpandsPlaceholdersAndExportsTheConfiguration) {
  CharacterizationSpec s = sim_spec("mine", {"batch-size=32", "workers=2", "storage=sd,ssd"});
  s.workload.command = "python3 train.py --bs {batch_size} -j {workers} --data {data_dir} --tag {unknown} ${HOME}";
  s.storage_paths = {{"sd", "/media/sd/imagenet"}, {"ssd", "/mnt/ssd/it's"}};
  auto configs = configurations(s);
  std::string cmd = configuration_command(s, configs[0]);
  EXPECT_EQ(cmd,
            "export MODEWISE_BATCH_SIZE='32' MODEWISE_WORKERS='2' MODEWISE_STORAGE='sd' "
            "MODEWISE_DATA_DIR='/media/sd/imagenet' MODEWISE_EPOCHS='1'; "
            "python3 train.py --bs 32 -j 2 --data /media/sd/imagenet --tag {unknown} ${HOME}");
  EXPECT_THAT(configuration_command(s, configs[1]), HasSubstr("MODEWISE_DATA_DIR='/mnt/ssd/it'\"'\"'s'"));
  auto plan = plan_campaigns(s);
  EXPECT_THAT(plan[0].campaign.workload.command, HasSubstr("--data /media/sd/imagenet"));
  EXPECT_THAT(plan[1].campaign.workload.command, HasSubstr("--data /mnt/ssd/it's"));
}

TEST(Characterize, SweepingStorageOnABoardNeedsADirectoryPerMedium) {
  CharacterizationSpec s = sim_spec("mine", {"storage=sd,hdd"});
  s.workload.command = "python3 train.py";
  s.storage_paths = {{"sd", "/media/sd"}};
  auto configs = configurations(s);
  EXPECT_NO_THROW(configuration_command(s, configs[0]));
  try {
    configuration_command(s, configs[1]);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--storage-path hdd=DIR"));
  }
  s.workload.command.clear();
  EXPECT_EQ(configuration_command(s, configs[1]), "");  // the emulator needs no command
}

TEST(Characterize, ContainerWrapsTheCommandWithThePipeMounted) {
  CharacterizationSpec s = sim_spec("mine", {"batch-size=8", "storage=emmc"});
  s.workload.command = "python3 /work/train.py --bs {batch_size} --data '{data_dir}'";
  s.storage_paths = {{"emmc", "/data/emmc"}};
  s.container = "nvcr.io/nvidia/l4t-pytorch:r35.2.1-pth2.0-py3";
  std::string cmd = configuration_command(s, configurations(s)[0]);
  EXPECT_EQ(cmd,
            "docker run --rm --runtime nvidia --network host --ipc host -e MODEWISE_PIPE -e MODEWISE_MINIBATCHES "
            "-e MODEWISE_WORKLOAD -e MODEWISE_TASK -e MODEWISE_MODE -e MODEWISE_CORES -e MODEWISE_CPU_MHZ "
            "-e MODEWISE_GPU_MHZ -e MODEWISE_EMC_MHZ "
            "-v \"$MODEWISE_PIPE:$MODEWISE_PIPE\" -e 'MODEWISE_BATCH_SIZE=8' -e 'MODEWISE_WORKERS=4' "
            "-e 'MODEWISE_STORAGE=emmc' -e 'MODEWISE_DATA_DIR=/data/emmc' -e 'MODEWISE_EPOCHS=1' "
            "-v '/data/emmc:/data/emmc:ro' 'nvcr.io/nvidia/l4t-pytorch:r35.2.1-pth2.0-py3' sh -c "
            "'python3 /work/train.py --bs 8 --data '\"'\"'/data/emmc'\"'\"''");
  EXPECT_THROW(container_command(" ", "x", {}, {}), UsageError);
}

TEST(Characterize, ContainerCommandRunsThroughAShell) {
  // The constructed line is valid sh: replace docker by a function that prints its arguments.
  std::string line = container_command("img:1", "echo \"it's $MODEWISE_BATCH_SIZE\"", {{"MODEWISE_BATCH_SIZE", "16"}},
                                       {"/data dir"});
  auto dir = std::filesystem::temp_directory_path() / ("mw_char_sh_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto script = dir / "run.sh", out = dir / "out";
  std::ofstream(script) << "docker() { for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done; }\nMODEWISE_PIPE=/run/p.fifo\n"
                        << line << "\n";
  ASSERT_EQ(std::system(("sh '" + script.string() + "' > '" + out.string() + "'").c_str()), 0);
  std::stringstream ss;
  ss << std::ifstream(out).rdbuf();
  EXPECT_THAT(ss.str(), HasSubstr("[/run/p.fifo:/run/p.fifo]"));
  EXPECT_THAT(ss.str(), HasSubstr("[-e]\n[MODEWISE_MINIBATCHES]\n"));
  EXPECT_THAT(ss.str(), HasSubstr("[/data dir:/data dir:ro]"));
  EXPECT_THAT(ss.str(), HasSubstr("[img:1]\n[sh]\n[-c]\n[echo \"it's $MODEWISE_BATCH_SIZE\"]"));
  std::filesystem::remove_all(dir);
}

TEST(Characterize, DropPageCacheWritesThreeUnderTheRoot) {
  auto root = std::filesystem::temp_directory_path() / ("mw_char_root_" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "proc/sys/vm");
  std::ofstream(root / "proc/sys/vm/drop_caches") << "0\n";
  EXPECT_EQ(drop_page_cache(root.string()), "");
  std::ifstream in(root / "proc/sys/vm/drop_caches");
  std::string v;
  in >> v;
  EXPECT_EQ(v, "3");
  std::filesystem::remove_all(root / "proc");
  EXPECT_THAT(drop_page_cache(root.string()), HasSubstr("cannot drop the page cache"));
  std::filesystem::remove_all(root);
}

// ---- runs, CSV, resume

TEST(Characterize, CsvHasSweptColumnsFirstAndReadsAsAProfile) {
  auto s = sim_spec("resnet18", {"workers=1,4", "storage=nvme,hdd"});
  s.dataset_samples = 1600;
  auto rows = run_sim(s);
  ASSERT_EQ(rows.size(), 4u);
  std::stringstream csv;
  CharacterizationWriter w(csv);
  w.write_header();
  for (const auto& r : rows) w.write(r);
  auto table = util::parse_csv(csv.str(), "characterization.csv");
  EXPECT_EQ(table.header[0], "batch_size");
  EXPECT_EQ(table.header[1], "workers");
  EXPECT_EQ(table.header[2], "storage");
  EXPECT_EQ(table.header[3], "mode");
  for (const char* col : {"time_ms", "epoch_time_s", "stall_fraction", "gpu_util", "cpu_util", "epoch_energy_j",
                          "energy_per_sample_j", "time_cv", "mem_used_mb", "provenance"})
    EXPECT_TRUE(table.column(col)) << col;
  Profile p = parse_profile_csv(table);
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.rows[0].provenance, "emulated");
  EXPECT_EQ(p.rows[0].batch_size, 16);

  const auto& r = rows[0];
  EXPECT_EQ(r.minibatches_per_epoch, 100);
  EXPECT_NEAR(r.epoch_time_s(), r.row.time_ms * 100 / 1000, 1e-9);
  EXPECT_NEAR(r.epoch_energy_j(), r.row.time_ms * r.row.power_w / 1000 * 100, 1e-6);
  EXPECT_NEAR(r.energy_per_sample_j(), r.row.time_ms * r.row.power_w / 1000 / 16, 1e-9);
  EXPECT_GT(r.time_cv(), 0.0);
  EXPECT_LT(r.time_cv(), 0.2);
  EXPECT_GT(r.metric("mem_used_mb"), 1000);
  EXPECT_GT(r.metric("gpu_util"), 0);
}

// Keeps every campaign's rows by id (what the store does across processes).
class MapLog : public CampaignLog {
 public:
  std::vector<ProfileRow> open(const CampaignSpec& spec) override { return rows[spec.id()]; }
  void record(const CampaignSpec& spec, const ModeResult& r) override { rows[spec.id()].push_back(r.row); }
  void close(const CampaignSpec&, const std::string&, const std::string&) override {}
  std::map<std::string, std::vector<ProfileRow>> rows;
};

TEST(Characterize, StopsAndResumesWithoutRemeasuring) {
  auto s = sim_spec("mobilenetv3", {"workers=0,2", "mode=maxn,MODE_30W,MODE_15W"});
  auto backend = sim::make_sim_backend(orin(), 3);
  MapLog log;
  std::atomic<bool> stop{false};
  CharacterizeOptions opts;
  opts.stop = &stop;
  std::vector<size_t> ran;
  opts.before_run = [&](const Configuration& c) { ran.push_back(c.index); };
  CharacterizeCallbacks cb;
  cb.on_config = [&](size_t done, size_t, const Configuration&, bool) {
    if (done == 4) stop = true;
  };
  auto first = run_characterization(*backend, s, log, opts, cb);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.measured, 4u);
  EXPECT_EQ(first.rows.size(), 4u);
  EXPECT_EQ(ran, (std::vector<size_t>{0, 1, 2, 3}));

  stop = false;
  ran.clear();
  std::vector<CharacterizationRow> written;
  cb.on_config = nullptr;
  cb.on_rows = [&](const std::vector<CharacterizationRow>& rows) { written.insert(written.end(), rows.begin(), rows.end()); };
  auto second = run_characterization(*backend, s, log, opts, cb);
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.resumed, 4u);
  EXPECT_EQ(second.measured, 2u);
  EXPECT_EQ(ran, (std::vector<size_t>{4, 5}));  // only the unfinished configurations ran
  ASSERT_EQ(written.size(), 6u);
  for (size_t i = 0; i < written.size(); ++i) EXPECT_EQ(written[i].config.index, i);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(written[i].row.time_ms, first.rows[i].row.time_ms);
}

}  // namespace
}  // namespace modewise::profile
