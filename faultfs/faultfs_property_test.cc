// Model vs system: random writes, appends, truncations and fsyncs by two process groups on a
// few files; losing everything unsynced must leave each file exactly as its last fsync did.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/file.h"
#include "base/test_util.h"
#include "faultfs/faultfs.h"

namespace faultline::faultfs {
namespace {

constexpr int kFiles = 3;

RC_GTEST_PROP(FaultFsModel, LosingEverythingRestoresEachFileToItsLastSync, ()) {
  TempDir dir;
  FaultFs fs(dir.path(), *rc::gen::arbitrary<uint64_t>());
  std::vector<std::string> synced(kFiles), current(kFiles);
  auto path = [](int f) { return "/f" + std::to_string(f); };
  for (int f = 0; f < kFiles; ++f) {
    int fd = -1;
    RC_ASSERT(fs.Create(path(f), 0644, O_RDWR, 1, &fd) == 0);
    RC_ASSERT(fs.Fsync(path(f), fd, false, 1) == 0);
    fs.Release(fd);
  }
  RC_ASSERT(fs.Fsyncdir("/", 1) == 0);
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    const int f = *rc::gen::inRange(0, kFiles);
    const int pgid = *rc::gen::element(1, 2);
    std::string& cur = current[f];
    int fd = -1;
    RC_ASSERT(fs.Open(path(f), O_RDWR, &fd) == 0);
    switch (*rc::gen::inRange(0, 4)) {
      case 0: {  // a write anywhere up to the end, or an append
        const auto offset = static_cast<size_t>(*rc::gen::inRange<int>(0, cur.size() + 1));
        const std::string data = *rc::gen::container<std::string>(
            static_cast<size_t>(*rc::gen::inRange(1, 20)), rc::gen::inRange('a', 'z'));
        RC_ASSERT(fs.Write(path(f), fd, data.data(), data.size(), static_cast<off_t>(offset),
                           pgid) == static_cast<int>(data.size()));
        if (cur.size() < offset + data.size()) cur.resize(offset + data.size(), '\0');
        cur.replace(offset, data.size(), data);
        break;
      }
      case 1: {
        const auto size = static_cast<size_t>(*rc::gen::inRange<int>(0, cur.size() + 10));
        RC_ASSERT(fs.Truncate(path(f), fd, static_cast<off_t>(size), pgid) == 0);
        cur.resize(size, '\0');
        break;
      }
      case 2:
        RC_ASSERT(fs.Fsync(path(f), fd, *rc::gen::arbitrary<bool>(), pgid) == 0);
        synced[f] = cur;
        break;
      default: {  // read back: the current view
        std::string buf(cur.size() + 5, '?');
        int n = fs.Read(fd, buf.data(), buf.size(), 0);
        RC_ASSERT(n == static_cast<int>(cur.size()));
        RC_ASSERT(buf.substr(0, static_cast<size_t>(n)) == cur);
      }
    }
    fs.Release(fd);
  }
  fs.LoseUnsynced({}, false);
  for (int f = 0; f < kFiles; ++f) {
    auto text = ReadFileToString(dir.File("f" + std::to_string(f)));
    RC_ASSERT(text.ok());
    RC_ASSERT(*text == synced[f]);
  }
}

}  // namespace
}  // namespace faultline::faultfs
