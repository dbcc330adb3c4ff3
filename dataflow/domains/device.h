// Device domain: where a tensor or model lives.
//
//            Top  (device unknown: checkers must not report on it)
//          /  |   |      |
//       cpu  mps  meta  cuda (some index)
//                       /    |     |
//                   cuda:0 cuda:1 ...
//            Bottom (no value reached yet)
//
// Join of two different cuda indices is "cuda, index unknown" (still a GPU: enough for FS305);
// anything else that differs joins to Top. Finite height 4, so Widen = Join.
//
// Users: dataflow/value.h, transfer functions for .to()/.cuda()/device=, checkers via analysis.h.
#ifndef FLOPSCOPE_DATAFLOW_DOMAINS_DEVICE_H_
#define FLOPSCOPE_DATAFLOW_DOMAINS_DEVICE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace flopscope::dataflow {

enum class DeviceKind : uint8_t { kCpu, kCuda, kMps, kMeta };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int32_t index = -1;  // cuda only; -1 = unspecified (current device or several)
  friend bool operator==(const Device& a, const Device& b) {
    return a.kind == b.kind && a.index == b.index;
  }
};

class DeviceDomain {
 public:
  static DeviceDomain Bottom() { return DeviceDomain(State::kBottom, {}); }
  static DeviceDomain Top() { return DeviceDomain(State::kTop, {}); }
  static DeviceDomain Of(Device device) { return DeviceDomain(State::kValue, device); }
  static DeviceDomain Cpu() { return Of({DeviceKind::kCpu, -1}); }
  static DeviceDomain Cuda(int32_t index = -1) { return Of({DeviceKind::kCuda, index}); }

  bool IsBottom() const { return state_ == State::kBottom; }
  bool IsTop() const { return state_ == State::kTop; }
  bool HasValue() const { return state_ == State::kValue; }
  const Device& device() const { return device_; }
  // True only when every possibility is a GPU (cuda with any index).
  bool IsDefinitelyCuda() const { return HasValue() && device_.kind == DeviceKind::kCuda; }
  bool IsDefinitelyCpu() const { return HasValue() && device_.kind == DeviceKind::kCpu; }

  DeviceDomain Join(const DeviceDomain& other) const;
  bool Leq(const DeviceDomain& other) const;
  DeviceDomain Widen(const DeviceDomain& next) const { return Join(next); }
  std::string ToString() const;  // "cpu", "cuda", "cuda:1", "meta", "mps", "unknown", "bottom"
  friend bool operator==(const DeviceDomain& a, const DeviceDomain& b) {
    return a.state_ == b.state_ && (a.state_ != State::kValue || a.device_ == b.device_);
  }

 private:
  enum class State : uint8_t { kBottom, kValue, kTop };
  DeviceDomain(State state, Device device) : state_(state), device_(device) {}
  State state_;
  Device device_;
};

// "cuda", "cuda:1", "cpu", "mps", "meta" (also "gpu"); nullopt for anything else ("auto" is not a
// device: it is a placement strategy and handled where device_map is read).
std::optional<Device> ParseDevice(absl::string_view text);

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DOMAINS_DEVICE_H_
