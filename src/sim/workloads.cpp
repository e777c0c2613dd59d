// Workload catalog. Work per sample comes from the real models (see docs/EMULATOR.md, "Workloads"):
// FLOPs are 2 x MACs in FP32; activation traffic counts inputs + outputs of every node at 4 B (Pagoda's rule),
// scaled by 0.82 so that the rule applied to our layer-shape count of ResNet-50 matches Pagoda's published
// 235 MB/sample. Efficiencies (compute_eff, elementwise_eff, mem_eff, half_fill_samples, gpu_activity) are
// the calibrated parameters: fitted to reference/pagoda-maxn-inference.csv (AGX Orin, MAXN) with
// `modewise sim-check --fit`; resnet18 and bert-base have no reference points and reuse their siblings' values.
#include "sim/workloads.h"

#include <cmath>

#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::sim::detail {

namespace {

std::vector<WorkloadParams> build_catalog() {
  std::vector<WorkloadParams> c;
  {
    WorkloadParams w;  // torchvision resnet18, ImageNet 224x224
    w.name = "resnet18";
    w.ops_counted = 69;
    w.kernels_counted = 69;  // one per counted op
    w.shape = "3x224x224";
    w.fwd_gflop = 3.64;  // 1.82 GMAC
    w.fwd_act_mb = 52;
    w.param_mb = 46.8;   // 11.7 M parameters
    w.ops_fwd = 87;     // counted 69 (20 conv, 20 bn, 17 relu, 8 add, pools, fc), scaled as resnet50's fit
    w.kernels_fwd = 77;
    w.compute_flop_share = 0.97;
    w.compute_byte_share = 0.35;
    w.compute_eff = 0.774;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.885;
    w.half_fill_samples = 1.6;
    w.gpu_activity = 0.858;
    w.input_kb = 110;    // ImageNet JPEG
    w.prep_mcycles_train = 22;
    w.prep_mcycles_infer = 10;
    c.push_back(w);
  }
  {
    WorkloadParams w;  // torchvision resnet50, ImageNet 224x224 (Pagoda: 8.2063 GFLOP, 235 MB activations)
    w.name = "resnet50";
    w.ops_counted = 161;
    w.kernels_counted = 161;  // one per counted op
    w.shape = "3x224x224";
    w.fwd_gflop = 8.21;
    w.fwd_act_mb = 235;
    w.param_mb = 102.2;  // 25.6 M
    w.ops_fwd = 203;    // counted 161 (53 conv, 53 bn, 49 relu, 16 add, pools, fc); fitted
    w.kernels_fwd = 179;
    w.compute_flop_share = 0.97;
    w.compute_byte_share = 0.35;
    w.compute_eff = 0.774;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.885;
    w.half_fill_samples = 1.6;
    w.gpu_activity = 0.858;
    w.input_kb = 110;
    w.prep_mcycles_train = 22;
    w.prep_mcycles_infer = 10;
    c.push_back(w);
  }
  {
    WorkloadParams w;  // torchvision mobilenet_v3_large, 224x224
    w.name = "mobilenetv3";
    w.ops_counted = 215;
    w.kernels_counted = 215;  // one per counted op
    w.aliases = {"mobnet", "mobilenet", "mobilenet_v3_large", "mobilenetv3-large"};
    w.shape = "3x224x224";
    w.fwd_gflop = 0.44;  // 0.22 GMAC
    w.fwd_act_mb = 85;
    w.param_mb = 22.0;   // 5.5 M
    w.ops_fwd = 264;    // counted 215 (62 conv, bn, hardswish/relu, 8 SE blocks); fitted
    w.kernels_fwd = 236;
    w.compute_flop_share = 0.9;   // depthwise convolutions count as conv but run near memory speed
    w.compute_byte_share = 0.4;
    w.compute_eff = 0.25;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.292;
    w.half_fill_samples = 5.82;
    w.gpu_activity = 1.72;
    w.input_kb = 110;
    w.prep_mcycles_train = 22;
    w.prep_mcycles_infer = 10;
    c.push_back(w);
  }
  {
    WorkloadParams w;  // ultralytics yolov8n, 640x640 (8.7 GFLOP), conv+bn fused, SiLU separate
    w.name = "yolov8n";
    w.ops_counted = 190;
    w.kernels_counted = 190;  // one per counted op
    w.aliases = {"yolo", "yolov8"};
    w.shape = "3x640x640";
    w.fwd_gflop = 8.7;
    w.fwd_act_mb = 190;
    w.param_mb = 12.6;   // 3.2 M
    w.ops_fwd = 241;    // counted 190 (64 conv, 57 SiLU, split/concat/upsample, head decode); fitted
    w.kernels_fwd = 132;
    w.compute_flop_share = 0.97;
    w.compute_byte_share = 0.4;
    w.compute_eff = 0.302;  // narrow (16-256 channel) convolutions keep SMs underfed
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.641;
    w.half_fill_samples = 0.172;
    w.gpu_activity = 0.999;
    w.input_kb = 160;    // COCO JPEG
    w.prep_mcycles_train = 55;  // mosaic of 4 images + HSV + affine at 640
    w.prep_mcycles_infer = 12;  // decode + letterbox
    w.host_mcycles_per_sample_infer = 1.0;  // box decode / NMS bookkeeping
    c.push_back(w);
  }
  {
    WorkloadParams w;  // bert-base-uncased, sequence 384 (SQuAD-style); 85 M encoder parameters
    w.name = "bert-base";
    w.ops_counted = 250;
    w.kernels_counted = 250;  // one per counted op
    w.aliases = {"bert_base", "bertbase"};
    w.shape = "seq 384";
    w.fwd_gflop = 70.7;  // 2 x 85 M x 384 tokens + attention 12 x 4 x 384^2 x 768
    w.fwd_act_mb = 500;
    w.param_mb = 438;    // 110 M with embeddings
    w.ops_fwd = 106;    // counted ~250 (~20 per layer x 12 + embeddings, pooler), scaled as bert-large's fit
    w.kernels_fwd = 158;
    w.compute_flop_share = 0.98;
    w.compute_byte_share = 0.3;
    w.compute_eff = 1.02;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.402;
    w.half_fill_samples = 0.0751;
    w.gpu_activity = 0.93;
    w.input_kb = 3;      // token ids, mask, segment ids
    w.prep_mcycles_train = 1.5;
    w.prep_mcycles_infer = 1.5;
    c.push_back(w);
  }
  {
    WorkloadParams w;  // bert-large-uncased, sequence 384; 302 M encoder parameters
    w.name = "bert-large";
    w.ops_counted = 490;
    w.kernels_counted = 490;  // one per counted op
    w.aliases = {"bert_large", "bertlarge", "bert"};
    w.shape = "seq 384";
    w.fwd_gflop = 246.5;  // 2 x 302 M x 384 + attention 24 x 4 x 384^2 x 1024
    w.fwd_act_mb = 1350;
    w.param_mb = 1340;    // 335 M
    w.ops_fwd = 208;    // counted ~490 (~20 per layer x 24 + embeddings); fitted (many ops hide under GPU time)
    w.kernels_fwd = 310;
    w.compute_flop_share = 0.98;
    w.compute_byte_share = 0.3;
    w.compute_eff = 1.02;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.402;
    w.half_fill_samples = 0.0751;
    w.gpu_activity = 0.93;
    w.input_kb = 3;
    w.prep_mcycles_train = 1.5;
    w.prep_mcycles_infer = 1.5;
    c.push_back(w);
  }
  {
    WorkloadParams w;  // 2-layer LSTM classifier, hidden 256, embedding 256 (10 k vocabulary), sequence 32
    w.name = "lstm";
    w.ops_counted = 5;
    w.kernels_counted = 132;  // per layer an input GEMM + 2 per time step
    w.shape = "seq 32";
    w.fwd_gflop = 0.067;  // 2 layers x 32 steps x 2 x 4 x 256 x 512
    w.fwd_act_mb = 0.4;
    w.param_mb = 14.5;    // 3.6 M
    w.ops_fwd = 4.5;    // embedding, nn.LSTM (one cuDNN call), slice, linear: counted 5; fitted
    w.kernels_fwd = 79;  // cuDNN kernels (counted 132: per layer an input GEMM + 2 per time step); fitted
    w.serial_steps = 64;  // 2 layers x 32 time steps, each waiting for the previous one
    w.compute_flop_share = 0.95;
    w.compute_byte_share = 0.5;
    w.compute_eff = 0.392;
    w.elementwise_eff = 0.25;
    w.mem_eff = 0.9;
    w.half_fill_samples = 1.62;
    w.gpu_activity = 0.979;
    w.input_kb = 0.5;
    w.prep_mcycles_train = 0.3;
    w.prep_mcycles_infer = 0.3;
    c.push_back(w);
  }
  return c;
}

std::string names_list() {
  std::string s;
  for (const auto& w : catalog()) s += (s.empty() ? "" : ", ") + w.name;
  return s + ", ert:<AI>";
}

// ERT-style synthetic loop: each sample streams 64 MB through a kernel doing AI FLOP per byte.
WorkloadParams make_ert(const std::string& name, double ai) {
  WorkloadParams w;
  w.name = name;
  w.shape = "64 MB per sample";
  w.fwd_act_mb = 64;
  w.fwd_gflop = ai * 64 * 1.048576e6 / 1e9;  // AI x bytes
  w.param_mb = 0;
  w.ops_fwd = 4;
  w.kernels_fwd = 4;
  w.compute_flop_share = 1.0;  // one kernel class: the FMA loop itself
  w.compute_byte_share = 1.0;
  w.compute_eff = 0.9;   // ERT reaches ~90% of peak FP32
  w.elementwise_eff = 0.9;
  w.mem_eff = 0.8;       // and ~80% of peak DRAM bandwidth
  w.half_fill_samples = 0.0;
  w.gpu_activity = 1.0;
  return w;
}

}  // namespace

const std::vector<WorkloadParams>& catalog() {
  static const std::vector<WorkloadParams> c = build_catalog();
  return c;
}

bool is_ert(const WorkloadParams& w) { return util::starts_with(w.name, "ert:"); }

WorkloadParams find_workload(const std::string& raw) {
  std::string name = util::to_lower(util::trim(raw));
  if (util::starts_with(name, "ert:")) {
    std::string ai_text = name.substr(4);
    double ai = 0;
    try {
      ai = util::parse_double(ai_text, "workload '" + raw + "'", "an arithmetic intensity in FLOP/byte");
    } catch (const Error& e) {
      throw UsageError("{}", e.what());
    }
    if (!(ai > 0) || ai > 1e6)
      throw UsageError("workload '{}': arithmetic intensity must be > 0 and <= 1e6 FLOP/byte", raw);
    return make_ert("ert:" + util::format_number(ai), ai);
  }
  for (const auto& w : catalog()) {
    if (w.name == name) return w;
    for (const auto& a : w.aliases)
      if (a == name) return w;
  }
  throw UsageError("unknown workload '{}' (expected one of {})", raw, names_list());
}

}  // namespace modewise::sim::detail
