#include "harness/cluster_network.h"

#include "faults/netns.h"
#include "faults/proxy_network.h"
#include "runtime/control.h"
#include "runtime/net.h"

namespace faultline::harness {
namespace {

// Nodes of a netns run each own a namespace, so every node can use the same port.
constexpr int kNetnsPort = 7400;

}  // namespace

Result<std::unique_ptr<ClusterNetwork>> ClusterNetwork::Create(
    const std::string& kind, const std::vector<std::string>& nodes) {
  std::unique_ptr<ClusterNetwork> net(new ClusterNetwork(kind));
  if (kind == "direct" || kind == "proxy") return net;
  if (kind != "netns") return Status::InvalidArgument("unknown network '" + kind + "'");
  Status supported = faults::NetnsSupported();
  if (!supported.ok()) {
    return Status::Unavailable("the netns network backend cannot run here: " + supported.message() +
                               " (run as root with iproute2, or use \"network\": \"proxy\")");
  }
  // A family of its own, so that a run's stale-namespace sweep and the netns tests' never
  // mistake each other's namespaces.
  faults::NetnsNetwork::Options options;
  options.family = "flrn";
  ASSIGN_OR_RETURN(net->netns_, faults::NetnsNetwork::Create(nodes, options));
  net->links_ = net->netns_.get();
  return net;
}

Status ClusterNetwork::Supported(const std::string& kind) {
  if (kind == "direct" || kind == "proxy") return Status::Ok();
  if (kind != "netns") return Status::InvalidArgument("unknown network '" + kind + "'");
  Status netns = faults::NetnsSupported();
  if (netns.ok()) return netns;
  return Status::Unavailable("the netns network backend cannot run here: " + netns.message() +
                             " (run as root with iproute2, or use \"network\": \"proxy\")");
}

ClusterNetwork::ClusterNetwork(std::string kind) : kind_(std::move(kind)) {}
ClusterNetwork::~ClusterNetwork() = default;

Result<std::string> ClusterNetwork::ListenAddress(const std::string& node) const {
  if (netns_) {
    ASSIGN_OR_RETURN(std::string ip, netns_->AddressOf(node));
    return ip + ":" + std::to_string(kNetnsPort);
  }
  ASSIGN_OR_RETURN(int port, runtime::PickFreePort());
  return "127.0.0.1:" + std::to_string(port);
}

Status ClusterNetwork::Attach(runtime::ClusterConfig* config) {
  listen_["coordinator"] = config->coordinator.listen;
  for (const auto& w : config->workers) listen_[w.id] = w.listen;
  if (kind_ != "proxy") return Status::Ok();
  // One proxy per link the runtime uses: worker -> coordinator (control) and worker -> worker
  // (data); the runtime dials the proxies instead of each other.
  faults::ProxyNetwork::Links links;
  for (const auto& w : config->workers) {
    links.emplace_back(w.id, "coordinator");
    for (const auto& other : config->workers) {
      if (other.id != w.id) links.emplace_back(w.id, other.id);
    }
  }
  ASSIGN_OR_RETURN(proxy_, faults::ProxyNetwork::Start(links, listen_));
  links_ = proxy_.get();
  config->dial = proxy_->DialMap();
  return Status::Ok();
}

Result<std::vector<std::string>> ClusterNetwork::Command(
    const std::string& node, const std::vector<std::string>& argv) const {
  if (netns_) return netns_->WrapCommand(node, argv);
  return argv;
}

Result<nlohmann::json> ClusterNetwork::Admin(const std::string& node, const nlohmann::json& request,
                                             int64_t timeout_ms) const {
  auto it = listen_.find(node);
  if (it == listen_.end()) return Status::InvalidArgument("no node '" + node + "'");
  auto call = [&]() -> Result<nlohmann::json> {
    if (!netns_) return runtime::AdminCall(it->second, request, timeout_ms);
    Deadline deadline = Deadline::AfterMillis(timeout_ms);
    ASSIGN_OR_RETURN(Fd fd, netns_->DialFrom(node, it->second, deadline));
    return runtime::AdminCallOn(std::move(fd), it->second, request, deadline);
  };
  ASSIGN_OR_RETURN(nlohmann::json reply, call());
  if (reply.contains("ok") && !reply.value("ok", false))
    return Status::Internal(node + ": " + reply.value("error", "admin request failed"));
  return reply;
}

Status ClusterNetwork::HealAll() { return links_ ? links_->HealAll() : Status::Ok(); }

}  // namespace faultline::harness
