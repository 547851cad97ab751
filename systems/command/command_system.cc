#include "systems/command/command_system.h"

#include <set>

#include "base/file.h"
#include "base/json.h"
#include "base/socket.h"
#include "systems/command/adapter_process.h"
#include "systems/network.h"

namespace faultline::systems {
namespace {

constexpr int64_t kControlTimeoutMs = 5000;  // one run of a ready or quiescence command
constexpr size_t kMaxShownLine = 300;

// The placeholders a command of each side may use (docs/systems/command.md).
const std::set<std::string>& NodePlaceholders() {
  static const std::set<std::string> names = {"id",     "role", "host", "port",
                                              "listen", "data", "mode", "run"};
  return names;
}
const std::set<std::string>& SidePlaceholders() {
  static const std::set<std::string> names = {"mode", "run"};
  return names;
}

// Replaces every {name} and {name:arg} of `text` by `value(name, arg)`; "{{" and "}}" are
// literal braces.
Result<std::string> Substitute(
    const std::string& text,
    const std::function<Result<std::string>(const std::string&, const std::string&)>& value) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '}') return Status::InvalidArgument("a '}' without its '{' (write }} for a brace)");
    if (c != '{') {
      out += c;
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string::npos) return Status::InvalidArgument("a '{' without its '}'");
    std::string inner = text.substr(i + 1, close - i - 1);
    size_t colon = inner.find(':');
    std::string name = inner.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : inner.substr(colon + 1);
    ASSIGN_OR_RETURN(std::string v, value(name, arg));
    out += v;
    i = close;
  }
  return out;
}

std::string Shown(std::string_view line) {
  return line.size() > kMaxShownLine ? std::string(line.substr(0, kMaxShownLine)) + "..."
                                     : std::string(line);
}

Status AdapterError(AdapterProcess& p, const std::string& what) {
  return Status::Corruption(what + "; " + p.Describe() + "; its stderr ends: " + p.StderrTail());
}

// Speaks the client protocol: {"op":"send",...} lines to the adapter, {"op":"ack",...} back.
class CommandClient : public Client {
 public:
  CommandClient(std::unique_ptr<AdapterProcess> adapter, int64_t timeout_ms)
      : adapter_(std::move(adapter)), timeout_ms_(timeout_ms) {}

  Result<std::vector<SendOutcome>> Send(std::span<const Record> records) override {
    std::string lines;
    std::map<uint64_t, size_t> pending;
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      lines +=
          nlohmann::json{{"op", "send"}, {"id", r.id}, {"key", r.key}, {"value", r.value}}.dump() +
          "\n";
      pending[r.id] = i;
    }
    const Deadline deadline = Deadline::AfterMillis(timeout_ms_);
    if (Status w = adapter_->Write(lines, deadline); !w.ok())
      return AdapterError(*adapter_, "the client adapter did not take its sends: " + w.message());
    std::vector<SendOutcome> out(records.size());
    while (!pending.empty()) {
      auto line = adapter_->ReadLine(deadline);
      if (!line.ok())
        return AdapterError(*adapter_,
                            "the client adapter stopped answering: " + line.status().message());
      if (!line->has_value()) {
        return AdapterError(*adapter_, "the client adapter answered " +
                                           std::to_string(records.size() - pending.size()) +
                                           " of " + std::to_string(records.size()) +
                                           " sends within " + std::to_string(timeout_ms_) +
                                           " ms (first unanswered: id " +
                                           std::to_string(pending.begin()->first) + ")");
      }
      auto ack = ParseAck(**line, pending);
      if (!ack.ok()) return AdapterError(*adapter_, ack.status().message());
      auto [id, outcome] = *ack;
      out[pending.at(id)] = outcome;
      pending.erase(id);
    }
    return out;
  }

  // End of input: its stdin closes; it may exit.
  Status Finish() override {
    adapter_->CloseStdin();
    return Status::Ok();
  }

 private:
  static Result<std::pair<uint64_t, SendOutcome>> ParseAck(
      const std::string& line, const std::map<uint64_t, size_t>& pending) {
    const std::string expected =
        "expected {\"op\":\"ack\",\"id\":N,\"status\":\"ok\"|\"fail\"|\"unknown\"} for a "
        "pending send";
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    auto bad = [&](const std::string& why) {
      return Status::Corruption("the client adapter printed \"" + Shown(line) + "\": " + why +
                                "; " + expected);
    };
    if (!j.is_object()) return bad("not a JSON object");
    if (j.value("op", "") != "ack") return bad("$.op is not \"ack\"");
    if (!j.contains("id") || !j["id"].is_number_unsigned()) return bad("$.id is not an id");
    uint64_t id = j["id"].get<uint64_t>();
    if (pending.count(id) == 0) return bad("id " + std::to_string(id) + " is not pending");
    SendOutcome o;
    o.ack_mono_ns = MonotonicNanos();
    std::string status = j.contains("status") && j["status"].is_string() ? j["status"] : "";
    if (status == "ok") {
      o.status = SendStatus::kOk;
    } else if (status == "fail") {
      o.status = SendStatus::kFail;
    } else if (status == "unknown") {
      o.status = SendStatus::kUnknown;
    } else {
      return bad("$.status is not ok, fail or unknown");
    }
    if (j.contains("error")) {
      if (!j["error"].is_string()) return bad("$.error is not a string");
      o.error = j["error"].get<std::string>();
    }
    if (j.contains("partition")) {
      if (!j["partition"].is_number_integer() || j["partition"].get<int64_t>() < 0)
        return bad("$.partition is not a non-negative integer");
      o.partition = j["partition"].get<int32_t>();
    }
    if (j.contains("offset")) {
      if (!j["offset"].is_number_integer() || j["offset"].get<int64_t>() < 0)
        return bad("$.offset is not a non-negative integer");
      o.offset = j["offset"].get<int64_t>();
    }
    return std::make_pair(id, o);
  }

  std::unique_ptr<AdapterProcess> adapter_;
  int64_t timeout_ms_;
};

