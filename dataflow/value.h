// The abstract value of one SSA value: a product of the ML domains, plus one provenance chain per
// fact. This is what a checker gets back when it asks "what is this operand?".
//
//   kinds     BitSetDomain over ValueKind: what sort of object it may be (Top = unknown)
//   strings   ConstStrings: constant string contents (checkpoint names, device strings)
//   sites     SiteSet: model identity / allocation sites (Top = unknown identity)
//   device    DeviceDomain
//   dtype     DTypeDomain
//   grad      Attachment: holds an autograd graph?
//   ctx_mode  GradMode a context-manager value sets when entered (torch.no_grad() -> disabled)
//
// Bottom = every component Bottom (the value was not reached); Top = every component Top.
// Join/Leq/Widen are componentwise; provenance is ignored by ==, Leq and the order, and a join
// keeps the chain of the first operand whose component is not Bottom (first-arrival wins).
//
// Users: dataflow/interproc.cc and transfer*.cc (produce), dataflow/analysis.h (serve).
#ifndef FLOPSCOPE_DATAFLOW_VALUE_H_
#define FLOPSCOPE_DATAFLOW_VALUE_H_

#include <cstdint>
#include <string>

#include "dataflow/domains/const_string.h"
#include "dataflow/domains/device.h"
#include "dataflow/domains/dtype.h"
#include "dataflow/domains/grad_state.h"
#include "dataflow/domains/model_identity.h"
#include "dataflow/lattice.h"
#include "dataflow/provenance.h"

namespace flopscope::dataflow {

// One bit per kind of object a value may be.
enum ValueKind : uint32_t {
  kKindNone = 1u << 0,       // Python None
  kKindModel = 1u << 1,      // an nn.Module / HF model (or a submodule of one)
  kKindTensor = 1u << 2,     // a tensor or a model output holding tensors
  kKindLoss = 1u << 3,       // a tensor known to be a loss (also has kKindTensor)
  kKindOptimizer = 1u << 4,  // torch.optim.*
  kKindHookHandle = 1u << 5, // a RemovableHandle from register_*hook
  kKindString = 1u << 6,
  kKindNumber = 1u << 7,     // int/float/bool, .item() results
  kKindDict = 1u << 8,
  kKindList = 1u << 9,       // list, tuple or set
  kKindModule = 1u << 10,    // a Python module
  kKindFunction = 1u << 11,  // a function, method or class object
  kKindGradContext = 1u << 12,  // torch.no_grad() and friends
  kKindDeviceObj = 1u << 13,    // torch.device(...)
  kKindDTypeObj = 1u << 14,     // torch.float16 ...
  kKindTokenizer = 1u << 15,
  kKindArgParser = 1u << 16,    // argparse parser / namespace of parsed options
  kKindObject = 1u << 17,       // an instance of another class (config objects, dataclasses)
};
inline constexpr size_t kNumValueKinds = 18;
using KindSet = BitSetDomain<kNumValueKinds>;
std::string KindSetToString(const KindSet& kinds);  // "model|tensor", "unknown"

struct AbstractValue {
  KindSet kinds = KindSet::Bottom();
  ConstStrings strings = ConstStrings::Bottom();
  SiteSet sites = SiteSet::Bottom();
  DeviceDomain device = DeviceDomain::Bottom();
  DTypeDomain dtype = DTypeDomain::Bottom();
  Attachment grad = Attachment::Bottom();
  GradMode ctx_mode = GradMode::Bottom();

  // Provenance of each fact (outside the order).
  ProvId kinds_prov = kNoProv;
  ProvId strings_prov = kNoProv;
  ProvId sites_prov = kNoProv;
  ProvId device_prov = kNoProv;
  ProvId dtype_prov = kNoProv;
  ProvId grad_prov = kNoProv;

  static AbstractValue Bottom() { return AbstractValue(); }
  static AbstractValue Top();
  // Top in every component except kinds = {kind} (e.g. "a tensor, nothing else known").
  static AbstractValue OfKind(uint32_t kind);

  bool IsBottom() const;
  bool IsTop() const;
  AbstractValue Join(const AbstractValue& other) const;
  bool Leq(const AbstractValue& other) const;
  // Componentwise Widen; components that still grow after the solver's threshold go to Top.
  AbstractValue Widen(const AbstractValue& next) const;
  std::string ToString() const;
  friend bool operator==(const AbstractValue& a, const AbstractValue& b) {
    return a.kinds == b.kinds && a.strings == b.strings && a.sites == b.sites &&
           a.device == b.device && a.dtype == b.dtype && a.grad == b.grad &&
           a.ctx_mode == b.ctx_mode;
  }

  // Every provenance chain set to `prov` (for values created at one place).
  void SetAllProv(ProvId prov);
  bool MayBe(uint32_t kind) const { return kinds.Has(kind); }
  // May be this kind and nothing else known to contradict it (kinds not Top, non-empty).
  bool IsKnownKind(uint32_t kind) const { return !kinds.IsTop() && kinds.Has(kind); }
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_VALUE_H_
