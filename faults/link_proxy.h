#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/rng.h"
#include "base/status.h"

namespace faultline::faults {

// The two directions of a link. Forward = bytes from the dialing side to the listener.
enum class Direction { kForward, kBackward };
const char* DirectionName(Direction d);  // "forward" | "backward"

// LinkProxy is one directed link A->B: it listens on 127.0.0.1:<free port> (address(), what A
// dials) and forwards each accepted connection to B's real address, relaying bytes both ways on
// its own thread. Faults are applied per direction to every connection of the link.
//
// Promises:
//  - Bytes are never dropped from the middle of a stream, reordered or duplicated; each fault
//    only delays them (corruption aside, which flips a byte in place, and ResetConnections, which
//    ends the streams). A partition HOLDS bytes, and the EOF behind them, and releases them in
//    order on heal. Held bytes are bounded per connection direction (1 MiB): beyond that the
//    proxy stops reading the socket, so TCP backpressure reaches the sender.
//  - Delay: each chunk read is released delay_ms +/- jitter_ms (uniform, at least 0) after it
//    arrived, never before a chunk read earlier (FIFO kept).
//  - Bandwidth: the link's direction (all its connections together) writes at most bytes_per_s
//    on average, in writes of at most 1/50 s worth.
//  - Barrier hold: when a barrier frame (runtime/wire.h FrameType::kBarrier) whose checkpoint
//    id matches the rule passes, that frame and everything behind it on its connection are held
//    for hold_ms from the barrier's arrival, FIFO kept. Frames ahead of it are not delayed.
//  - Corruption: one byte inside the payload of each of the next `frames` frames that are not a
//    hello is XOR-ed with a non-zero mask; the frame's length is untouched, so a receiver's CRC
//    check (DecodeLogFrame) always reports it, and later frames still parse.
//  - Every setter takes effect at once, also for bytes already held: turning a delay or a hold
//    off releases what it held. Connections accepted while a fault is active get it too.
//  - ResetConnections() returns once every current connection has been closed with a RST on
//    both sides; new connections are accepted as before.
//  - The destructor stops the thread and closes every socket within bounded time.
// Thread-safe: every method may be called from any thread.
class LinkProxy {
 public:
  struct Options {
    std::string listen_host = "127.0.0.1";
    size_t max_held_bytes = 1 << 20;  // per connection direction, before backpressure
  };

  // Starts relaying to `target_address` ("host:port"). `name` labels errors ("worker-1->sink").
  static Result<std::unique_ptr<LinkProxy>> Start(std::string name, std::string target_address);
  static Result<std::unique_ptr<LinkProxy>> Start(std::string name, std::string target_address,
                                                  Options options);
  ~LinkProxy();
  LinkProxy(const LinkProxy&) = delete;
  LinkProxy& operator=(const LinkProxy&) = delete;

  const std::string& name() const;
  std::string address() const;  // what A must dial
  std::string target_address() const;

  void SetPartitioned(Direction d, bool on);
  // delay_ms <= 0 and jitter_ms <= 0 turn the delay off. `rng` draws the jitter.
  void SetDelay(Direction d, int64_t delay_ms, int64_t jitter_ms, Rng rng);
  void SetBandwidth(Direction d, int64_t bytes_per_s);  // 0 = unlimited
  // RST on both sides of every current connection (SO_LINGER 0, then close).
  void ResetConnections();
  // hold_ms <= 0 turns the hold off. every_k > 0: only ids with id % every_k == 0;
  // from_id > 0: only ids >= from_id.
  void SetBarrierHold(Direction d, int64_t hold_ms, int64_t every_k, int64_t from_id);
  // Corrupts the next `frames` non-hello frames in direction d (0 cancels what is left). Flips
  // the middle payload byte with mask 0xFF, or, given `rng`, a random payload byte with a random
  // non-zero mask.
  void SetCorruption(Direction d, int frames);
  void SetCorruption(Direction d, int frames, Rng rng);
  // Lifts every fault in both directions and releases everything held.
  void HealAll();

  struct Stats {
    int64_t connections = 0;     // accepted since Start
    int64_t bytes_forward = 0;   // delivered to the listener side
    int64_t bytes_backward = 0;  // delivered to the dialing side
    int64_t barriers_held = 0;   // barrier frames that matched a hold rule
    int64_t frames_corrupted = 0;
    int64_t bytes_held = 0;        // read but not yet delivered, both directions, right now
    int64_t open_connections = 0;  // right now
  };
  Stats stats() const;

  // The faults active on one direction right now (for logs and tests).
  struct DirectionFaults {
    bool partitioned = false;
    int64_t delay_ms = 0;
    int64_t jitter_ms = 0;
    int64_t bytes_per_s = 0;
    int64_t hold_ms = 0;  // 0: no barrier hold
    int64_t every_k = 0;
    int64_t from_id = 0;
    int corrupt_frames_left = 0;
    bool operator==(const DirectionFaults&) const = default;
  };
  DirectionFaults faults(Direction d) const;

 private:
  struct Impl;
  explicit LinkProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::faults
