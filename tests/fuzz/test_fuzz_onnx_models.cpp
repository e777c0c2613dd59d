// Mutation fuzzer for ONNX models (issue 12): 2,000+ seeded mutations of each fixture in tests/fixtures/onnx/ go
// through analyze_onnx_bytes, the entry point of `analyze`, `roofline --model` and `tune-inference`. Each must give
// an analysis or a modewise::Error with a one-line message naming the file; any other exception (the CLI's
// "internal error"), a crash or a sanitizer report fails. Half the mutations are byte-level (flips, insertions,
// truncation, splices), half structure-aware: the model is parsed and one to three fields are changed the way a
// malformed exporter would (attributes such as axis/perm/kernel_shape set to extreme values, op types swapped, inputs
// dropped or renamed, tensor dims and types changed, names made of invalid UTF-8), so most reach the checker, the
// attribute checks and shape inference instead of stopping at the protobuf parser.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "build_features.h"
#include "fuzz/fuzz.h"
#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/error.h"

#if MODEWISE_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace modewise::fuzz {
namespace {

const int kMutationsPerFixture = scaled(2000);  // MODEWISE_FUZZ_SCALE: fewer under emulation (make arm64)

std::string onnx_fixture(const std::string& name) { return fixture_text("onnx/" + name); }

#if MODEWISE_HAVE_ONNX

const std::vector<int64_t>& extreme_ints() {
  static const std::vector<int64_t> v = {-1000000, -118, -9, -5, -2, -1, 0, 1, 2, 3, 5, 7, 118, 1000000,
                                         INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN};
  return v;
}

const std::vector<std::string>& op_types() {
  static const std::vector<std::string> v = {
      "Split", "Concat", "Gather", "GatherElements", "GatherND", "Softmax", "LogSoftmax", "Hardmax", "Flatten",
      "Transpose", "Squeeze", "Unsqueeze", "ReduceMean", "ReduceSum", "ArgMax", "TopK", "Reshape", "Conv",
      "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "Slice", "Pad", "Expand", "Tile", "MatMul",
      "Gemm", "Add", "Mul", "Relu", "Sigmoid", "Resize", "Cast", "Shape", "ConstantOfShape", "Range", "Einsum",
      "DepthToSpace", "SpaceToDepth", "LayerNormalization", "BatchNormalization", "LSTM", "OneHot", "CumSum",
      "ScatterElements", "Where", "Compress", "Trilu", "NonZero", "TopK", "If", "Loop", "NoSuchOp"};
  return v;
}

const std::vector<std::string>& attribute_names() {
  static const std::vector<std::string> v = {"axis", "axes", "perm", "kernel_shape", "strides", "pads", "dilations",
                                             "group", "split", "blocksize", "batch_dims", "keepdims", "to",
                                             "transA", "transB", "starts", "ends", "size", "k", "num_outputs"};
  return v;
}

std::string random_name(Mutator& m) {
  static const std::vector<std::string> names = {"", "x", "\xff\xfe", "conv\x01\x02", "a\nb", "\xc3\x28", "%$#"};
  return m.chance(70) ? names[m.below(names.size())] : m.random_string(12);
}

void mutate_attribute(Mutator& m, onnx::NodeProto& n) {
  if (n.attribute_size() == 0 || m.chance(30)) {  // add one the op may trust
    auto* a = n.add_attribute();
    a->set_name(attribute_names()[m.below(attribute_names().size())]);
    if (m.chance(60)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(extreme_ints()[m.below(extreme_ints().size())]);
    } else {
      a->set_type(onnx::AttributeProto::INTS);
      for (size_t k = m.below(6); k > 0; --k) a->add_ints(extreme_ints()[m.below(extreme_ints().size())]);
    }
    return;
  }
  auto* a = n.mutable_attribute(static_cast<int>(m.below(n.attribute_size())));
  switch (m.below(5)) {
    case 0: a->set_i(extreme_ints()[m.below(extreme_ints().size())]); break;
    case 1:
      if (a->ints_size() > 0) {
        // one draw per statement: the order of draws inside one call's arguments differs between compilers/ABIs
        const int at = static_cast<int>(m.below(a->ints_size()));
        a->set_ints(at, extreme_ints()[m.below(extreme_ints().size())]);
      } else {
        a->add_ints(extreme_ints()[m.below(extreme_ints().size())]);
      }
      break;
    case 2:
      if (a->ints_size() > 0) a->mutable_ints()->RemoveLast();
      else a->add_ints(-1);
      break;
    case 3: a->set_type(static_cast<onnx::AttributeProto::AttributeType>(m.below(14))); break;
    case 4: a->set_f(m.chance(50) ? -1e38f : 0.f); break;
  }
}

void mutate_dims(Mutator& m, onnx::TypeProto* t) {
  if (!t->has_tensor_type()) return;
  auto* shape = t->mutable_tensor_type()->mutable_shape();
  if (shape->dim_size() == 0 || m.chance(20)) {
    shape->add_dim()->set_dim_value(extreme_ints()[m.below(extreme_ints().size())]);
  } else if (m.chance(20)) {
    shape->mutable_dim()->RemoveLast();
  } else if (m.chance(15)) {
    shape->mutable_dim(static_cast<int>(m.below(shape->dim_size())))->set_dim_param("N");
  } else {
    shape->mutable_dim(static_cast<int>(m.below(shape->dim_size())))
        ->set_dim_value(extreme_ints()[m.below(extreme_ints().size())]);
  }
  if (m.chance(10)) t->mutable_tensor_type()->set_elem_type(static_cast<int32_t>(m.below(20)));
}

// One structural change of a parsed model.
void mutate_model(Mutator& m, onnx::ModelProto& model) {
  auto* g = model.mutable_graph();
  if (g->node_size() == 0) return;
  auto& n = *g->mutable_node(static_cast<int>(m.below(g->node_size())));
  switch (m.below(12)) {
    case 0: case 1: case 2: mutate_attribute(m, n); break;
    case 3: n.set_op_type(op_types()[m.below(op_types().size())]); break;
    case 4:
      if (n.input_size() > 0) n.mutable_input()->RemoveLast();
      break;
    case 5:
      if (n.input_size() > 0) n.set_input(static_cast<int>(m.below(n.input_size())), random_name(m));
      else n.add_input(random_name(m));
      break;
    case 6: n.add_output(random_name(m)); break;
    case 7: n.set_name(random_name(m)); break;
    case 8:
      if (g->input_size() > 0) mutate_dims(m, g->mutable_input(static_cast<int>(m.below(g->input_size())))->mutable_type());
      break;
    case 9:
      if (g->initializer_size() > 0) {
        auto* t = g->mutable_initializer(static_cast<int>(m.below(g->initializer_size())));
        if (t->dims_size() > 0) {
          const int at = static_cast<int>(m.below(t->dims_size()));  // one draw per statement (see above)
          t->set_dims(at, extreme_ints()[m.below(extreme_ints().size())]);
        } else {
          t->add_dims(extreme_ints()[m.below(extreme_ints().size())]);
        }
      }
      break;
    case 10: {  // swap two nodes (breaks topological order)
      int a = static_cast<int>(m.below(g->node_size())), b = static_cast<int>(m.below(g->node_size()));
      g->mutable_node()->SwapElements(a, b);
      break;
    }
    case 11:
      if (model.opset_import_size() > 0) model.mutable_opset_import(0)->set_version(static_cast<int64_t>(m.below(25)));
      break;
  }
}

#endif  // MODEWISE_HAVE_ONNX

struct Counts {
  int ok = 0, errors = 0;
  int child_crashes = 0;  // errors from the isolated shape inference crashing: malformations no check names yet
};

// Analyze; an analysis or a one-line modewise::Error naming the source. Anything else fails.
bool analyze_once(const std::string& bytes, int batch, Counts& c, const std::string& what) {
  try {
    roofline::analyze_onnx_bytes(bytes, "fuzz.onnx", {batch, batch % 2 == 0});
    ++c.ok;
  } catch (const Error& e) {
    std::string msg = e.what();
    if (msg.empty() || msg.find('\n') != std::string::npos || msg.find("fuzz.onnx") == std::string::npos) {
      ADD_FAILURE() << what << ": error message must be one non-empty line naming the file: " << printable(msg);
      return false;
    }
    ++c.errors;
    if (msg.find("shape inference crashed") != std::string::npos) ++c.child_crashes;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": not a modewise::Error (the CLI would print an internal error): " << e.what();
    return false;
  }
  return true;
}

class OnnxMutationFuzz : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxMutationFuzz, MutatedModelsGiveAnAnalysisOrAOneLineError) {
  MODEWISE_REQUIRE_ONNX();
  const std::string base = onnx_fixture(GetParam());
  ASSERT_GT(base.size(), 1000u);
  // MODEWISE_FUZZ_SEED=N explores other mutations (the default seed is fixed: a run is reproducible).
  const char* seed_env = std::getenv("MODEWISE_FUZZ_SEED");
  Mutator m(std::hash<std::string>{}(GetParam()) ^ (seed_env ? std::strtoull(seed_env, nullptr, 10) : 0x0c0ffee));
  Counts c;
#if MODEWISE_HAVE_ONNX
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(base));
#endif
  for (int i = 0; i < kMutationsPerFixture; ++i) {
    std::string input;
#if MODEWISE_HAVE_ONNX
    if (i % 2 == 1) {
      onnx::ModelProto model = parsed;
      for (size_t k = 1 + m.below(3); k > 0; --k) mutate_model(m, model);
      input = model.SerializeAsString();
    }
#endif
    if (input.empty()) input = m.mutate(base);
    // To reproduce a crash: MODEWISE_FUZZ_LAST=FILE keeps the input about to be analyzed in FILE.
    if (const char* last = std::getenv("MODEWISE_FUZZ_LAST")) std::ofstream(last, std::ios::binary) << input;
    if (!analyze_once(input, 1 + static_cast<int>(m.below(4)), c, GetParam() + " mutation " + std::to_string(i))) break;
  }
  // Both outcomes occur: the fuzzer reaches the analysis, and it rejects.
  EXPECT_GT(c.errors, kMutationsPerFixture / 10) << "ok " << c.ok;
  EXPECT_GT(c.ok, 0) << "errors " << c.errors;
  // Inputs that crashed ONNX shape inference in its child process (modewise itself survived and said so): the
  // attribute checks do not name their defect yet. Reported, so that a regression in the checks shows up here.
  std::cout << GetParam() << ": " << c.ok << " analysed, " << c.errors << " errors, of which " << c.child_crashes
            << " crashed ONNX shape inference in its child process\n";
  RecordProperty("child_crashes", c.child_crashes);
  EXPECT_LT(c.child_crashes, kMutationsPerFixture / 20);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OnnxMutationFuzz,
                         ::testing::Values("resnet18.onnx", "resnet50.onnx", "mobilenetv3.onnx", "yolov8n.onnx",
                                           "bert-base.onnx", "lstm.onnx"),
                         [](const auto& info) {
                           std::string s = info.param.substr(0, info.param.find('.'));
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace modewise::fuzz
