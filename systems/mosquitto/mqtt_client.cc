#include "systems/mosquitto/mqtt_client.h"

#include <mosquitto.h>

#include <mutex>

#include "base/socket.h"

namespace faultline::systems {
namespace {

// libmosquitto's global state, set up once before the first client (mosquitto_lib_init is
// not thread-safe) and kept for the life of the process.
void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

std::string MqttError(int rc) { return std::string("mosquitto: ") + mosquitto_strerror(rc); }

MqttClient::MqttClient(Options options) : options_(std::move(options)) {
  InitLibrary();
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (mosq_ == nullptr) return;
  mosquitto_connect_callback_set(mosq_, ConnectCallback);
  mosquitto_disconnect_callback_set(mosq_, DisconnectCallback);
  mosquitto_publish_callback_set(mosq_, PublishCallback);
  mosquitto_message_callback_set(mosq_, MessageCallback);
  mosquitto_subscribe_callback_set(mosq_, SubscribeCallback);
  mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, options_.max_inflight);
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
}

MqttClient::~MqttClient() {
  if (mosq_ == nullptr) return;
  if (loop_started_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, /*force=*/true);
  }
  mosquitto_destroy(mosq_);
}

Status MqttClient::Connect(Deadline deadline) {
  if (mosq_ == nullptr) return Status::Internal("mosquitto_new failed for " + options_.client_id);
  ASSIGN_OR_RETURN(sockaddr_in sa, ParseAddress(options_.address));
  const std::string formatted = FormatAddress(sa);
  const std::string host = formatted.substr(0, formatted.rfind(':'));
  // A blocking connect: a failed mosquitto_connect_async leaves the network thread waiting
  // for good, a failed blocking one is retried by it.
  int rc = mosquitto_connect(mosq_, host.c_str(), ntohs(sa.sin_port), options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
    return Status::Unavailable(options_.client_id + ": connect to " + options_.address + ": " +
                               MqttError(rc));
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) return Status::Internal("mosquitto_loop_start: " + MqttError(rc));
  loop_started_ = true;
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::nanoseconds(deadline.RemainingNanos()),
                    [&] { return connack_ == 0; })) {
    return Status::Timeout(
        options_.client_id + ": no CONNACK from " + options_.address +
        (connack_ > 0 ? std::string(": ") + mosquitto_connack_string(connack_) : std::string()));
  }
  return Status::Ok();
}

int MqttClient::Publish(std::string_view topic, std::string_view payload, int qos, int* mid) {
  return mosquitto_publish(mosq_, mid, std::string(topic).c_str(), static_cast<int>(payload.size()),
                           payload.data(), qos, /*retain=*/false);
}

Status MqttClient::Subscribe(const std::string& topic, int qos, std::optional<Deadline> deadline) {
  int mid = 0;
  int rc = mosquitto_subscribe(mosq_, &mid, topic.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS)
    return Status::Unavailable("subscribe " + topic + ": " + MqttError(rc));
  if (!deadline) return Status::Ok();
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::nanoseconds(deadline->RemainingNanos()),
                    [&] { return suback_mids_.count(mid) != 0; })) {
    return Status::Timeout(options_.client_id + ": no SUBACK for " + topic);
  }
  return Status::Ok();
}

void MqttClient::ConnectCallback(mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  c->connected_ = rc == 0;
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    c->connack_ = rc;
  }
  c->cv_.notify_all();
  if (c->on_connect_) c->on_connect_(rc);
}

void MqttClient::DisconnectCallback(mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  c->connected_ = false;
  if (c->on_disconnect_) c->on_disconnect_(rc);
}

void MqttClient::PublishCallback(mosquitto*, void* self, int mid) {
  auto* c = static_cast<MqttClient*>(self);
  if (c->on_publish_) c->on_publish_(mid);
}

void MqttClient::MessageCallback(mosquitto*, void* self, const mosquitto_message* m) {
  auto* c = static_cast<MqttClient*>(self);
  if (c->on_message_ && m != nullptr) c->on_message_(*m);
}

void MqttClient::SubscribeCallback(mosquitto*, void* self, int mid, int, const int*) {
  auto* c = static_cast<MqttClient*>(self);
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    c->suback_mids_.insert(mid);
  }
  c->cv_.notify_all();
}

}  // namespace faultline::systems
