// Malformed ONNX models (issue 12): attributes that ONNX shape inference trusts are checked before it runs, so a
// model whose Split axis is 118 (tests/fixtures/onnx/malformed/) is a clear Error instead of a segfault; every
// int attribute of every op type of the fixtures set to extreme values gives an analysis or an Error, never a crash;
// invalid UTF-8 names come out as \xNN text in valid UTF-8 (tables and --json stay valid); a directory is an Error.
#include <gtest/gtest.h>

#include "build_features.h"

#if MODEWISE_HAVE_ONNX
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "modewise/roofline/onnx_analyzer.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"
#include "modewise/util/strings.h"

namespace modewise::roofline {
namespace {

const std::string kDir = std::string(MODEWISE_SOURCE_DIR) + "/tests/fixtures/onnx/";

std::string error_of(const std::string& bytes, const std::string& source = "m.onnx") {
  try {
    analyze_onnx_bytes(bytes, source, {1, false});
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

onnx::ModelProto load(const std::string& name) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(util::read_text_file(kDir + name)));
  return m;
}

TEST(OnnxMalformed, SplitAxisOutOfRangeIsAnErrorNamingTheNode) {
  std::string e = error_of(util::read_text_file(kDir + "malformed/yolov8n_split_axis_118.onnx"), "y.onnx");
  EXPECT_EQ(e.rfind("y.onnx: node '", 0), 0u) << e;
  EXPECT_NE(e.find("(Split): attribute 'axis' = 118 is out of range for an input of rank 4 (expected -4 to 3)"),
            std::string::npos)
      << e;
}

// One node of `op` in `model` with attribute `attr` set to `value` (added when absent).
std::string with_attribute(onnx::ModelProto model, const std::string& op, const std::string& attr, int64_t value,
                           bool ints) {
  for (auto& n : *model.mutable_graph()->mutable_node()) {
    if (n.op_type() != op) continue;
    onnx::AttributeProto* a = nullptr;
    for (auto& x : *n.mutable_attribute())
      if (x.name() == attr) a = &x;
    if (!a) {
      a = n.add_attribute();
      a->set_name(attr);
      a->set_type(ints ? onnx::AttributeProto::INTS : onnx::AttributeProto::INT);
    }
    if (a->type() == onnx::AttributeProto::INTS) {
      if (a->ints_size() == 0) a->add_ints(value);
      else a->set_ints(a->ints_size() - 1, value);
    } else {
      a->set_i(value);
    }
    break;
  }
  return model.SerializeAsString();
}

TEST(OnnxMalformed, AxisAttributesOutOfRangeAreErrors) {
  onnx::ModelProto yolo = load("yolov8n.onnx"), bert = load("bert-base.onnx"), r18 = load("resnet18.onnx");
  struct Case {
    onnx::ModelProto* model;
    std::string op, attr;
    int64_t value;
    bool ints;
  };
  for (const auto& c : std::vector<Case>{{&yolo, "Split", "axis", -9, false},
                                         {&yolo, "Concat", "axis", 7, false},
                                         {&yolo, "Softmax", "axis", 5, false},
                                         {&yolo, "Transpose", "perm", 9, true},
                                         {&bert, "Gather", "axis", 3, false},
                                         {&bert, "Softmax", "axis", -7, false},
                                         {&r18, "Flatten", "axis", 5, false},
                                         {&r18, "Conv", "kernel_shape", 0, true},
                                         {&r18, "Conv", "strides", -1, true},
                                         {&r18, "MaxPool", "pads", -2, true}}) {
    SCOPED_TRACE(c.op + "." + c.attr + " = " + std::to_string(c.value));
    std::string e = error_of(with_attribute(*c.model, c.op, c.attr, c.value, c.ints));
    EXPECT_NE(e.find("(" + c.op + "): attribute '" + c.attr + "'"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

// Every int or ints attribute of the first node of each op type, in every fixture, set to extreme values: an
// analysis or an Error, never a crash or another exception. (The fuzz label does this at random, 2,000 times per
// fixture; this is the systematic sweep.)
TEST(OnnxMalformed, ExtremeAttributeValuesNeverCrash) {
  const std::vector<int64_t> values = {-118, -1, 0, 118, INT64_MAX, INT64_MIN};
  int errors = 0, cases = 0;
  for (const char* f : {"resnet18.onnx", "mobilenetv3.onnx", "yolov8n.onnx", "bert-base.onnx", "lstm.onnx"}) {
    onnx::ModelProto m = load(f);
    std::set<std::string> seen;
    for (const auto& n : m.graph().node()) {
      if (!seen.insert(n.op_type()).second) continue;
      for (const auto& a : n.attribute()) {
        if (a.type() != onnx::AttributeProto::INT && a.type() != onnx::AttributeProto::INTS) continue;
        for (int64_t v : values) {
          SCOPED_TRACE(std::string(f) + " " + n.op_type() + "." + a.name() + " = " + std::to_string(v));
          ++cases;
          try {
            analyze_onnx_bytes(with_attribute(m, n.op_type(), a.name(), v, a.type() == onnx::AttributeProto::INTS),
                               "m.onnx", {2, false});
          } catch (const Error& e) {
            ++errors;
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
          } catch (const std::exception& e) {
            ADD_FAILURE() << "not a modewise::Error: " << e.what();
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 100);
  EXPECT_GT(errors, cases / 4);
}

TEST(OnnxMalformed, InvalidUtf8NamesBecomeEscapedText) {
  ModelAnalysis a = analyze_onnx_file(kDir + "malformed/resnet18_invalid_utf8_name.onnx", {1, false});
  bool found = false;
  for (const auto& l : a.layers) {
    EXPECT_TRUE(util::is_valid_utf8(l.name)) << util::escape_nonprintable(l.name);
    found |= l.name == "conv\\xff\\xfe\x01name";
  }
  EXPECT_TRUE(found);
  EXPECT_NO_THROW(analysis_to_json(a, true).dump());
  // The counts are those of the unmodified model: only a name changed.
  EXPECT_DOUBLE_EQ(a.flops, analyze_onnx_file(kDir + "resnet18.onnx", {1, false}).flops);
}

TEST(OnnxMalformed, ADirectoryIsAnErrorSayingSo) {
  try {
    analyze_onnx_file(kDir, {1, false});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace modewise::roofline
#endif  // MODEWISE_HAVE_ONNX
