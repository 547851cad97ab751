#include "harness/fake_system.h"

#include <functional>
#include <mutex>

#include "base/clock.h"
#include "base/file.h"
#include "systems/network.h"
#include "systems/node_set.h"

namespace faultline::harness {
namespace {

using systems::Delivery;
using systems::Record;
using systems::SendOutcome;
using systems::SendStatus;

// What the client sends and the reader delivers.
struct Pipe {
  std::mutex mu;
  std::vector<Delivery> pending;  // guarded by mu
  int64_t delivered = 0;          // guarded by mu
};

class FakeClient : public systems::Client {
 public:
  FakeClient(Pipe* pipe, const FakeOptions& options, std::function<bool()> losing)
      : pipe_(pipe), options_(options), losing_(std::move(losing)) {}
  Result<std::vector<SendOutcome>> Send(std::span<const Record> records) override {
    std::vector<SendOutcome> out(records.size());
    for (const Record& r : records) {
      if (r.id == options_.broken_id) return Status::Corruption("the adapter said \"?\"");
    }
    const bool losing = losing_();
    std::lock_guard<std::mutex> lock(pipe_->mu);
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      out[i].ack_mono_ns = MonotonicNanos();
      bool deliver = true;
      if (r.id % 5 == 1) {
        out[i].status = SendStatus::kUnknown;
        out[i].error = "timed out";
        deliver = r.id % 10 == 1;
      } else if (r.id % 7 == 3) {
        out[i].status = SendStatus::kFail;
        out[i].error = "refused";
        deliver = false;
      } else {
        out[i].status = SendStatus::kOk;
        deliver = r.id != options_.lost_id && !losing;
      }
      if (!deliver) continue;
      Delivery d;
      d.id = r.id;
      d.key = r.key;
      if (r.id == options_.retracted_id) d.source = "fake-retracted";
      pipe_->pending.push_back(std::move(d));
    }
    return out;
  }

 private:
  Pipe* pipe_;
  FakeOptions options_;
  std::function<bool()> losing_;
};

// Delivers what the client put in the pipe; a delivery from "fake-retracted" is taken back by
// the next poll.
class FakeReader : public systems::Reader {
 public:
  explicit FakeReader(Pipe* pipe) : pipe_(pipe) {}
  Status Poll(std::vector<Delivery>* out) override {
    std::lock_guard<std::mutex> lock(pipe_->mu);
    if (retract_next_) {
      Delivery back;
      back.kind = Delivery::Kind::kRetraction;
      back.source = "fake-retracted";
      out->push_back(std::move(back));
      retract_next_ = false;
    }
    for (Delivery& d : pipe_->pending) {
      retract_next_ = retract_next_ || d.source == "fake-retracted";
      out->push_back(std::move(d));
    }
    pipe_->delivered += static_cast<int64_t>(pipe_->pending.size());
    pipe_->pending.clear();
    return Status::Ok();
  }

 private:
  Pipe* pipe_;
  bool retract_next_ = false;
};

// Two "server" nodes as real processes, no failpoints, plain record delivery.
class FakeSystem : public systems::System {
 public:
  explicit FakeSystem(FakeOptions options) : options_(std::move(options)) {}
  std::string_view kind() const override { return "fake"; }
  std::vector<systems::NodeSpec> Nodes() const override {
    return {{"server-1", "server"}, {"server-2", "server"}};
  }
  std::string job() const override { return "delivery"; }
  systems::Capabilities capabilities() const override { return {}; }
  Status Setup(const systems::SystemContext& ctx) override {
    for (const auto& n : Nodes()) {
      ASSIGN_OR_RETURN(auto argv, ctx.network->Command(n.id, options_.node_argv));
      RETURN_IF_ERROR(nodes_.Add(n, argv, JoinPath(ctx.run_dir, "nodes/" + n.id)));
    }
    return Status::Ok();
  }
  systems::NodeSet& nodes() override { return nodes_; }
  Result<bool> Ready() override { return !options_.never_ready; }
  Result<std::unique_ptr<systems::Client>> OpenClient() override {
    auto losing = [this] {
      if (options_.lose_while_paused.empty()) return false;
      systems::NodeProcess* n = nodes_.Find(options_.lose_while_paused);
      return n != nullptr && n->paused();
    };
    return std::unique_ptr<systems::Client>(new FakeClient(&pipe_, options_, losing));
  }
  Result<std::unique_ptr<systems::Reader>> OpenReader(bool) override {
    return std::unique_ptr<systems::Reader>(new FakeReader(&pipe_));
  }
  bool Quiescent(const systems::DeliveryProgress& progress) override {
    if (options_.halted != nullptr) return false;
    std::lock_guard<std::mutex> lock(pipe_.mu);
    return pipe_.pending.empty() && progress.committed_seen == pipe_.delivered;
  }
  std::optional<std::string> Halted() override {
    if (options_.halted == nullptr) return std::nullopt;
    return std::string(options_.halted);
  }

 private:
  FakeOptions options_;
  systems::NodeSet nodes_;
  Pipe pipe_;
};

}  // namespace

std::unique_ptr<systems::System> MakeFakeSystem(FakeOptions options) {
  return std::make_unique<FakeSystem>(std::move(options));
}

}  // namespace faultline::harness
