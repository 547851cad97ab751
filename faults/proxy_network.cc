#include "faults/proxy_network.h"

#include <set>

namespace faultline::faults {

Result<std::unique_ptr<ProxyNetwork>> ProxyNetwork::Start(
    const Links& links, const std::map<std::string, std::string>& listen_addresses) {
  std::unique_ptr<ProxyNetwork> net(new ProxyNetwork(links));
  for (const auto& [from, to] : links) {
    if (from == to) return Status::InvalidArgument("proxy network: link " + from + "->" + to);
    auto it = listen_addresses.find(to);
    if (it == listen_addresses.end()) {
      return Status::InvalidArgument("proxy network: no listen address for node '" + to + "'");
    }
    auto& slot = net->proxies_[{from, to}];
    if (slot != nullptr) {
      return Status::InvalidArgument("proxy network: link " + from + "->" + to + " given twice");
    }
    ASSIGN_OR_RETURN(slot, LinkProxy::Start(from + "->" + to, it->second));
  }
  return net;
}

ProxyNetwork::~ProxyNetwork() = default;

std::map<std::string, std::map<std::string, std::string>> ProxyNetwork::DialMap() const {
  std::map<std::string, std::map<std::string, std::string>> dial;
  for (const auto& [link, proxy] : proxies_) dial[link.first][link.second] = proxy->address();
  return dial;
}

LinkProxy* ProxyNetwork::proxy(const std::string& from, const std::string& to) const {
  auto it = proxies_.find({from, to});
  return it == proxies_.end() ? nullptr : it->second.get();
}

Result<int> ProxyNetwork::Begin(const LinkFault& fault, Rng rng) {
  LinkFault resolved = fault;
  if (resolved.all_nodes.empty()) {
    std::set<std::string> nodes;
    for (const auto& [from, to] : links_) nodes.insert({from, to});
    resolved.all_nodes.assign(nodes.begin(), nodes.end());
  }
  ASSIGN_OR_RETURN(std::vector<LinkAction> actions, PlanLinkFault(resolved, links_, rng));
  std::lock_guard<std::mutex> lock(mu_);
  int handle = next_handle_++;
  auto& touched = handles_[handle];
  for (const LinkAction& a : actions) {
    if (a.kind == LinkAction::Kind::kReset) {
      proxies_.at({a.from, a.to})->ResetConnections();
      continue;
    }
    LayerKey key{a.from, a.to, a.dir, a.kind};
    layers_[key][handle] = a;
    touched.push_back(key);
    Apply(key, /*ended=*/false);
  }
  return handle;
}

Status ProxyNetwork::End(int handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) {
    return Status::NotFound("proxy network: no active fault with handle " + std::to_string(handle));
  }
  for (const LayerKey& key : it->second) {
    auto layer = layers_.find(key);
    if (layer == layers_.end()) continue;
    layer->second.erase(handle);
    Apply(key, /*ended=*/true);
    if (layer->second.empty()) layers_.erase(layer);
  }
  handles_.erase(it);
  return Status::Ok();
}

void ProxyNetwork::Apply(const LayerKey& key, bool ended) {
  const auto& [from, to, dir, kind] = key;
  LinkProxy* p = proxies_.at({from, to}).get();
  const std::map<int, LinkAction>& active = layers_[key];
  const LinkAction* top = active.empty() ? nullptr : &active.rbegin()->second;
  switch (kind) {
    case LinkAction::Kind::kPartition:
      p->SetPartitioned(dir, top != nullptr);
      break;
    case LinkAction::Kind::kDelay:
      if (top == nullptr) {
        p->SetDelay(dir, 0, 0, Rng(0));
      } else {
        p->SetDelay(dir, top->delay_ms, top->jitter_ms, Rng(top->seed));
      }
      break;
    case LinkAction::Kind::kBandwidth:
      p->SetBandwidth(dir, top == nullptr ? 0 : top->bytes_per_s);
      break;
    case LinkAction::Kind::kBarrierHold:
      if (top == nullptr) {
        p->SetBarrierHold(dir, 0, 0, 0);
      } else {
        p->SetBarrierHold(dir, top->hold_ms, top->every_k, top->from_id);
      }
      break;
    case LinkAction::Kind::kCorrupt:
      if (top == nullptr) {
        p->SetCorruption(dir, 0);
      } else if (!ended) {
        p->SetCorruption(dir, top->frames, Rng(top->seed));
      }
      break;
    case LinkAction::Kind::kReset:
      break;
  }
}

Status ProxyNetwork::CheckKind(std::string_view kind) const {
  if (IsLinkFaultKind(kind)) return Status::Ok();
  return Status::InvalidArgument("the proxy backend has no link fault '" + std::string(kind) + "'");
}

Status ProxyNetwork::HealAll() {
  std::lock_guard<std::mutex> lock(mu_);
  handles_.clear();
  layers_.clear();
  for (auto& [link, proxy] : proxies_) proxy->HealAll();
  return Status::Ok();
}

}  // namespace faultline::faults
