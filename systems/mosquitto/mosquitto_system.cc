#include "systems/mosquitto/mosquitto_system.h"

#include <mosquitto.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "base/file.h"
#include "base/json.h"
#include "base/socket.h"
#include "systems/mosquitto/mqtt_client.h"
#include "systems/network.h"

namespace faultline::systems {
namespace {

constexpr int64_t kConnectTimeoutMs = 10'000;

int QosOf(Mode mode) {
  switch (mode) {
    case Mode::kAtMostOnce:
      return 0;
    case Mode::kAtLeastOnce:
      return 1;
    case Mode::kExactlyOnce:
      return 2;
  }
  return 2;
}

// Publishes each record as {"id":N,"key":"k"} and waits, up to the ack timeout, for
// libmosquitto to report it published. mosquitto_publish's "not connected" means "dropped" for
// QoS 0 (fail) but "queued, sent after the reconnect" for QoS 1 and 2, which then wait for
// their acknowledgement like any other.
class MqttPublisher : public Client {
 public:
  MqttPublisher(std::unique_ptr<MqttClient> client, int qos, std::string topic,
                int64_t ack_timeout_ms)
      : client_(std::move(client)),
        qos_(qos),
        topic_(std::move(topic)),
        ack_timeout_ms_(ack_timeout_ms) {
    client_->OnPublish([this](int mid) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        acked_[mid] = MonotonicNanos();
      }
      cv_.notify_all();
    });
  }
  ~MqttPublisher() override { client_.reset(); }  // stops the network thread first

  Result<std::vector<SendOutcome>> Send(std::span<const Record> records) override {
    std::vector<SendOutcome> out(records.size());
    std::vector<int> mids(records.size(), -1);
    {
      // Acknowledgements of earlier batches' unknown sends are not this batch's.
      std::lock_guard<std::mutex> lock(mu_);
      acked_.clear();
    }
    for (size_t i = 0; i < records.size(); ++i) {
      nlohmann::json payload = {{"id", records[i].id}, {"key", records[i].key}};
      int mid = 0;
      int rc = client_->Publish(topic_, payload.dump(), qos_, &mid);
      if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos_ > 0)) {
        mids[i] = mid;
        if (rc == MOSQ_ERR_NO_CONN) out[i].error = "queued while disconnected";
      } else {
        out[i].status = SendStatus::kFail;
        out[i].ack_mono_ns = MonotonicNanos();
        out[i].error = MqttError(rc);
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    auto all_acked = [&] {
      for (int mid : mids) {
        if (mid >= 0 && acked_.count(mid) == 0) return false;
      }
      return true;
    };
    cv_.wait_for(lock, std::chrono::milliseconds(ack_timeout_ms_), all_acked);
    for (size_t i = 0; i < records.size(); ++i) {
      if (mids[i] < 0) continue;
      auto it = acked_.find(mids[i]);
      if (it != acked_.end()) {
        out[i].status = SendStatus::kOk;
        out[i].ack_mono_ns = it->second;
        out[i].error.clear();
      } else {
        out[i].status = SendStatus::kUnknown;
        out[i].ack_mono_ns = MonotonicNanos();
        out[i].error = (out[i].error.empty() ? "" : out[i].error + "; ") +
                       std::string(qos_ == 0   ? "not written"
                                   : qos_ == 1 ? "no PUBACK"
                                               : "no PUBCOMP") +
                       " within " + std::to_string(ack_timeout_ms_) + " ms";
      }
    }
    return out;
  }

 private:
  std::unique_ptr<MqttClient> client_;
  const int qos_;
  const std::string topic_;
  const int64_t ack_timeout_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, int64_t> acked_;  // mid -> when; guarded by mu_
};

// Records every message the subscriber receives. A payload that is not one of ours fails the
// next Poll(): the run cannot be judged on a stream it does not understand.
class MqttSubscriber : public Reader {
 public:
  MqttSubscriber(std::unique_ptr<MqttClient> client, std::string topic)
      : client_(std::move(client)), topic_(std::move(topic)) {}
  ~MqttSubscriber() override { client_.reset(); }

