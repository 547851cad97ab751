#include "faults/link_proxy.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "faults/frame_scanner.h"
#include "faults/sockets.h"

namespace faultline::faults {
namespace {

constexpr size_t kReadSize = 64 << 10;
constexpr int64_t kResetWaitMs = 5'000;

int Index(Direction d) { return d == Direction::kForward ? 0 : 1; }

// A run of bytes read from one side, waiting to be written to the other.
struct Chunk {
  std::string bytes;
  size_t pos = 0;              // bytes already written
  int64_t delay_until_ns = 0;  // 0: no delay
  int64_t hold_until_ns = 0;   // 0: not behind a held barrier
  int64_t release_ns() const { return std::max(delay_until_ns, hold_until_ns); }
};

// One direction of one connection.
struct Pipe {
  explicit Pipe(Direction d) : dir(d) {}
  Direction dir;
  FrameScanner scanner;
  std::deque<Chunk> queue;
  size_t queued = 0;          // unwritten bytes in `queue`
  bool src_eof = false;       // the source sent FIN
  bool dst_shut = false;      // the FIN has been passed on
  bool blocked = false;       // the last write hit EAGAIN: wait for POLLOUT
  int64_t last_delay_ns = 0;  // release times of delayed chunks never decrease
  int64_t hold_until_ns = 0;  // a held barrier releases then; later chunks wait for it
};

struct Conn {
  Fd client;    // the dialing side (A)
  Fd upstream;  // the listener side (B)
  bool connecting = false;
  bool dead = false;
  Pipe fwd{Direction::kForward};
  Pipe bwd{Direction::kBackward};

  Pipe& pipe(Direction d) { return d == Direction::kForward ? fwd : bwd; }
  int src(const Pipe& p) const {
    return p.dir == Direction::kForward ? client.get() : upstream.get();
  }
  int dst(const Pipe& p) const {
    return p.dir == Direction::kForward ? upstream.get() : client.get();
  }
  void Abort() {  // RST both sides
    client.Abort();
    upstream.Abort();
    dead = true;
  }
};

// The faults of one direction of the link, and its counters.
struct DirState {
  bool partitioned = false;
  int64_t delay_ms = 0;
  int64_t jitter_ms = 0;
  std::optional<Rng> delay_rng;
  int64_t bytes_per_s = 0;
  int64_t next_send_ns = 0;  // bandwidth: the link direction may write again then
  bool hold_on = false;
  int64_t hold_ms = 0;
  BarrierRule hold_rule;
  int corrupt_budget = 0;
  std::optional<Rng> corrupt_rng;
  int64_t bytes = 0;  // delivered
};

}  // namespace

const char* DirectionName(Direction d) { return d == Direction::kForward ? "forward" : "backward"; }

struct LinkProxy::Impl {
  std::string name;
  std::string target_text;
  sockaddr_in target{};
  Options options;
  Fd listen;
  std::string address;
  Fd wake;  // eventfd: control calls and the destructor interrupt poll()

  mutable std::mutex mu;
  std::condition_variable reset_cv;
  bool stop = false;
  uint64_t resets_requested = 0;
  uint64_t resets_done = 0;
  std::array<DirState, 2> dirs;
  std::vector<std::unique_ptr<Conn>> conns;
  int64_t connections = 0;
  int64_t barriers_held = 0;
  int64_t frames_corrupted = 0;
  std::thread thread;

  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake.get(), &one, sizeof(one));
  }
  void Run();
  int BuildPollSet(int64_t now, std::vector<pollfd>* fds);
  void HandleEvents(const std::vector<pollfd>& fds);
  void AcceptAll();
  void Read(Conn& c, Pipe& p);
  void Enqueue(Pipe& p, std::string_view data, int64_t now);
  void AddPieces(Pipe& p, std::vector<FrameScanner::Piece>* pieces, int64_t now);
  void Pump(Conn& c, Pipe& p, int64_t now);
  // Control helpers; mu held.
  void ForEachPipe(Direction d, const std::function<void(Pipe&)>& fn) {
    for (auto& c : conns) fn(c->pipe(d));
  }
  void LiftDelay(Direction d);
  void LiftHold(Direction d);
};

void LinkProxy::Impl::Run() {
  std::vector<pollfd> fds;
  std::unique_lock<std::mutex> lock(mu);
  while (!stop) {
    if (resets_done != resets_requested) {
      for (auto& c : conns) c->Abort();
      resets_done = resets_requested;
      reset_cv.notify_all();
    }
    int64_t now = MonotonicNanos();
    for (auto& c : conns) {
      if (!c->dead) Pump(*c, c->fwd, now);
      if (!c->dead) Pump(*c, c->bwd, now);
      if (!c->dead && c->fwd.dst_shut && c->bwd.dst_shut) c->dead = true;  // both FINs passed
    }
    std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->dead; });
    int timeout_ms = BuildPollSet(now, &fds);
    lock.unlock();
    int r = ::poll(fds.data(), fds.size(), timeout_ms);
    lock.lock();
    if (stop) break;
    if (r > 0) HandleEvents(fds);
  }
  conns.clear();
}