// Reads the reader's {"id":N,"key":"k"} lines as they come.
class CommandReader : public Reader {
 public:
  explicit CommandReader(std::unique_ptr<AdapterProcess> adapter) : adapter_(std::move(adapter)) {}

  Status Poll(std::vector<Delivery>* out) override {
    while (true) {
      auto line = adapter_->ReadLine(Deadline::AfterMillis(0));
      if (!line.ok()) {
        return AdapterError(*adapter_, "the reader stopped: " + line.status().message());
      }
      if (!line->has_value()) return Status::Ok();
      ASSIGN_OR_RETURN(Delivery d, Parse(**line));
      out->push_back(std::move(d));
    }
  }

 private:
  Result<Delivery> Parse(const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    auto bad = [&](const std::string& why) {
      return AdapterError(*adapter_, "the reader printed \"" + Shown(line) + "\": " + why +
                                         "; expected {\"id\":N,\"key\":\"K\"} with optional "
                                         "\"count\" and \"committed\"");
    };
    if (!j.is_object()) return bad("not a JSON object");
    if (!j.contains("id") || !j["id"].is_number_unsigned()) return bad("$.id is not an id");
    if (!j.contains("key") || !j["key"].is_string()) return bad("$.key is not a string");
    Delivery d;
    d.id = j["id"].get<uint64_t>();
    d.key = j["key"].get<std::string>();
    if (j.contains("count")) {
      if (!j["count"].is_number_integer()) return bad("$.count is not an integer");
      d.count = j["count"].get<int64_t>();
    }
    if (j.contains("committed")) {
      if (!j["committed"].is_boolean()) return bad("$.committed is not true or false");
      d.committed = j["committed"].get<bool>();
    }
    if (j.contains("source") && j["source"].is_string()) d.source = j["source"];
    return d;
  }

  std::unique_ptr<AdapterProcess> adapter_;
};

// A command: a non-empty array of strings.
Result<std::vector<std::string>> CommandAt(JsonObject& o, std::string_view key, bool required) {
  const nlohmann::json* c = o.Raw(key);
  if (c == nullptr) {
    if (required) return o.Error(key, "missing (required): a command, e.g. [\"prog\", \"--x\"]");
    return std::vector<std::string>();
  }
  if (!c->is_array() || c->empty()) return o.Error(key, "expected a non-empty array of strings");
  std::vector<std::string> argv;
  for (const auto& a : *c) {
    if (!a.is_string()) return o.Error(key, "expected a non-empty array of strings");
    argv.push_back(a.get<std::string>());
  }
  return argv;
}

}  // namespace

