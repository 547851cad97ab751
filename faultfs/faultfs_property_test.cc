// Model vs system: random writes, appends, truncations and fsyncs by two process groups on a
// few files; losing everything unsynced must leave each file exactly as its last fsync did.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

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

// The namespace too: two process groups, each on names of its own in one shared directory,
// create, write, fsync, unlink, rename (over its own files), mkdir, rmdir, and anyone syncs
// the directory; one group then loses power. Its names must be what the directory held at
// its last fsync, each file as its last fsync left it; the other group's must be untouched.
struct Model {
  struct Node {
    int inode = 0;  // 0: a directory
  };
  std::map<std::string, Node> names, durable_names;
  std::map<int, std::string> current, synced;  // inode -> content
  int next_inode = 1;
};

RC_GTEST_PROP(FaultFsModel, APowerLossLeavesTheGroupsLastSyncedNamespace, ()) {
  TempDir dir;
  FaultFs fs(dir.path(), *rc::gen::arbitrary<uint64_t>());
  Model m;
  const int steps = *rc::gen::inRange(1, 60);
  auto name = [](int pgid, int i) {
    return std::string(pgid == 1 ? "a" : "b") + std::to_string(i);
  };
  for (int step = 0; step < steps; ++step) {
    const int pgid = *rc::gen::element(1, 2);
    const std::string n = name(pgid, *rc::gen::inRange(0, 3));
    const std::string path = "/" + n;
    auto it = m.names.find(n);
    const bool exists = it != m.names.end();
    const bool is_file = exists && it->second.inode != 0;
    switch (*rc::gen::inRange(0, 8)) {
      case 0:  // create
        if (!exists) {
          int fd = -1;
          RC_ASSERT(fs.Create(path, 0644, O_RDWR, pgid, &fd) == 0);
          fs.Release(fd);
          m.names[n] = {m.next_inode};
          m.current[m.next_inode] = m.synced[m.next_inode] = "";
          ++m.next_inode;
        }
        break;
      case 1:  // append
        if (is_file) {
          int fd = -1;
          RC_ASSERT(fs.Open(path, O_RDWR, &fd) == 0);
          std::string& c = m.current[it->second.inode];
          const std::string data = *rc::gen::container<std::string>(
              static_cast<size_t>(*rc::gen::inRange(1, 8)), rc::gen::inRange('a', 'z'));
          RC_ASSERT(fs.Write(path, fd, data.data(), data.size(), static_cast<off_t>(c.size()),
                             pgid) == static_cast<int>(data.size()));
          c += data;
          fs.Release(fd);
        }
        break;
      case 2:  // fsync
        if (is_file) {
          int fd = -1;
          RC_ASSERT(fs.Open(path, O_RDWR, &fd) == 0);
          RC_ASSERT(fs.Fsync(path, fd, false, pgid) == 0);
          m.synced[it->second.inode] = m.current[it->second.inode];
          fs.Release(fd);
        }
        break;
      case 3:  // unlink
        if (is_file) {
          RC_ASSERT(fs.Unlink(path, pgid) == 0);
          m.names.erase(it);
        }
        break;
      case 4: {  // rename over one of its own names (a file or nothing)
        const std::string to = name(pgid, *rc::gen::inRange(0, 3));
        auto dst = m.names.find(to);
        if (is_file && to != n && (dst == m.names.end() || dst->second.inode != 0)) {
          RC_ASSERT(fs.Rename(path, "/" + to, 0, pgid) == 0);
          m.names[to] = it->second;
          m.names.erase(n);
        }
        break;
      }
      case 5:  // mkdir
        if (!exists) {
          RC_ASSERT(fs.Mkdir(path, 0755, pgid) == 0);
          m.names[n] = {0};
        }
        break;
      case 6:  // rmdir
        if (exists && !is_file) {
          RC_ASSERT(fs.Rmdir(path, pgid) == 0);
          m.names.erase(it);
        }
        break;
      default:  // the directory is synced (by either group: it is one directory)
        RC_ASSERT(fs.Fsyncdir("/", pgid) == 0);
        m.durable_names = m.names;
    }
  }
  const int lost = *rc::gen::element(1, 2);
  fs.LoseUnsynced({lost}, false);
  const std::string prefix = lost == 1 ? "a" : "b";
  std::map<std::string, Model::Node> expected;
  for (const auto& [n, node] : m.names) {
    if (n.rfind(prefix, 0) != 0) expected[n] = node;
  }
  for (const auto& [n, node] : m.durable_names) {
    if (n.rfind(prefix, 0) == 0) expected[n] = node;
  }
  std::vector<std::pair<std::string, struct stat>> entries;
  RC_ASSERT(fs.Readdir("/", &entries) == 0);
  std::set<std::string> seen;
  for (const auto& [n, st] : entries) {
    if (n != "." && n != "..") seen.insert(n);
  }
  std::set<std::string> want;
  for (const auto& [n, node] : expected) want.insert(n);
  RC_ASSERT(seen == want);
  for (const auto& [n, node] : expected) {
    if (node.inode == 0) continue;
    auto text = ReadFileToString(dir.File(n));
    RC_ASSERT(text.ok());
    const bool mine = n.rfind(prefix, 0) == 0;
    RC_ASSERT(*text == (mine ? m.synced[node.inode] : m.current[node.inode]));
  }
}

}  // namespace
}  // namespace faultline::faultfs