// Fills `fds` with [wake, listen, (client, upstream) per conn] and returns the poll timeout:
// the time until the earliest chunk that only waits for a clock (delay, hold, bandwidth).
int LinkProxy::Impl::BuildPollSet(int64_t now, std::vector<pollfd>* fds) {
  fds->clear();
  fds->push_back({wake.get(), POLLIN, 0});
  fds->push_back({listen.get(), POLLIN, 0});
  int64_t next_ns = INT64_MAX;
  auto can_read = [&](const Pipe& p) { return !p.src_eof && p.queued < options.max_held_bytes; };
  auto timer = [&](const Conn& c, const Pipe& p) {
    const DirState& ds = dirs[Index(p.dir)];
    if (p.queue.empty() || ds.partitioned || p.blocked) return;
    if (p.dir == Direction::kForward && c.connecting) return;
    int64_t t = p.queue.front().release_ns();
    if (ds.bytes_per_s > 0) t = std::max(t, ds.next_send_ns);
    next_ns = std::min(next_ns, t);
  };
  for (auto& c : conns) {
    short client_ev = (can_read(c->fwd) ? POLLIN : 0) | (c->bwd.blocked ? POLLOUT : 0);
    short upstream_ev =
        c->connecting
            ? POLLOUT
            : static_cast<short>((can_read(c->bwd) ? POLLIN : 0) | (c->fwd.blocked ? POLLOUT : 0));
    // An fd with no wanted events is left out (negative fd), or its POLLHUP would spin.
    fds->push_back({client_ev != 0 ? c->client.get() : -1, client_ev, 0});
    fds->push_back({upstream_ev != 0 ? c->upstream.get() : -1, upstream_ev, 0});
    timer(*c, c->fwd);
    timer(*c, c->bwd);
  }
  if (next_ns == INT64_MAX) return -1;
  if (next_ns <= now) return 0;
  return static_cast<int>(std::min<int64_t>((next_ns - now + 999'999) / 1'000'000, 60'000));
}

void LinkProxy::Impl::HandleEvents(const std::vector<pollfd>& fds) {
  if (fds[0].revents != 0) {
    uint64_t v;
    [[maybe_unused]] ssize_t n = ::read(wake.get(), &v, sizeof(v));
  }
  // Only the loop adds or removes connections, so conns[i] still matches fds[2 + 2i]; new
  // connections are appended after the indexed ones.
  size_t polled = (fds.size() - 2) / 2;
  for (size_t i = 0; i < polled; ++i) {
    Conn& c = *conns[i];
    short client_rev = fds[2 + 2 * i].revents;
    short upstream_rev = fds[3 + 2 * i].revents;
    if (c.connecting && upstream_rev != 0) {
      if (SocketError(c.upstream.get()) != 0) {
        c.Abort();  // the target refused: the dialer sees a RST, as with a real refusal
        continue;
      }
      c.connecting = false;
      upstream_rev = 0;
    }
    if (client_rev & POLLOUT) c.bwd.blocked = false;
    if (upstream_rev & POLLOUT) c.fwd.blocked = false;
    if (client_rev & (POLLIN | POLLHUP | POLLERR)) Read(c, c.fwd);
    if (!c.dead && (upstream_rev & (POLLIN | POLLHUP | POLLERR))) Read(c, c.bwd);
  }
  if (fds[1].revents != 0) AcceptAll();
}

void LinkProxy::Impl::AcceptAll() {
  while (true) {
    Result<Fd> client = AcceptOne(listen.get(), /*non_blocking=*/true);
    if (!client.ok() || !client->valid()) return;
    ++connections;
    auto c = std::make_unique<Conn>();
    c->client = std::move(*client);
    Result<Fd> up = StartConnect(target, &c->connecting);
    if (!up.ok()) {
      c->client.Abort();
      continue;
    }
    c->upstream = std::move(*up);
    conns.push_back(std::move(c));
  }
}

void LinkProxy::Impl::Read(Conn& c, Pipe& p) {
  if (p.src_eof || p.queued >= options.max_held_bytes) return;
  char buf[kReadSize];
  size_t room = std::min(kReadSize, options.max_held_bytes - p.queued);
  ssize_t n = ::recv(c.src(p), buf, room, MSG_DONTWAIT);
  int64_t now = MonotonicNanos();
  if (n > 0) {
    Enqueue(p, std::string_view(buf, static_cast<size_t>(n)), now);
  } else if (n == 0) {
    p.src_eof = true;
    std::vector<FrameScanner::Piece> pieces;
    p.scanner.Flush(&pieces);  // a partial frame at the end goes out as it is
    AddPieces(p, &pieces, now);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    c.Abort();  // a reset (or worse) on one side is passed on as a reset to the other
  }
}

void LinkProxy::Impl::Enqueue(Pipe& p, std::string_view data, int64_t now) {
  DirState& ds = dirs[Index(p.dir)];
  FrameScanner::Policy policy{
      .hold = ds.hold_on ? &ds.hold_rule : nullptr,
      .corrupt_budget = ds.corrupt_budget,
      .rng = ds.corrupt_rng ? &*ds.corrupt_rng : nullptr,
  };
  std::vector<FrameScanner::Piece> pieces;
  p.scanner.Feed(data, &policy, &pieces);
  ds.corrupt_budget = policy.corrupt_budget;
  frames_corrupted += policy.corrupted;
  AddPieces(p, &pieces, now);
}

void LinkProxy::Impl::AddPieces(Pipe& p, std::vector<FrameScanner::Piece>* pieces, int64_t now) {
  DirState& ds = dirs[Index(p.dir)];
  for (auto& piece : *pieces) {
    if (piece.held_barrier) {
      ++barriers_held;
      p.hold_until_ns = std::max(p.hold_until_ns, now + ds.hold_ms * 1'000'000);
    }
    Chunk chunk{.bytes = std::move(piece.bytes)};
    if (p.hold_until_ns > now) chunk.hold_until_ns = p.hold_until_ns;
    if (ds.delay_ms > 0 || ds.jitter_ms > 0) {
      int64_t jitter = ds.jitter_ms > 0 ? ds.delay_rng->Range(-ds.jitter_ms, ds.jitter_ms) : 0;
      int64_t delay_ns = std::max<int64_t>(0, ds.delay_ms + jitter) * 1'000'000;
      chunk.delay_until_ns = std::max(p.last_delay_ns, now + delay_ns);
      p.last_delay_ns = chunk.delay_until_ns;
    }
    p.queued += chunk.bytes.size();
    p.queue.push_back(std::move(chunk));
  }
}

void LinkProxy::Impl::Pump(Conn& c, Pipe& p, int64_t now) {
  if (p.dir == Direction::kForward && c.connecting) return;
  DirState& ds = dirs[Index(p.dir)];
  while (!p.queue.empty() && !ds.partitioned && !p.blocked) {
    Chunk& chunk = p.queue.front();
    if (chunk.release_ns() > now) return;
    size_t want = chunk.bytes.size() - chunk.pos;
    if (ds.bytes_per_s > 0) {
      if (ds.next_send_ns > now) return;
      want = std::min<size_t>(want, std::max<int64_t>(1, ds.bytes_per_s / 50));
    }
    ssize_t n = ::send(c.dst(p), chunk.bytes.data() + chunk.pos, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        p.blocked = true;
      } else if (errno != EINTR) {
        c.Abort();  // the destination is gone: reset the source too
      }
      return;
    }
    chunk.pos += static_cast<size_t>(n);
    p.queued -= static_cast<size_t>(n);
    ds.bytes += n;
    if (ds.bytes_per_s > 0) {
      ds.next_send_ns = std::max(ds.next_send_ns, now) + n * 1'000'000'000 / ds.bytes_per_s;
    }
    if (chunk.pos == chunk.bytes.size()) p.queue.pop_front();
  }
  if (p.queue.empty() && p.src_eof && !p.dst_shut && !ds.partitioned &&
      p.scanner.staged_bytes() == 0) {
    ::shutdown(c.dst(p), SHUT_WR);  // pass the FIN on, behind every byte before it
    p.dst_shut = true;
  }
}

