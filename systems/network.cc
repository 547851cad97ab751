#include "systems/network.h"

#include <algorithm>

#include "faults/netns.h"
#include "faults/proxy_network.h"

namespace faultline::systems {
namespace {

// Nodes of a netns run each own a namespace, so every node can use the same ports.
constexpr int kNetnsFirstPort = 7400;

Status NetnsUnavailable(const Status& why) {
  return Status::Unavailable("the netns network backend cannot run here: " + why.message() +
                             " (run as root with iproute2, or use \"network\": \"proxy\")");
}

}  // namespace

Result<std::unique_ptr<Network>> Network::Create(const std::string& kind,
                                                 const std::vector<std::string>& nodes) {
  RETURN_IF_ERROR(Supported(kind));
  std::unique_ptr<Network> net(new Network(kind, nodes));
  if (kind != "netns") return net;
  // A family of its own, so that a run's stale-namespace sweep and the netns tests' never
  // mistake each other's namespaces.
  faults::NetnsNetwork::Options options;
  options.family = "flrn";
  ASSIGN_OR_RETURN(net->netns_, faults::NetnsNetwork::Create(nodes, options));
  net->links_ = net->netns_.get();
  return net;
}

Status Network::Supported(const std::string& kind) {
  if (kind == "direct" || kind == "proxy") return Status::Ok();
  if (kind != "netns") {
    return Status::InvalidArgument("unknown network '" + kind +
                                   "' (expected direct, proxy or netns)");
  }
  Status netns = faults::NetnsSupported();
  return netns.ok() ? netns : NetnsUnavailable(netns);
}

Network::Network(std::string kind, std::vector<std::string> nodes)
    : kind_(std::move(kind)), nodes_(std::move(nodes)) {}
Network::~Network() = default;

Result<std::string> Network::ListenAddress(const std::string& node) {
  if (netns_) {
    ASSIGN_OR_RETURN(std::string ip, netns_->AddressOf(node));
    auto [it, fresh] = next_port_.try_emplace(node, kNetnsFirstPort);
    return ip + ":" + std::to_string(it->second++);
  }
  ASSIGN_OR_RETURN(int port, PickFreePort());
  return "127.0.0.1:" + std::to_string(port);
}

Status Network::AddLink(const std::string& from, const std::string& to,
                        const std::string& address) {
  if (proxy_) return Status::Internal("link " + from + "->" + to + " declared after Start()");
  auto [it, fresh] = link_targets_.try_emplace(to, address);
  if (!fresh && it->second != address) {
    return Status::InvalidArgument("links to " + to + " name two addresses: " + it->second +
                                   " and " + address);
  }
  auto link = std::make_pair(from, to);
  if (std::find(declared_links_.begin(), declared_links_.end(), link) == declared_links_.end())
    declared_links_.push_back(link);
  dial_[link] = address;
  return Status::Ok();
}

Status Network::Start() {
  if (kind_ != "proxy" || declared_links_.empty()) return Status::Ok();
  // One proxy per declared link; its `from` dials the proxy instead of the node.
  ASSIGN_OR_RETURN(proxy_, faults::ProxyNetwork::Start(declared_links_, link_targets_));
  links_ = proxy_.get();
  for (const auto& [from, targets] : proxy_->DialMap()) {
    for (const auto& [to, address] : targets) dial_[{from, to}] = address;
  }
  return Status::Ok();
}

std::vector<std::string> Network::endpoints() const {
  std::vector<std::string> all = nodes_;
  for (const auto& [from, to] : declared_links_) {
    if (std::find(all.begin(), all.end(), from) == all.end()) all.push_back(from);
  }
  return all;
}

Result<std::string> Network::DialAddress(const std::string& from, const std::string& to) const {
  auto it = dial_.find({from, to});
  if (it == dial_.end()) return Status::InvalidArgument("no link " + from + "->" + to);
  return it->second;
}

Result<std::vector<std::string>> Network::Command(const std::string& node,
                                                  const std::vector<std::string>& argv) const {
  if (netns_) return netns_->WrapCommand(node, argv);
  return argv;
}

Result<Fd> Network::Dial(const std::string& node, const std::string& address,
                         Deadline deadline) const {
  if (netns_) return netns_->DialFrom(node, address, deadline);
  return ConnectTcp(address, deadline);
}

Status Network::HealAll() { return links_ ? links_->HealAll() : Status::Ok(); }

}  // namespace faultline::systems
