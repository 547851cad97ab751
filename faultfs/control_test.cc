#include "faultfs/control.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline::faultfs {
namespace {

// A run directory nested in a store easily passes sun_path's 107 bytes; the control socket
// must still be served and reached there.
TEST(ControlServerTest, ServesASocketWhosePathIsLongerThanSunPath) {
  TempDir dir;
  const std::string deep = dir.File(std::string(60, 'd') + "/" + std::string(60, 'e'));
  ASSERT_TRUE(CreateDirs(deep).ok());
  const std::string socket = deep + "/data.sock";
  ASSERT_GT(socket.size(), 108u);
  FaultFs fs(dir.File("backing-unused"), 1);
  ControlServer server(&fs);
  ASSERT_TRUE(server.Listen(socket).ok());
  EXPECT_TRUE(PathExists(socket)) << "the socket lives where it was asked for";
  std::thread serving([&] { server.Serve(); });
  auto reply = CallControl(socket, {{"op", "status"}}, Deadline::AfterMillis(5000));
  server.Stop();
  serving.join();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ((*reply)["ok"], true);
}

TEST(ControlServerTest, ASocketNameTooLongForAnyAddressIsRefusedWithItsPath) {
  TempDir dir;
  FaultFs fs(dir.path(), 1);
  ControlServer server(&fs);
  const std::string socket = dir.File(std::string(120, 's') + ".sock");
  Status s = server.Listen(socket);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(socket), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace faultline::faultfs