void LinkProxy::Impl::LiftDelay(Direction d) {
  ForEachPipe(d, [](Pipe& p) {
    for (auto& chunk : p.queue) chunk.delay_until_ns = 0;
    p.last_delay_ns = 0;
  });
}

void LinkProxy::Impl::LiftHold(Direction d) {
  int64_t now = MonotonicNanos();
  ForEachPipe(d, [&](Pipe& p) {
    for (auto& chunk : p.queue) chunk.hold_until_ns = 0;
    p.hold_until_ns = 0;
    std::vector<FrameScanner::Piece> pieces;
    p.scanner.Flush(&pieces);
    AddPieces(p, &pieces, now);
  });
}

LinkProxy::LinkProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<LinkProxy>> LinkProxy::Start(std::string name, std::string target_address) {
  return Start(std::move(name), std::move(target_address), Options());
}

Result<std::unique_ptr<LinkProxy>> LinkProxy::Start(std::string name, std::string target_address,
                                                    Options options) {
  auto impl = std::make_unique<Impl>();
  impl->name = std::move(name);
  impl->target_text = std::move(target_address);
  impl->options = std::move(options);
  auto context = "link proxy " + impl->name;
  Result<sockaddr_in> target = ParseAddress(impl->target_text);
  if (!target.ok()) return target.status().WithContext(context);
  impl->target = *target;
  Result<Fd> listen = ListenTcp(impl->options.listen_host + ":0");
  if (!listen.ok()) return listen.status().WithContext(context);
  impl->listen = std::move(*listen);
  ASSIGN_OR_RETURN(impl->address, LocalAddress(impl->listen.get()));
  impl->wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!impl->wake.valid()) return Status::IoError(context + ": eventfd", errno);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<LinkProxy>(new LinkProxy(std::move(impl)));
}

