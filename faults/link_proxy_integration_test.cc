// LinkProxy over real loopback sockets. Waits are bounded and wait for conditions; the only
// fixed waits are the short windows in which something must NOT happen (held bytes stay
// held). Timing assertions are lower bounds only: the machine is shared and noisy.
#include <gtest/gtest.h>
#include <poll.h>
#include <rapidcheck/gtest.h>
#include <sys/socket.h>

#include <cerrno>

#include "base/clock.h"
#include "base/coding.h"
#include "base/record_log.h"
#include "faults/link_proxy.h"
#include "faults/sockets.h"
#include "faults/test_server.h"
#include "runtime/wire.h"

namespace faultline::faults {
namespace {

using runtime::FrameType;
constexpr Direction kFwd = Direction::kForward;
constexpr Direction kBwd = Direction::kBackward;
constexpr int64_t kWaitMs = 20'000;  // for things that must happen
constexpr int64_t kQuietMs = 300;    // for things that must not happen

std::string Frame(FrameType type, std::string_view body) {
  std::string payload(1, static_cast<char>(type));
  payload += body;
  std::string out;
  AppendLogFrame(&out, payload);
  return out;
}

std::string Record(int i) { return Frame(FrameType::kRecords, "record-" + std::to_string(i)); }

std::string Barrier(uint64_t id) {
  std::string body;
  PutVarint64(&body, id);
  return Frame(FrameType::kBarrier, body);
}

// Decodes a stream that must consist of whole, valid frames.
std::vector<std::string> DecodeAll(std::string_view bytes) {
  std::vector<std::string> frames;
  while (!bytes.empty()) {
    DecodedFrame f = DecodeLogFrame(bytes);
    EXPECT_EQ(f.status, FrameStatus::kOk) << f.reason;
    if (f.status != FrameStatus::kOk) break;
    frames.emplace_back(f.payload);
    bytes.remove_prefix(f.frame_size);
  }
  return frames;
}

std::vector<std::string> Payloads(const std::vector<std::string>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(DecodeAll(f).at(0));
  return out;
}

struct Rig {
  std::unique_ptr<TestServer> server;
  std::unique_ptr<LinkProxy> proxy;
};

Rig Start(TestServer::Mode mode, LinkProxy::Options options = {}) {
  Rig s;
  auto server = TestServer::Start(mode);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return s;
  s.server = std::move(*server);
  auto proxy = LinkProxy::Start("a->b", s.server->address(), options);
  EXPECT_TRUE(proxy.ok()) << proxy.status().ToString();
  if (proxy.ok()) s.proxy = std::move(*proxy);
  return s;
}

Fd Dial(const LinkProxy& proxy) {
  auto fd = ConnectBlocking(proxy.address(), Deadline::AfterMillis(kWaitMs));
  EXPECT_TRUE(fd.ok()) << fd.status().ToString();
  return fd.ok() ? std::move(*fd) : Fd();
}

bool WaitHeld(const LinkProxy& proxy, int64_t bytes) {
  return PollUntil([&] { return proxy.stats().bytes_held == bytes; },
                   Deadline::AfterMillis(kWaitMs));
}

TEST(LinkProxyTest, PartitionHoldsBytesAndReleasesThemInOrderOnHeal) {
  Rig s = Start(TestServer::Mode::kSink);
  ASSERT_TRUE(s.proxy);
  s.proxy->SetPartitioned(kFwd, true);
  Fd client = Dial(*s.proxy);
  std::string sent;
  std::vector<std::string> frames;
  for (int i = 0; i < 500; ++i) frames.push_back(Record(i));
  for (const auto& f : frames) {
    ASSERT_TRUE(WriteAll(client.get(), f, Deadline::AfterMillis(kWaitMs)).ok());
    sent += f;
  }
  // Every byte reached the proxy and is held there; none reaches the server.
  ASSERT_TRUE(WaitHeld(*s.proxy, static_cast<int64_t>(sent.size())));
  EXPECT_FALSE(s.server->WaitReceived(0, 1, Deadline::AfterMillis(kQuietMs)));
  EXPECT_EQ(s.proxy->stats().bytes_forward, 0);

  s.proxy->SetPartitioned(kFwd, false);
  ASSERT_TRUE(s.server->WaitReceived(0, sent.size(), Deadline::AfterMillis(kWaitMs)));
  EXPECT_EQ(s.server->received(0), sent);
  EXPECT_EQ(DecodeAll(s.server->received(0)), Payloads(frames));
  EXPECT_EQ(s.proxy->stats().bytes_forward, static_cast<int64_t>(sent.size()));
  EXPECT_EQ(s.proxy->stats().bytes_held, 0);
}

TEST(LinkProxyTest, PartitionIsPerDirectionAndHoldsTheFinToo) {
  Rig s = Start(TestServer::Mode::kEcho);
  ASSERT_TRUE(s.proxy);
  s.proxy->SetPartitioned(kBwd, true);
  Fd client = Dial(*s.proxy);
  std::string ping = Record(1);
  ASSERT_TRUE(WriteAll(client.get(), ping, Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(s.server->WaitReceived(0, ping.size(), Deadline::AfterMillis(kWaitMs)));
  ASSERT_TRUE(WaitHeld(*s.proxy, static_cast<int64_t>(ping.size())));  // the echo is held
  EXPECT_FALSE(WaitFor(client.get(), POLLIN, Deadline::AfterMillis(kQuietMs)));

  ::shutdown(client.get(), SHUT_WR);  // the server sees EOF and closes: that FIN is held too
  int error = -1;
  ASSERT_TRUE(s.server->WaitClosed(0, Deadline::AfterMillis(kWaitMs), &error));
  EXPECT_EQ(error, 0);
  EXPECT_FALSE(WaitFor(client.get(), POLLIN, Deadline::AfterMillis(kQuietMs)));

  s.proxy->HealAll();
  std::string echoed;
  ASSERT_TRUE(ReadToEof(client.get(), &echoed, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echoed, ping);
}

TEST(LinkProxyTest, BackpressureBoundsWhatAPartitionHolds) {
  LinkProxy::Options options;
  options.max_held_bytes = 256 << 10;
  Rig s = Start(TestServer::Mode::kSink, options);
  ASSERT_TRUE(s.proxy);
  s.proxy->SetPartitioned(kFwd, true);
  Fd client = Dial(*s.proxy);
  SetNonBlocking(client.get(), true);
  // Write until the sender is stuck: no room for kQuietMs. Kernel buffers plus the proxy's
  // bound hold a few MiB at most; without backpressure this would reach the cap.
  constexpr size_t kCap = 64u << 20;
  auto pattern = [](size_t offset) { return static_cast<char>((offset * 2654435761u) >> 13); };
  std::string block(64 << 10, '\0');
  size_t written = 0;
  while (written < kCap) {
    for (size_t i = 0; i < block.size(); ++i) block[i] = pattern(written + i);
    ssize_t n = ::send(client.get(), block.data(), block.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    ASSERT_TRUE(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << errno;
    if (!WaitFor(client.get(), POLLOUT, Deadline::AfterMillis(kQuietMs))) break;
  }
  EXPECT_LT(written, kCap) << "the sender was never pushed back";
  LinkProxy::Stats stats = s.proxy->stats();
  EXPECT_LE(stats.bytes_held, static_cast<int64_t>(options.max_held_bytes));
  EXPECT_GT(stats.bytes_held, 0);

  s.proxy->SetPartitioned(kFwd, false);
  ASSERT_TRUE(s.server->WaitReceived(0, written, Deadline::AfterMillis(kWaitMs)));
  std::string got = s.server->received(0);
  ASSERT_EQ(got.size(), written);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], pattern(i)) << "at byte " << i;
}

TEST(LinkProxyTest, BarrierHoldDelaysExactlyTheMatchingBarrierAndWhatFollows) {
  Rig s = Start(TestServer::Mode::kSink);
  ASSERT_TRUE(s.proxy);
  s.proxy->SetBarrierHold(kFwd, /*hold_ms=*/600'000, /*every_k=*/2, /*from_id=*/0);
  Fd client = Dial(*s.proxy);
  auto send = [&](const std::vector<std::string>& frames) {
    std::string bytes;
    for (const auto& f : frames) bytes += f;
    EXPECT_TRUE(WriteAll(client.get(), bytes, Deadline::AfterMillis(kWaitMs)).ok());
    return bytes;
  };
  std::vector<std::string> all;
  auto add = [&](std::vector<std::string> frames) {
    all.insert(all.end(), frames.begin(), frames.end());
    return frames;
  };
  std::string hello = Frame(FrameType::kHello, R"({"kind":"data"})");
  // Barrier 1 does not match every_k = 2: it passes with everything around it.
  std::string passing = send(add({hello, Record(1), Barrier(1), Record(2)}));
  ASSERT_TRUE(s.server->WaitReceived(0, passing.size(), Deadline::AfterMillis(kWaitMs)));
  // Barrier 2 matches: record 3 ahead of it passes, the barrier and all behind it are held.
  std::string ahead = send(add({Record(3)}));
  std::string held = send(add({Barrier(2), Record(4), Barrier(3)}));
  held += send(add({Record(5)}));
  ASSERT_TRUE(
      s.server->WaitReceived(0, passing.size() + ahead.size(), Deadline::AfterMillis(kWaitMs)));
  ASSERT_TRUE(WaitHeld(*s.proxy, static_cast<int64_t>(held.size())));
  EXPECT_FALSE(s.server->WaitReceived(0, passing.size() + ahead.size() + 1,
                                      Deadline::AfterMillis(kQuietMs)));
  EXPECT_EQ(s.proxy->stats().barriers_held, 1);

  s.proxy->SetBarrierHold(kFwd, 0, 0, 0);  // lifting the hold releases it, in order
  std::string expected = passing + ahead + held;
  ASSERT_TRUE(s.server->WaitReceived(0, expected.size(), Deadline::AfterMillis(kWaitMs)));
  EXPECT_EQ(s.server->received(0), expected);
  EXPECT_EQ(DecodeAll(s.server->received(0)), Payloads(all));
}

TEST(LinkProxyTest, BarrierHoldLastsAtLeastHoldMsEvenForABarrierSplitAcrossReads) {
  Rig s = Start(TestServer::Mode::kSink);
  ASSERT_TRUE(s.proxy);
  constexpr int64_t kHoldMs = 300;
  s.proxy->SetBarrierHold(kFwd, kHoldMs, /*every_k=*/0, /*from_id=*/5);
  Fd client = Dial(*s.proxy);
  std::string early = Record(1) + Barrier(4) + Record(2);  // id 4 < from_id: passes
  ASSERT_TRUE(WriteAll(client.get(), early, Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(s.server->WaitReceived(0, early.size(), Deadline::AfterMillis(kWaitMs)));

  std::string barrier = Barrier(5);
  std::string ahead = Record(3);
  ASSERT_TRUE(WriteAll(client.get(), ahead + barrier.substr(0, 3), Deadline::Never()).ok());
  ASSERT_TRUE(WaitHeld(*s.proxy, 3));  // the proxy has read the barrier's first 3 bytes only
  Stopwatch since_barrier;
  std::string behind = Record(4);
  ASSERT_TRUE(WriteAll(client.get(), barrier.substr(3) + behind, Deadline::Never()).ok());
  size_t through_ahead = early.size() + ahead.size();
  ASSERT_TRUE(s.server->WaitReceived(0, through_ahead, Deadline::AfterMillis(kWaitMs)));
  ASSERT_TRUE(s.server->WaitReceived(0, through_ahead + 1, Deadline::AfterMillis(kWaitMs)));
  EXPECT_GE(since_barrier.ElapsedMillis(), kHoldMs);
  size_t total = through_ahead + barrier.size() + behind.size();
  ASSERT_TRUE(s.server->WaitReceived(0, total, Deadline::AfterMillis(kWaitMs)));
  EXPECT_EQ(s.server->received(0), early + ahead + barrier + behind);
  EXPECT_EQ(s.proxy->stats().barriers_held, 1);
}

TEST(LinkProxyTest, ResetClosesBothSidesWithAnErrorAndNewConnectionsWork) {
  Rig s = Start(TestServer::Mode::kEcho);
  ASSERT_TRUE(s.proxy);
  Fd client = Dial(*s.proxy);
  std::string ping = Record(1);
  std::string echo;
  ASSERT_TRUE(WriteAll(client.get(), ping, Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(ReadExactly(client.get(), ping.size(), &echo, Deadline::AfterMillis(kWaitMs)).ok());

  s.proxy->ResetConnections();
  std::string rest;
  Status client_end = ReadToEof(client.get(), &rest, Deadline::AfterMillis(kWaitMs));
  EXPECT_TRUE(client_end.ok() || client_end.error_number() == ECONNRESET) << client_end.ToString();
  EXPECT_TRUE(rest.empty());
  int server_error = -1;
  ASSERT_TRUE(s.server->WaitClosed(0, Deadline::AfterMillis(kWaitMs), &server_error));
  EXPECT_TRUE(server_error == 0 || server_error == ECONNRESET) << server_error;

  Fd again = Dial(*s.proxy);
  echo.clear();
  ASSERT_TRUE(WriteAll(again.get(), ping, Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(ReadExactly(again.get(), ping.size(), &echo, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echo, ping);
  EXPECT_EQ(s.proxy->stats().connections, 2);
}

TEST(LinkProxyTest, RefusedTargetEndsTheDialersConnection) {
  auto listen = ListenTcp("127.0.0.1:0");
  ASSERT_TRUE(listen.ok());
  std::string dead_address = *LocalAddress(listen->get());
  listen->Close();  // nothing listens there any more
  auto proxy = LinkProxy::Start("a->nobody", dead_address);
  ASSERT_TRUE(proxy.ok());
  // The proxy accepts, fails to reach the target and resets the dialer: depending on timing the
  // dialer sees that while connecting or on its first read. Either way it must not hang.
  auto client = ConnectBlocking((*proxy)->address(), Deadline::AfterMillis(kWaitMs));
  Status end = client.status();
  if (client.ok()) {
    std::string got;
    end = ReadToEof(client->get(), &got, Deadline::AfterMillis(kWaitMs));
    EXPECT_TRUE(got.empty());
  }
  EXPECT_FALSE(end.IsTimeout()) << end.ToString();
  EXPECT_TRUE(end.ok() || end.error_number() == ECONNRESET) << end.ToString();
}

// Round trip of one small frame through an echo server.
int64_t RoundTripMillis(int fd) {
  std::string ping = Record(7);
  std::string echo;
  Stopwatch sw;
  EXPECT_TRUE(WriteAll(fd, ping, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_TRUE(ReadExactly(fd, ping.size(), &echo, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echo, ping);
  return sw.ElapsedMillis();
}

TEST(LinkProxyTest, DelayIsALowerBoundPerDirectionAndKeepsOrder) {
  Rig s = Start(TestServer::Mode::kEcho);
  ASSERT_TRUE(s.proxy);
  Fd client = Dial(*s.proxy);
  s.proxy->SetDelay(kFwd, 100, 0, Rng(1));
  EXPECT_GE(RoundTripMillis(client.get()), 100);
  s.proxy->SetDelay(kBwd, 100, 0, Rng(2));
  EXPECT_GE(RoundTripMillis(client.get()), 200);

  // With jitter larger than the gaps between writes, chunks still leave in order.
  s.proxy->SetDelay(kFwd, 20, 20, Rng(3));
  s.proxy->SetDelay(kBwd, 0, 0, Rng(4));
  std::string sent;
  for (int i = 0; i < 50; ++i) {
    std::string f = Record(i);
    ASSERT_TRUE(WriteAll(client.get(), f, Deadline::AfterMillis(kWaitMs)).ok());
    sent += f;
    if (i % 10 == 0) SleepMillis(3);  // spread the writes over several proxy reads
  }
  std::string echoed;
  ASSERT_TRUE(ReadExactly(client.get(), sent.size(), &echoed, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echoed, sent);
  EXPECT_EQ(s.proxy->faults(kFwd).jitter_ms, 20);
  s.proxy->HealAll();
  EXPECT_EQ(s.proxy->faults(kFwd), LinkProxy::DirectionFaults());
}

TEST(LinkProxyTest, BandwidthIsALowerBound) {
  Rig s = Start(TestServer::Mode::kSink);
  ASSERT_TRUE(s.proxy);
  constexpr int64_t kRate = 200'000;
  constexpr size_t kBytes = 100'000;
  s.proxy->SetBandwidth(kFwd, kRate);
  Fd client = Dial(*s.proxy);
  Stopwatch sw;
  ASSERT_TRUE(
      WriteAll(client.get(), std::string(kBytes, 'x'), Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(s.server->WaitReceived(0, kBytes, Deadline::AfterMillis(kWaitMs)));
  // The first write of 1/50 s worth goes at once; the rest takes at least its share of time.
  int64_t floor_ms = static_cast<int64_t>((kBytes - kRate / 50) * 1000 / kRate);
  EXPECT_GE(sw.ElapsedMillis(), floor_ms);
}

TEST(LinkProxyTest, DestructorEndsOpenConnectionsInBoundedTime) {
  Rig s = Start(TestServer::Mode::kSink);
  ASSERT_TRUE(s.proxy);
  s.proxy->SetPartitioned(kFwd, true);
  Fd client = Dial(*s.proxy);
  ASSERT_TRUE(WriteAll(client.get(), Record(1), Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(WaitHeld(*s.proxy, static_cast<int64_t>(Record(1).size())));
  s.proxy.reset();
  std::string got;
  Status end = ReadToEof(client.get(), &got, Deadline::AfterMillis(kWaitMs));
  EXPECT_FALSE(end.IsTimeout()) << end.ToString();
}

// Corruption is always detected: through a real proxy, over random frame sizes, random
// corrupted-byte positions and random write splits, exactly the first k non-hello frames fail
// DecodeLogFrame's CRC check at the receiver, and every other frame arrives intact.
RC_GTEST_PROP(LinkProxyProperty, CorruptedFramesAlwaysFailTheReceiversCrc, ()) {
  auto server = TestServer::Start(TestServer::Mode::kSink);
  RC_ASSERT(server.ok());
  auto proxy = LinkProxy::Start("a->b", (*server)->address());
  RC_ASSERT(proxy.ok());
  std::vector<std::string> payloads = {std::string(1, static_cast<char>(FrameType::kHello)) + "{}"};
  size_t n = *rc::gen::inRange<size_t>(1, 25);
  for (size_t i = 0; i < n; ++i) {
    auto type = *rc::gen::element(FrameType::kRecords, FrameType::kOutputs, FrameType::kBarrier,
                                  FrameType::kCredit, FrameType::kControl);
    size_t size =
        *rc::gen::oneOf(rc::gen::inRange<size_t>(0, 16), rc::gen::inRange<size_t>(0, 20'000));
    payloads.push_back(std::string(1, static_cast<char>(type)) +
                       *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>()));
  }
  int k = *rc::gen::inRange(0, static_cast<int>(n) + 3);
  (*proxy)->SetCorruption(kFwd, k, Rng(*rc::gen::arbitrary<uint64_t>()));
  std::string stream;
  std::vector<size_t> starts;
  for (const auto& p : payloads) {
    starts.push_back(stream.size());
    AppendLogFrame(&stream, p);
  }

  auto client = ConnectBlocking((*proxy)->address(), Deadline::AfterMillis(kWaitMs));
  RC_ASSERT(client.ok());
  for (size_t pos = 0; pos < stream.size();) {
    size_t len = std::min(*rc::gen::inRange<size_t>(1, 6000), stream.size() - pos);
    RC_ASSERT(WriteAll(client->get(), std::string_view(stream).substr(pos, len),
                       Deadline::AfterMillis(kWaitMs))
                  .ok());
    pos += len;
  }
  ::shutdown(client->get(), SHUT_WR);
  int error = -1;
  RC_ASSERT((*server)->WaitClosed(0, Deadline::AfterMillis(kWaitMs), &error));
  std::string got = (*server)->received(0);
  RC_ASSERT(got.size() == stream.size());
  int corrupted = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    DecodedFrame f = DecodeLogFrame(std::string_view(got).substr(starts[i]));
    bool should_corrupt = i > 0 && static_cast<int>(i) <= k;
    RC_ASSERT((f.status == FrameStatus::kCorrupt) == should_corrupt);
    if (!should_corrupt) RC_ASSERT(f.payload == payloads[i]);
    corrupted += should_corrupt;
  }
  RC_ASSERT((*proxy)->stats().frames_corrupted == corrupted);
  RC_ASSERT((*proxy)->faults(kFwd).corrupt_frames_left == k - corrupted);
}

}  // namespace
}  // namespace faultline::faults
