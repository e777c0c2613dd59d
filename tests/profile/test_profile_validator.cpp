// The one profile-row validator (profile_validator.h) that fit, transfer, predict, replay: and db import share.
#include <gtest/gtest.h>

#include <string>

#include "modewise/device/device_spec.h"
#include "modewise/profile/profile.h"
#include "modewise/profile/profile_validator.h"
#include "modewise/util/csv.h"
#include "modewise/util/error.h"

namespace modewise::profile {
namespace {

const std::string kHeader =
    "device,workload,task,batch_size,cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,provenance,stall_fraction\n";
const std::string kRow1 = "orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,40,emulated,0.1\n";
const std::string kRow2 = "orin-agx,toy,train,16,4,1036.8,522.75,2133,300,15,emulated,0.2\n";

Profile parse(const std::string& text) { return parse_profile_csv(util::parse_csv(text, "p.csv")); }

// The Error message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse(text);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(ProfileValidator, AcceptsAWellFormedProfile) {
  Profile p = parse(kHeader + kRow1 + kRow2);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].line, 2);
  EXPECT_EQ(p.rows[1].line, 3);
}

TEST(ProfileValidator, RejectsARepeatedModeNamingBothLines) {
  std::string e = error_of(kHeader + kRow1 + kRow2 + kRow1);
  EXPECT_NE(e.find("p.csv:4"), std::string::npos) << e;
  EXPECT_NE(e.find("also on line 2"), std::string::npos) << e;
  // The same mode for another workload, task or batch size is no repeat.
  EXPECT_EQ(error_of(kHeader + kRow1 + "orin-agx,toy,infer,16,12,2201.6,1300.5,3199,100,40,emulated,0.1\n" +
                     "orin-agx,toy,train,32,12,2201.6,1300.5,3199,100,40,emulated,0.1\n"),
            "");
}

TEST(ProfileValidator, ChecksModesAgainstTheDevicesOwnTables) {
  std::string e = error_of(kHeader + "orin-agx,toy,train,16,99,2201.6,1300.5,3199,100,40,emulated,0.1\n");
  EXPECT_NE(e.find("p.csv:2"), std::string::npos) << e;
  EXPECT_NE(e.find("field 'cores': orin-agx has 1 to 12 CPU cores, found 99"), std::string::npos) << e;
  e = error_of(kHeader + "orin-agx,toy,train,16,12,2400,1300.5,3199,100,40,emulated,0.1\n");
  EXPECT_NE(e.find("field 'cpu_mhz': orin-agx clocks from"), std::string::npos) << e;
  // A clock inside the device's range but on another JetPack's ladder (GPU 306 MHz on JetPack 5.1) is kept.
  EXPECT_EQ(error_of(kHeader + "orin-agx,toy,train,16,12,2201.6,306,3199,100,40,measured,0.1\n"), "");
  // A device modewise does not know: only plausible ranges.
  EXPECT_EQ(error_of(kHeader + "myboard,toy,train,16,99,2201.7,1300.5,3199,100,40,measured,0.1\n"), "");
  // The caller's device (fit --device for a file without a device column).
  Profile p = parse("cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w\n99,2201.6,1300.5,3199,100,40\n");
  device::DeviceSpec orin = device::builtin_device("orin-agx");
  ValidationOptions o;
  o.device = &orin;
  EXPECT_THROW(validate_profile(p, o), Error);
}

TEST(ProfileValidator, RejectsImplausibleNumbersAndUnknownValues) {
  struct Case {
    std::string row, needle;
  };
  for (const auto& c : std::vector<Case>{
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,1e308,40,emulated,0.1", "time_ms"},
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,1e9,emulated,0.1", "power_w"},
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,40,bogus,0.1", "provenance"},
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,40,emulated,-3", "stall_fraction"},
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,40,emulated,1.5", "stall_fraction"},
           {"orin-agx,toy,train,16,12,2201.6,1300.5,3199,inf,40,emulated,0.1", "time_ms"},
           {"x,toy,train,16,12,1e300,1300.5,3199,100,40,emulated,0.1", "cpu_mhz"},
       }) {
    std::string e = error_of(kHeader + c.row + "\n");
    EXPECT_NE(e.find(c.needle), std::string::npos) << c.row << " -> " << e;
    EXPECT_NE(e.find("p.csv:2"), std::string::npos) << e;
  }
  EXPECT_NE(error_of("cores,cpu_mhz,gpu_mhz,emc_mhz,time_ms,power_w,samples\n12,2201.6,1300.5,3199,100,40,1e300\n")
                .find("samples"),
            std::string::npos);
}

TEST(ProfileValidator, AcceptsEveryProvenanceValueOfTheSchema) {
  for (const auto& v : provenance_values_accepted()) {
    SCOPED_TRACE(v);
    EXPECT_EQ(error_of(kHeader + "orin-agx,toy,train,16,12,2201.6,1300.5,3199,100,40," + util::CsvWriter::quote(v) +
                       ",0.1\n"),
              "");
  }
}

}  // namespace
}  // namespace modewise::profile
