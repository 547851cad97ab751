#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

struct mosquitto;
struct mosquitto_message;

namespace faultline::systems {

// MqttClient is one libmosquitto client (MQTT 3.1.1) with its own network thread
// (mosquitto_loop_start): Connect() blocks until the broker's CONNACK, after which the thread
// reconnects by itself, once a second, whenever the connection is lost. Callbacks run on that
// thread; they must be set before Connect() and must not block for long (a slow callback
// stalls the client's acknowledgements and keepalives). Publish() may be called from any
// thread. libmosquitto's facts this relies on are in docs/systems/mosquitto.md.
class MqttClient {
 public:
  struct Options {
    std::string client_id;
    std::string address;         // host:port of the broker (or of the proxy in front of it)
    bool clean_session = false;  // false: the broker keeps the session while we are away
    int keepalive_s = 5;         // libmosquitto accepts 0 or >= 5
    int max_inflight = 20;       // unacknowledged QoS 1/2 messages; more wait in the client
  };

  explicit MqttClient(Options options);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  void OnConnect(std::function<void(int rc)> f) { on_connect_ = std::move(f); }
  void OnDisconnect(std::function<void(int rc)> f) { on_disconnect_ = std::move(f); }
  void OnPublish(std::function<void(int mid)> f) { on_publish_ = std::move(f); }
  void OnMessage(std::function<void(const mosquitto_message&)> f) { on_message_ = std::move(f); }

  // Connects and starts the network thread; Ok once the broker accepted the connection.
  Status Connect(Deadline deadline);
  // mosquitto_publish's return code (MOSQ_ERR_*); `*mid` is set even when the client is not
  // connected (a QoS 1/2 message is then queued and sent after the reconnect).
  int Publish(std::string_view topic, std::string_view payload, int qos, int* mid);
  // Subscribes; with a deadline, waits for the SUBACK. Without one it may be called from a
  // callback (on every reconnect).
  Status Subscribe(const std::string& topic, int qos, std::optional<Deadline> deadline);
  bool connected() const { return connected_.load(); }
  const Options& options() const { return options_; }

 private:
  static void ConnectCallback(mosquitto*, void* self, int rc);
  static void DisconnectCallback(mosquitto*, void* self, int rc);
  static void PublishCallback(mosquitto*, void* self, int mid);
  static void MessageCallback(mosquitto*, void* self, const mosquitto_message* m);
  static void SubscribeCallback(mosquitto*, void* self, int mid, int count, const int* qos);

  Options options_;
  mosquitto* mosq_ = nullptr;
  bool loop_started_ = false;
  std::atomic<bool> connected_{false};
  std::function<void(int)> on_connect_, on_disconnect_, on_publish_;
  std::function<void(const mosquitto_message&)> on_message_;
  std::mutex mu_;
  std::condition_variable cv_;
  int connack_ = -1;           // guarded by mu_
  std::set<int> suback_mids_;  // guarded by mu_
};

// "mosquitto: <what>" for a MOSQ_ERR_* code.
std::string MqttError(int rc);

}  // namespace faultline::systems
