// The parts of the netns backend that need neither root nor `ip`.
#include "faults/netns.h"

#include <gtest/gtest.h>

namespace faultline::faults {
namespace {

TEST(NetnsOwnerPidTest, ParsesOnlyNamesOfTheFamily) {
  EXPECT_EQ(NetnsOwnerPid("flns1a2bg-hub", "flns"), 0x1a2b);
  EXPECT_EQ(NetnsOwnerPid("flns7z-n3", "flns"), 7);
  EXPECT_EQ(NetnsOwnerPid("flnt1a2bg-hub", "flns"), std::nullopt);  // another family
  EXPECT_EQ(NetnsOwnerPid("flns1a2b-hub", "flns"), std::nullopt);   // no run letter
  EXPECT_EQ(NetnsOwnerPid("flnsg-hub", "flns"), std::nullopt);      // no pid
  EXPECT_EQ(NetnsOwnerPid("flns12a", "flns"), std::nullopt);        // no dash
  EXPECT_EQ(NetnsOwnerPid("flns12gx", "flns"), std::nullopt);
  EXPECT_EQ(NetnsOwnerPid("docker0", "flns"), std::nullopt);
  EXPECT_EQ(NetnsOwnerPid("flns1A2bg-hub", "flns"), std::nullopt);  // upper case is not ours
}

TEST(NetnsValidateTest, OnlyPrivateSubnetsAndSaneNames) {
  std::vector<std::string> nodes = {"coordinator", "worker-1"};
  EXPECT_TRUE(NetnsNetwork::Validate(nodes, {}).ok());
  EXPECT_TRUE(NetnsNetwork::Validate(nodes, {.family = "fl", .subnet = "172.20.5"}).ok());
  for (const char* bad : {"192.168.1", "172.32.0", "11.0.0", "10.0", "10.0.0.0", "10.300.0"}) {
    Status s = NetnsNetwork::Validate(nodes, {.subnet = bad});
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
  for (const char* bad : {"f", "flnsx", "FLNS", "fl-n"}) {
    EXPECT_FALSE(NetnsNetwork::Validate(nodes, {.family = bad}).ok()) << bad;
  }
  EXPECT_FALSE(NetnsNetwork::Validate({}, {}).ok());
  EXPECT_FALSE(NetnsNetwork::Validate({"a", "a"}, {}).ok());
}

}  // namespace
}  // namespace faultline::faults
