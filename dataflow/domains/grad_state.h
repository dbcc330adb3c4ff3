// Grad-state domains.
//
// GradMode: whether autograd records operations at a program point (flow-sensitive; set by
// `with torch.no_grad()/inference_mode()/enable_grad()/set_grad_enabled(b)`, by the matching
// decorators, and interprocedurally by the calling context).
//   powerset of {enabled, disabled}: Bottom = {} (point not reached), Top = {enabled, disabled}
//   ("some execution runs it with grad enabled and some without").
//
// Attachment: whether a value holds an autograd graph (produced by a forward pass or a loss
// computed with grad enabled; cut by .detach(), .item(), .tolist(), .numpy(), or made under
// no_grad).
//   powerset of {detached, attached}: Bottom = {}, Top = {detached, attached} = "maybe".
// Checkers report "attached" only on Only(kAttached); Top means they may not rely on it.
// Both are finite (height 3), so Widen = Join.
//
// Users: dataflow/value.h, the transfer functions, checkers (FS201, FS304, FS402) via analysis.h.
#ifndef FLOPSCOPE_DATAFLOW_DOMAINS_GRAD_STATE_H_
#define FLOPSCOPE_DATAFLOW_DOMAINS_GRAD_STATE_H_

#include <string>

#include "dataflow/lattice.h"

namespace flopscope::dataflow {

class GradMode {
 public:
  static constexpr uint32_t kEnabled = 1;
  static constexpr uint32_t kDisabled = 2;
  static GradMode Bottom() { return GradMode(Bits::Bottom()); }
  static GradMode Top() { return GradMode(Bits::Top()); }
  static GradMode Enabled() { return GradMode(Bits::Of(kEnabled)); }
  static GradMode Disabled() { return GradMode(Bits::Of(kDisabled)); }
  // For compact storage (one byte per instruction): bits() round-trips through FromBits().
  static GradMode FromBits(uint32_t bits) { return GradMode(Bits::Of(bits)); }
  uint32_t bits() const { return bits_.bits(); }

  bool IsBottom() const { return bits_.IsBottom(); }
  bool IsTop() const { return bits_.IsTop(); }
  bool MayBeEnabled() const { return bits_.Has(kEnabled); }
  bool MayBeDisabled() const { return bits_.Has(kDisabled); }
  bool DefinitelyEnabled() const { return bits_.Only(kEnabled); }
  bool DefinitelyDisabled() const { return bits_.Only(kDisabled); }

  GradMode Join(const GradMode& o) const { return GradMode(bits_.Join(o.bits_)); }
  bool Leq(const GradMode& o) const { return bits_.Leq(o.bits_); }
  GradMode Widen(const GradMode& o) const { return Join(o); }
  std::string ToString() const;  // "enabled", "disabled (no_grad)", "enabled or disabled"
  friend bool operator==(const GradMode& a, const GradMode& b) { return a.bits_ == b.bits_; }

 private:
  using Bits = BitSetDomain<2>;
  explicit GradMode(Bits bits) : bits_(bits) {}
  Bits bits_;
};

class Attachment {
 public:
  static constexpr uint32_t kDetached = 1;
  static constexpr uint32_t kAttached = 2;
  static Attachment Bottom() { return Attachment(Bits::Bottom()); }
  static Attachment Top() { return Attachment(Bits::Top()); }
  static Attachment Attached() { return Attachment(Bits::Of(kAttached)); }
  static Attachment Detached() { return Attachment(Bits::Of(kDetached)); }
  // What a forward pass or a differentiable op yields under `mode`: attached where grad is
  // enabled, detached where disabled.
  static Attachment UnderMode(const GradMode& mode);

  bool IsBottom() const { return bits_.IsBottom(); }
  bool IsTop() const { return bits_.IsTop(); }
  bool MayBeAttached() const { return bits_.Has(kAttached); }
  bool DefinitelyAttached() const { return bits_.Only(kAttached); }
  bool DefinitelyDetached() const { return bits_.Only(kDetached); }

  Attachment Join(const Attachment& o) const { return Attachment(bits_.Join(o.bits_)); }
  bool Leq(const Attachment& o) const { return bits_.Leq(o.bits_); }
  Attachment Widen(const Attachment& o) const { return Join(o); }
  // Result of a differentiable op on two inputs: attached if either may be attached and the
  // op ran with grad enabled; detached only if both are.
  Attachment Combine(const Attachment& o) const;
  std::string ToString() const;  // "attached", "detached", "maybe attached"
  friend bool operator==(const Attachment& a, const Attachment& b) { return a.bits_ == b.bits_; }

 private:
  using Bits = BitSetDomain<2>;
  explicit Attachment(Bits bits) : bits_(bits) {}
  Bits bits_;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DOMAINS_GRAD_STATE_H_
