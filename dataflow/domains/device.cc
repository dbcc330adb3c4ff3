#include "dataflow/domains/device.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace flopscope::dataflow {

DeviceDomain DeviceDomain::Join(const DeviceDomain& other) const {
  if (IsBottom() || other.IsTop()) return other;
  if (other.IsBottom() || IsTop()) return *this;
  if (device_ == other.device_) return *this;
  if (device_.kind == DeviceKind::kCuda && other.device_.kind == DeviceKind::kCuda) return Cuda();
  return Top();
}

bool DeviceDomain::Leq(const DeviceDomain& other) const {
  if (IsBottom() || other.IsTop()) return true;
  if (IsTop() || other.IsBottom()) return false;
  if (device_ == other.device_) return true;
  return device_.kind == DeviceKind::kCuda && other.device_.kind == DeviceKind::kCuda &&
         other.device_.index < 0;
}

std::string DeviceDomain::ToString() const {
  if (IsBottom()) return "bottom";
  if (IsTop()) return "unknown";
  switch (device_.kind) {
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kMps:
      return "mps";
    case DeviceKind::kMeta:
      return "meta";
    case DeviceKind::kCuda:
      return device_.index < 0 ? "cuda" : absl::StrCat("cuda:", device_.index);
  }
  return "unknown";
}

std::optional<Device> ParseDevice(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::string_view rest = lower;
  if (rest == "cpu") return Device{DeviceKind::kCpu, -1};
  if (rest == "mps") return Device{DeviceKind::kMps, -1};
  if (rest == "meta") return Device{DeviceKind::kMeta, -1};
  if (absl::ConsumePrefix(&rest, "cuda") || absl::ConsumePrefix(&rest, "gpu")) {
    if (rest.empty()) return Device{DeviceKind::kCuda, -1};
    int32_t index = 0;
    if (absl::ConsumePrefix(&rest, ":") && absl::SimpleAtoi(rest, &index) && index >= 0) {
      return Device{DeviceKind::kCuda, index};
    }
  }
  return std::nullopt;
}

}  // namespace flopscope::dataflow