Result<CommandOptions> ParseCommandOptions(const nlohmann::json& params,
                                           const std::string& source) {
  CommandOptions o;
  JsonObject j(params, "$.system", source);
  RETURN_IF_ERROR(j.Enum("job", &o.job, {"delivery", "count"}));
  const nlohmann::json* nodes = j.Raw("nodes");
  if (nodes == nullptr || !nodes->is_array() || nodes->empty())
    return j.Error("nodes", "expected an array of at least one node");
  std::set<std::string> ids;
  for (size_t i = 0; i < nodes->size(); ++i) {
    JsonObject n((*nodes)[i], j.PathOf("nodes") + "[" + std::to_string(i) + "]", source);
    CommandNode node;
    RETURN_IF_ERROR(n.String("id", &node.id, JsonObject::Need::kRequired));
    if (node.id.empty() || node.id.find_first_of("{}:/ ") != std::string::npos ||
        node.id == "client" || node.id == "reader") {
      return n.Error("id",
                     "expected a name without spaces, braces, colons or slashes, other "
                     "than client and reader");
    }
    if (!ids.insert(node.id).second) return n.Error("id", "node id given twice");
    RETURN_IF_ERROR(n.String("role", &node.role));
    ASSIGN_OR_RETURN(node.command, CommandAt(n, "command", true));
    RETURN_IF_ERROR(n.Finish());
    o.nodes.push_back(std::move(node));
  }
  ASSIGN_OR_RETURN(auto client, j.Object("client", JsonObject::Need::kRequired));
  ASSIGN_OR_RETURN(o.client, CommandAt(*client, "command", true));
  RETURN_IF_ERROR(client->Int("timeout_ms", &o.client_timeout_ms, {.min = 1, .max = 600'000}));
  RETURN_IF_ERROR(client->Finish());
  ASSIGN_OR_RETURN(auto reader, j.Object("reader", JsonObject::Need::kRequired));
  ASSIGN_OR_RETURN(o.reader, CommandAt(*reader, "command", true));
  RETURN_IF_ERROR(reader->Finish());
  ASSIGN_OR_RETURN(auto ready, j.Object("ready"));
  if (ready) {
    ASSIGN_OR_RETURN(o.ready, CommandAt(*ready, "command", true));
    RETURN_IF_ERROR(ready->Finish());
  }
  ASSIGN_OR_RETURN(auto quiescence, j.Object("quiescence"));
  if (quiescence) {
    ASSIGN_OR_RETURN(o.quiescence, CommandAt(*quiescence, "command", false));
    RETURN_IF_ERROR(quiescence->Int("idle_ms", &o.idle_ms, {.min = 1, .max = 600'000}));
    RETURN_IF_ERROR(quiescence->Finish());
  }
  RETURN_IF_ERROR(j.Finish());

  // Every placeholder must mean something where it stands.
  auto check = [&](const std::vector<std::string>& argv, const std::string& path,
                   const std::set<std::string>& own, bool links) -> Status {
    for (size_t i = 0; i < argv.size(); ++i) {
      auto r = Substitute(
          argv[i], [&](const std::string& name, const std::string& arg) -> Result<std::string> {
            if (((name == "addr" && links) || name == "listen") && !arg.empty()) {
              if (ids.count(arg) == 0) {
                return Status::InvalidArgument("{" + name + ":" + arg + "}: no node '" + arg + "'");
              }
              return std::string();
            }
            if (!arg.empty() || own.count(name) == 0) {
              return Status::InvalidArgument(
                  "unknown placeholder {" + name + (arg.empty() ? "" : ":" + arg) + "} here" +
                  (name == "addr" ? " (control commands use {listen:NODE}, "
                                    "which no fault cuts)"
                                  : ""));
            }
            return std::string();
          });
      if (!r.ok()) {
        return Status::InvalidArgument(source + ": " + path + "[" + std::to_string(i) +
                                       "]: " + r.status().message());
      }
    }
    return Status::Ok();
  };
  for (size_t i = 0; i < o.nodes.size(); ++i) {
    RETURN_IF_ERROR(check(o.nodes[i].command, "$.system.nodes[" + std::to_string(i) + "].command",
                          NodePlaceholders(), true));
  }
  RETURN_IF_ERROR(check(o.client, "$.system.client.command", SidePlaceholders(), true));
  RETURN_IF_ERROR(check(o.reader, "$.system.reader.command", SidePlaceholders(), true));
  RETURN_IF_ERROR(check(o.ready, "$.system.ready.command", SidePlaceholders(), false));
  RETURN_IF_ERROR(check(o.quiescence, "$.system.quiescence.command", SidePlaceholders(), false));
  return o;
}

CommandSystem::CommandSystem(CommandOptions options)
    : options_(std::move(options)), idle_(options_.idle_ms) {}

CommandSystem::~CommandSystem() = default;

std::vector<NodeSpec> CommandSystem::Nodes() const {
  std::vector<NodeSpec> specs;
  for (const auto& n : options_.nodes) specs.push_back({n.id, n.role});
  return specs;
}

Result<std::vector<std::string>> CommandSystem::Expand(const std::vector<std::string>& command,
                                                       const std::string& side) const {
  const CommandNode* self = nullptr;
  for (const auto& n : options_.nodes) {
    if (n.id == side) self = &n;
  }
  std::vector<std::string> argv;
  for (const std::string& arg : command) {
    ASSIGN_OR_RETURN(
        std::string expanded,
        Substitute(arg,
                   [&](const std::string& name, const std::string& param) -> Result<std::string> {
                     if (name == "addr") return network_->DialAddress(side, param);
                     if (name == "listen" && !param.empty()) return listen_.at(param);
                     if (name == "mode") return std::string(ModeName(mode_));
                     if (name == "run") return run_dir_;
                     if (self == nullptr) return Status::Internal("{" + name + "} outside a node");
                     const std::string& listen = listen_.at(self->id);
                     if (name == "id") return self->id;
                     if (name == "role") return self->role;
                     if (name == "listen") return listen;
                     if (name == "host") return listen.substr(0, listen.rfind(':'));
                     if (name == "port") return listen.substr(listen.rfind(':') + 1);
                     if (name == "data") return JoinPath(data_dir_, self->id);
                     return Status::Internal("unknown placeholder {" + name + "}");
                   }));
    argv.push_back(std::move(expanded));
  }
  return argv;
}

Status CommandSystem::Setup(const SystemContext& ctx) {
  mode_ = ctx.mode;
  run_dir_ = ctx.run_dir;
  data_dir_ = JoinPath(ctx.run_dir, "data");
  network_ = ctx.network;
  for (const auto& n : options_.nodes) {
    ASSIGN_OR_RETURN(listen_[n.id], network_->ListenAddress(n.id));
    RETURN_IF_ERROR(CreateDirs(JoinPath(data_dir_, n.id)));
  }
  // A link for every {addr:NODE}: from the side whose command names it.
  auto declare = [&](const std::vector<std::string>& command, const std::string& side) -> Status {
    for (const std::string& arg : command) {
      RETURN_IF_ERROR(
          Substitute(arg,
                     [&](const std::string& name, const std::string& to) -> Result<std::string> {
                       if (name == "addr")
                         RETURN_IF_ERROR(network_->AddLink(side, to, listen_[to]));
                       return std::string();
                     })
              .status());
    }
    return Status::Ok();
  };
  for (const auto& n : options_.nodes) RETURN_IF_ERROR(declare(n.command, n.id));
  RETURN_IF_ERROR(declare(options_.client, "client"));
  RETURN_IF_ERROR(declare(options_.reader, "reader"));
  RETURN_IF_ERROR(network_->Start());
  for (const auto& n : options_.nodes) {
    ASSIGN_OR_RETURN(std::vector<std::string> argv, Expand(n.command, n.id));
    ASSIGN_OR_RETURN(argv, network_->Command(n.id, argv));
    RETURN_IF_ERROR(
        nodes_.Add({n.id, n.role}, std::move(argv), JoinPath(run_dir_, "nodes/" + n.id)));
  }
  return Status::Ok();
}

Result<bool> CommandSystem::Ready() {
  if (!options_.ready.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> argv, Expand(options_.ready, ""));
    ASSIGN_OR_RETURN(int code,
                     RunToExit(argv, JoinPath(run_dir_, "nodes/ready.log"), kControlTimeoutMs));
    return code == 0;
  }
  // Every node accepts connections on its address.
  for (const auto& [id, listen] : listen_) {
    if (!network_->Dial(id, listen, Deadline::AfterMillis(500)).ok()) return false;
  }
  return true;
}

Result<std::unique_ptr<Client>> CommandSystem::OpenClient() {
  ASSIGN_OR_RETURN(std::vector<std::string> argv, Expand(options_.client, "client"));
  ASSIGN_OR_RETURN(auto adapter, AdapterProcess::Start("the client adapter", argv,
                                                       JoinPath(run_dir_, "nodes/client/stderr")));
  return std::unique_ptr<Client>(new CommandClient(std::move(adapter), options_.client_timeout_ms));
}

Result<std::unique_ptr<Reader>> CommandSystem::OpenReader(bool /*uncommitted*/) {
  ASSIGN_OR_RETURN(std::vector<std::string> argv, Expand(options_.reader, "reader"));
  ASSIGN_OR_RETURN(auto adapter, AdapterProcess::Start("the reader", argv,
                                                       JoinPath(run_dir_, "nodes/reader/stderr")));
  return std::unique_ptr<Reader>(new CommandReader(std::move(adapter)));
}

bool CommandSystem::Quiescent(const DeliveryProgress& progress) {
  if (options_.quiescence.empty()) return idle_.Observe(progress);
  auto argv = Expand(options_.quiescence, "");
  if (!argv.ok()) return false;
  auto code = RunToExit(*argv, JoinPath(run_dir_, "nodes/quiescence.log"), kControlTimeoutMs);
  return code.ok() && *code == 0;
}

}  // namespace faultline::systems