  // Called from the client's thread for each message.
  void Receive(const mosquitto_message& m) {
    std::string_view payload(static_cast<const char*>(m.payload),
                             static_cast<size_t>(std::max(m.payloadlen, 0)));
    auto j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    std::lock_guard<std::mutex> lock(mu_);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_number_unsigned() ||
        !j.contains("key") || !j["key"].is_string()) {
      if (error_.ok()) {
        error_ = Status::Corruption(
            "the subscriber received a message on " + std::string(m.topic ? m.topic : "?") +
            " that is not a record: " + std::string(payload.substr(0, 200)));
      }
      return;
    }
    Delivery d;
    d.id = j["id"].get<uint64_t>();
    d.key = j["key"].get<std::string>();
    d.source = m.topic ? m.topic : "";
    pending_.push_back(std::move(d));
  }

  Status Poll(std::vector<Delivery>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(error_);
    for (Delivery& d : pending_) out->push_back(std::move(d));
    pending_.clear();
    return Status::Ok();
  }

 private:
  std::unique_ptr<MqttClient> client_;
  std::string topic_;
  std::mutex mu_;
  std::vector<Delivery> pending_;  // guarded by mu_
  Status error_;                   // guarded by mu_
};

}  // namespace

Result<MosquittoOptions> ParseMosquittoOptions(const nlohmann::json& params,
                                               const std::string& source) {
  MosquittoOptions o;
  JsonObject j(params, "$.system", source);
  RETURN_IF_ERROR(j.String("binary", &o.binary));
  RETURN_IF_ERROR(j.Bool("persistence", &o.persistence));
  RETURN_IF_ERROR(j.Int("autosave_interval", &o.autosave_interval, {.min = 0}));
  RETURN_IF_ERROR(j.Bool("autosave_on_changes", &o.autosave_on_changes));
  RETURN_IF_ERROR(j.Int("max_queued_messages", &o.max_queued_messages, {.min = 0}));
  RETURN_IF_ERROR(j.Int("max_inflight_messages", &o.max_inflight_messages, {.min = 0}));
  RETURN_IF_ERROR(j.Int("publisher_max_inflight", &o.publisher_max_inflight, {.min = 0}));
  RETURN_IF_ERROR(j.Int("ack_timeout_ms", &o.ack_timeout_ms, {.min = 1, .max = 600'000}));
  RETURN_IF_ERROR(j.Int("quiet_ms", &o.quiet_ms, {.min = 1, .max = 600'000}));
  RETURN_IF_ERROR(j.String("topic", &o.topic));
  if (o.topic.empty() || o.topic.find_first_of("#+") != std::string::npos)
    return j.Error("topic", "expected a topic name without wildcards");
  RETURN_IF_ERROR(j.Finish());
  return o;
}

MosquittoSystem::MosquittoSystem(MosquittoOptions options)
    : options_(std::move(options)), quiescence_(options_.quiet_ms) {}

MosquittoSystem::~MosquittoSystem() = default;

std::string MosquittoSystem::Config(const std::string& listen) const {
  const std::string host = listen.substr(0, listen.rfind(':'));
  const std::string port = listen.substr(listen.rfind(':') + 1);
  std::string c;
  c += "# Written by faultline for one run (docs/systems/mosquitto.md).\n";
  c += "listener " + port + " " + host + "\n";
  c += "allow_anonymous true\n";
  // As root the broker drops to user mosquitto, which cannot write the run's directories.
  if (::geteuid() == 0) c += "user root\n";
  c += std::string("persistence ") + (options_.persistence ? "true" : "false") + "\n";
  c += "persistence_location " + data_dir_ + "/\n";
  c += "autosave_interval " + std::to_string(options_.autosave_interval) + "\n";
  c += std::string("autosave_on_changes ") + (options_.autosave_on_changes ? "true" : "false") +
       "\n";
  c += "max_queued_messages " + std::to_string(options_.max_queued_messages) + "\n";
  c += "max_inflight_messages " + std::to_string(options_.max_inflight_messages) + "\n";
  c += "log_dest stderr\n";
  c += "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  c += "connection_messages true\n";
  return c;
}

Status MosquittoSystem::Setup(const SystemContext& ctx) {
  if (ctx.network->kind() == "netns") {
    return Status::InvalidArgument(
        "the mosquitto system's clients run in the harness, outside any namespace: use "
        "\"cluster\": {\"network\": \"proxy\"} (or \"direct\")");
  }
  const std::string binary = FindProgram(options_.binary);
  if (binary.empty()) {
    return Status::NotFound(options_.binary +
                            " not found: install Debian's package mosquitto "
                            "(scripts/setup-deps.sh does), or set $.system.binary");
  }
  qos_ = QosOf(ctx.mode);
  run_id_ = std::to_string(::getpid()) + "-" + std::to_string(MonotonicNanos() % 1'000'000'007);
  data_dir_ = JoinPath(ctx.run_dir, "data/broker");
  const std::string node_dir = JoinPath(ctx.run_dir, "nodes/broker");
  RETURN_IF_ERROR(CreateDirs(data_dir_));
  RETURN_IF_ERROR(CreateDirs(node_dir));
  ASSIGN_OR_RETURN(listen_, ctx.network->ListenAddress("broker"));
  RETURN_IF_ERROR(ctx.network->AddLink("publisher", "broker", listen_));
  RETURN_IF_ERROR(ctx.network->AddLink("subscriber", "broker", listen_));
  RETURN_IF_ERROR(ctx.network->Start());
  ASSIGN_OR_RETURN(publisher_address_, ctx.network->DialAddress("publisher", "broker"));
  ASSIGN_OR_RETURN(subscriber_address_, ctx.network->DialAddress("subscriber", "broker"));
  const std::string config = JoinPath(node_dir, "mosquitto.conf");
  RETURN_IF_ERROR(WriteFileAtomic(config, Config(listen_)));
  ASSIGN_OR_RETURN(std::vector<std::string> argv,
                   ctx.network->Command("broker", {binary, "-c", config}));
  return nodes_.Add(Nodes()[0], std::move(argv), node_dir);
}

Result<bool> MosquittoSystem::Ready() {
  // The listener is open once the broker runs (it opens it before it logs that it runs).
  return ConnectTcp(listen_, Deadline::AfterMillis(500)).ok();
}

Result<std::unique_ptr<Client>> MosquittoSystem::OpenClient() {
  auto mqtt = std::make_unique<MqttClient>(
      MqttClient::Options{.client_id = "faultline-pub-" + run_id_,
                          .address = publisher_address_,
                          .clean_session = false,
                          .max_inflight = options_.publisher_max_inflight});
  mqtt->OnConnect([this](int rc) { events_.Add("publisher", "client-connected", {{"rc", rc}}); });
  mqtt->OnDisconnect([this](int rc) {
    events_.Add("publisher", "client-disconnected", {{"rc", rc}});
  });
  MqttClient* client = mqtt.get();
  // The publisher sets its callback before the connection exists: none may change after.
  std::unique_ptr<Client> publisher(
      new MqttPublisher(std::move(mqtt), qos_, options_.topic, options_.ack_timeout_ms));
  RETURN_IF_ERROR(client->Connect(Deadline::AfterMillis(kConnectTimeoutMs)));
  return publisher;
}

Result<std::unique_ptr<Reader>> MosquittoSystem::OpenReader(bool /*uncommitted*/) {
  auto mqtt = std::make_unique<MqttClient>(
      MqttClient::Options{.client_id = "faultline-sub-" + run_id_, .address = subscriber_address_});
  MqttClient* client = mqtt.get();
  auto reader = std::make_unique<MqttSubscriber>(std::move(mqtt), options_.topic);
  MqttSubscriber* subscriber = reader.get();
  const std::string topic = options_.topic;
  const int qos = qos_;
  // Subscribed again on every reconnect (not the first connect, which Subscribe() below
  // covers): a broker that lost the session (killed without a fresh save) has lost the
  // subscription with it.
  auto connects = std::make_shared<int>(0);
  client->OnConnect([this, client, topic, qos, connects](int rc) {
    events_.Add("subscriber", "client-connected", {{"rc", rc}});
    if (rc == 0 && ++*connects > 1) (void)client->Subscribe(topic, qos, std::nullopt);
  });
  client->OnDisconnect([this](int rc) {
    events_.Add("subscriber", "client-disconnected", {{"rc", rc}});
  });
  client->OnMessage([subscriber](const mosquitto_message& m) { subscriber->Receive(m); });
  RETURN_IF_ERROR(client->Connect(Deadline::AfterMillis(kConnectTimeoutMs)));
  RETURN_IF_ERROR(client->Subscribe(topic, qos, Deadline::AfterMillis(kConnectTimeoutMs)));
  return std::unique_ptr<Reader>(std::move(reader));
}

bool MosquittoSystem::Quiescent(const DeliveryProgress& progress) {
  return quiescence_.Observe(progress);
}

nlohmann::json MosquittoSystem::MetaFields() const {
  return {{"qos", qos_},
          {"persistence", options_.persistence},
          {"autosave_interval", options_.autosave_interval},
          {"autosave_on_changes", options_.autosave_on_changes},
          {"max_queued_messages", options_.max_queued_messages}};
}

}  // namespace faultline::systems
