#include "dataflow/domains/grad_state.h"

namespace flopscope::dataflow {

std::string GradMode::ToString() const {
  if (IsBottom()) return "unreached";
  if (IsTop()) return "enabled or disabled";
  return MayBeEnabled() ? "enabled" : "disabled";
}

Attachment Attachment::UnderMode(const GradMode& mode) {
  Attachment out = Bottom();
  if (mode.MayBeEnabled()) out = out.Join(Attached());
  if (mode.MayBeDisabled()) out = out.Join(Detached());
  return out;
}

Attachment Attachment::Combine(const Attachment& o) const {
  if (IsBottom()) return o;
  if (o.IsBottom()) return *this;
  if (DefinitelyAttached() || o.DefinitelyAttached()) return Attached();
  if (DefinitelyDetached() && o.DefinitelyDetached()) return Detached();
  return Top();
}

std::string Attachment::ToString() const {
  if (IsBottom()) return "bottom";
  if (IsTop()) return "maybe attached";
  return DefinitelyAttached() ? "attached" : "detached";
}

}  // namespace flopscope::dataflow
