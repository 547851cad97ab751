#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "systems/event_list.h"
#include "systems/idle_quiescence.h"
#include "systems/node_set.h"
#include "systems/system.h"

namespace faultline::systems {

// One node of a user's system: a command line with placeholders (docs/systems/command.md).
struct CommandNode {
  std::string id;
  std::string role = "node";
  std::vector<std::string> command;
};

// A scenario's `"system": {"kind": "command", ...}`.
struct CommandOptions {
  std::string job = "delivery";  // delivery | count (the reader's lines carry counts)
  std::vector<CommandNode> nodes;
  std::vector<std::string> client;  // the client adapter
  int64_t client_timeout_ms = 10'000;
  std::vector<std::string> reader;
  std::vector<std::string> ready;       // optional: ready once it exits 0
  std::vector<std::string> quiescence;  // optional: quiescent once it exits 0
  int64_t idle_ms = 3000;               // without a quiescence command
};

// Parses and checks the `system` object's members (all but `kind`), placeholders included
// ({scenario_dir} is the harness's: resolved before this); errors name `source` and the JSON
// path.
Result<CommandOptions> ParseCommandOptions(const nlohmann::json& params, const std::string& source);

// CommandSystem is a user's own system behind the seam, Maelstrom-style (docs/systems/
// command.md): its nodes are the scenario's command lines, run as real processes; the client
// and the reader are the user's adapter programs, spoken to in JSON lines on their stdin and
// stdout. A placeholder {addr:NODE} in a command declares a link from that command's side (a
// node, `client` or `reader`) to NODE and becomes the address to dial, a proxy with
// "network": "proxy", so that link faults cut the user's own cluster. An adapter that breaks
// the protocol (a malformed line, an early exit, silence past its deadline) fails the run's
// client or reader: the run is unknown, with the offending line and the adapter's stderr.
// Driven from the harness's main thread; Client and Reader each on a thread of their own.
class CommandSystem : public System {
 public:
  explicit CommandSystem(CommandOptions options);
  ~CommandSystem() override;

  std::string_view kind() const override { return "command"; }
  std::vector<NodeSpec> Nodes() const override;
  std::vector<NodeSpec> Clients() const override {
    return {{"client", "client"}, {"reader", "client"}};
  }
  std::string job() const override { return options_.job; }
  Capabilities capabilities() const override { return {}; }

  Status Setup(const SystemContext& ctx) override;
  NodeSet& nodes() override { return nodes_; }
  Result<bool> Ready() override;
  Result<std::unique_ptr<Client>> OpenClient() override;
  Result<std::unique_ptr<Reader>> OpenReader(bool uncommitted) override;
  bool Quiescent(const DeliveryProgress& progress) override;
  std::vector<std::string> DataPaths() const override { return {data_dir_}; }

 private:
  // `command` with every placeholder replaced, as seen from `side` (a node id, "client",
  // "reader", or "" for control commands, which see only {listen:NODE}).
  Result<std::vector<std::string>> Expand(const std::vector<std::string>& command,
                                          const std::string& side) const;

  CommandOptions options_;
  Mode mode_ = Mode::kExactlyOnce;
  std::string run_dir_;
  std::string data_dir_;
  std::map<std::string, std::string> listen_;  // node -> its own address
  Network* network_ = nullptr;
  NodeSet nodes_;
  IdleQuiescence idle_;
};

}  // namespace faultline::systems
