#include "dataflow/value.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flopscope::dataflow {
namespace {

template <typename D>
ProvId FirstProv(const D& a, ProvId pa, const D& b, ProvId pb) {
  if (!a.IsBottom() && pa != kNoProv) return pa;
  return pb != kNoProv ? pb : pa;
}

}  // namespace

std::string KindSetToString(const KindSet& kinds) {
  if (kinds.IsTop()) return "unknown";
  if (kinds.IsBottom()) return "bottom";
  static constexpr const char* kNames[kNumValueKinds] = {
      "None",   "model",  "tensor",   "loss",     "optimizer",    "hook handle",
      "string", "number", "dict",     "list",     "module",       "function",
      "grad context", "device", "dtype", "tokenizer", "argparse", "object"};
  std::vector<std::string> parts;
  for (size_t i = 0; i < kNumValueKinds; ++i) {
    if (kinds.Has(1u << i)) parts.push_back(kNames[i]);
  }
  return absl::StrJoin(parts, "|");
}

AbstractValue AbstractValue::Top() {
  AbstractValue v;
  v.kinds = KindSet::Top();
  v.strings = ConstStrings::Top();
  v.sites = SiteSet::Top();
  v.device = DeviceDomain::Top();
  v.dtype = DTypeDomain::Top();
  v.grad = Attachment::Top();
  v.ctx_mode = GradMode::Top();
  return v;
}

AbstractValue AbstractValue::OfKind(uint32_t kind) {
  AbstractValue v = Top();
  v.kinds = KindSet::Of(kind);
  return v;
}

bool AbstractValue::IsBottom() const {
  return kinds.IsBottom() && strings.IsBottom() && sites.IsBottom() && device.IsBottom() &&
         dtype.IsBottom() && grad.IsBottom() && ctx_mode.IsBottom();
}

bool AbstractValue::IsTop() const {
  return kinds.IsTop() && strings.IsTop() && sites.IsTop() && device.IsTop() && dtype.IsTop() &&
         grad.IsTop() && ctx_mode.IsTop();
}

AbstractValue AbstractValue::Join(const AbstractValue& o) const {
  AbstractValue r;
  r.kinds = kinds.Join(o.kinds);
  r.strings = strings.Join(o.strings);
  r.sites = sites.Join(o.sites);
  r.device = device.Join(o.device);
  r.dtype = dtype.Join(o.dtype);
  r.grad = grad.Join(o.grad);
  r.ctx_mode = ctx_mode.Join(o.ctx_mode);
  r.kinds_prov = FirstProv(kinds, kinds_prov, o.kinds, o.kinds_prov);
  r.strings_prov = FirstProv(strings, strings_prov, o.strings, o.strings_prov);
  r.sites_prov = FirstProv(sites, sites_prov, o.sites, o.sites_prov);
  r.device_prov = FirstProv(device, device_prov, o.device, o.device_prov);
  r.dtype_prov = FirstProv(dtype, dtype_prov, o.dtype, o.dtype_prov);
  r.grad_prov = FirstProv(grad, grad_prov, o.grad, o.grad_prov);
  return r;
}

bool AbstractValue::Leq(const AbstractValue& o) const {
  return kinds.Leq(o.kinds) && strings.Leq(o.strings) && sites.Leq(o.sites) &&
         device.Leq(o.device) && dtype.Leq(o.dtype) && grad.Leq(o.grad) &&
         ctx_mode.Leq(o.ctx_mode);
}

AbstractValue AbstractValue::Widen(const AbstractValue& next) const {
  AbstractValue r = Join(next);
  // Accelerate: a component that is still changing jumps to Top.
  if (!(r.strings == strings)) r.strings = ConstStrings::Top();
  if (!(r.sites == sites)) r.sites = SiteSet::Top();
  return r;
}

std::string AbstractValue::ToString() const {
  if (IsBottom()) return "bottom";
  if (IsTop()) return "unknown";
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat("kind=", KindSetToString(kinds)));
  if (!strings.IsTop() && !strings.IsBottom()) {
    parts.push_back(absl::StrCat("value=", strings.ToString()));
  }
  if (!sites.IsTop() && !sites.IsBottom()) parts.push_back(absl::StrCat("sites=", sites.ToString()));
  if (!device.IsTop() && !device.IsBottom()) {
    parts.push_back(absl::StrCat("device=", device.ToString()));
  }
  if (!dtype.IsTop() && !dtype.IsBottom()) parts.push_back(absl::StrCat("dtype=", dtype.ToString()));
  if (!grad.IsTop() && !grad.IsBottom()) parts.push_back(absl::StrCat("grad=", grad.ToString()));
  if (!ctx_mode.IsTop() && !ctx_mode.IsBottom()) {
    parts.push_back(absl::StrCat("sets grad ", ctx_mode.ToString()));
  }
  return absl::StrJoin(parts, " ");
}

void AbstractValue::SetAllProv(ProvId prov) {
  kinds_prov = strings_prov = sites_prov = device_prov = dtype_prov = grad_prov = prov;
}

}  // namespace flopscope::dataflow