LinkProxy::~LinkProxy() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->Wake();
  impl_->reset_cv.notify_all();
  impl_->thread.join();
}

const std::string& LinkProxy::name() const { return impl_->name; }
std::string LinkProxy::address() const { return impl_->address; }
std::string LinkProxy::target_address() const { return impl_->target_text; }

void LinkProxy::SetPartitioned(Direction d, bool on) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->dirs[Index(d)].partitioned = on;
  impl_->Wake();
}

void LinkProxy::SetDelay(Direction d, int64_t delay_ms, int64_t jitter_ms, Rng rng) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  DirState& ds = impl_->dirs[Index(d)];
  ds.delay_ms = std::max<int64_t>(0, delay_ms);
  ds.jitter_ms = std::max<int64_t>(0, jitter_ms);
  ds.delay_rng = rng;
  if (ds.delay_ms == 0 && ds.jitter_ms == 0) impl_->LiftDelay(d);
  impl_->Wake();
}

void LinkProxy::SetBandwidth(Direction d, int64_t bytes_per_s) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  DirState& ds = impl_->dirs[Index(d)];
  ds.bytes_per_s = std::max<int64_t>(0, bytes_per_s);
  ds.next_send_ns = 0;
  impl_->Wake();
}

void LinkProxy::ResetConnections() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  uint64_t ticket = ++impl_->resets_requested;
  impl_->Wake();
  impl_->reset_cv.wait_for(lock, std::chrono::milliseconds(kResetWaitMs),
                           [&] { return impl_->stop || impl_->resets_done >= ticket; });
}

void LinkProxy::SetBarrierHold(Direction d, int64_t hold_ms, int64_t every_k, int64_t from_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  DirState& ds = impl_->dirs[Index(d)];
  ds.hold_on = hold_ms > 0;
  ds.hold_ms = std::max<int64_t>(0, hold_ms);
  ds.hold_rule = BarrierRule{.every_k = every_k, .from_id = from_id};
  if (!ds.hold_on) impl_->LiftHold(d);
  impl_->Wake();
}

void LinkProxy::SetCorruption(Direction d, int frames) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  DirState& ds = impl_->dirs[Index(d)];
  ds.corrupt_budget = std::max(0, frames);
  ds.corrupt_rng.reset();
}

void LinkProxy::SetCorruption(Direction d, int frames, Rng rng) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  DirState& ds = impl_->dirs[Index(d)];
  ds.corrupt_budget = std::max(0, frames);
  ds.corrupt_rng = rng;
}

void LinkProxy::HealAll() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (Direction d : {Direction::kForward, Direction::kBackward}) {
    DirState& ds = impl_->dirs[Index(d)];
    int64_t bytes = ds.bytes;
    ds = DirState();
    ds.bytes = bytes;
    impl_->LiftDelay(d);
    impl_->LiftHold(d);
  }
  impl_->Wake();
}

LinkProxy::Stats LinkProxy::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Stats s;
  s.connections = impl_->connections;
  s.bytes_forward = impl_->dirs[0].bytes;
  s.bytes_backward = impl_->dirs[1].bytes;
  s.barriers_held = impl_->barriers_held;
  s.frames_corrupted = impl_->frames_corrupted;
  for (const auto& c : impl_->conns) {
    if (c->dead) continue;
    ++s.open_connections;
    for (const Pipe* p : {&c->fwd, &c->bwd}) {
      s.bytes_held += static_cast<int64_t>(p->queued + p->scanner.staged_bytes());
    }
  }
  return s;
}

LinkProxy::DirectionFaults LinkProxy::faults(Direction d) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const DirState& ds = impl_->dirs[Index(d)];
  DirectionFaults f;
  f.partitioned = ds.partitioned;
  f.delay_ms = ds.delay_ms;
  f.jitter_ms = ds.jitter_ms;
  f.bytes_per_s = ds.bytes_per_s;
  if (ds.hold_on) {
    f.hold_ms = ds.hold_ms;
    f.every_k = ds.hold_rule.every_k;
    f.from_id = ds.hold_rule.from_id;
  }
  f.corrupt_frames_left = ds.corrupt_budget;
  return f;
}

}  // namespace faultline::faults
