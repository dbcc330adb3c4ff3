// Constant-string domain: the possible values of a string (checkpoint names, device strings,
// dtype names), as propagated across modules through config constants, default arguments,
// f-strings, dict lookups with constant keys, os.environ.get defaults and CLI/config defaults.
//
//   values:      BoundedSet<string, 8> ({} = Bottom; more than 8 possibilities = Top)
//   overridable: the value is a default that a command-line flag, an environment variable or a
//                config object may replace at run time (argparse default=, choices=, dataclass
//                field defaults, os.environ.get(k, default)); join = or.
//   partial:     some part of the string is unknown (an f-string with an unknown hole, shown as
//                "{?}"); join = or. Two partial strings are never known to be equal.
// Top = values Top (the flags are then set too, so Top is the unique greatest element).
// Checkers must treat Top as "unknown checkpoint"; an overridable value is a default, not a fact.
// Finite height, Widen = Join.
//
// Users: dataflow/value.h and the transfer functions; checkers via ModelLoad::checkpoint.
#ifndef FLOPSCOPE_DATAFLOW_DOMAINS_CONST_STRING_H_
#define FLOPSCOPE_DATAFLOW_DOMAINS_CONST_STRING_H_

#include <string>
#include <vector>

#include "dataflow/lattice.h"

namespace flopscope::dataflow {

class ConstStrings {
 public:
  static constexpr size_t kMaxValues = 8;
  static ConstStrings Bottom() { return ConstStrings(); }
  static ConstStrings Top();
  static ConstStrings Of(std::string value, bool overridable = false, bool partial = false);

  bool IsBottom() const { return values_.IsBottom() && !overridable_ && !partial_; }
  bool IsTop() const { return values_.IsTop(); }
  // Exactly one possible, fully known value (may still be overridable).
  bool IsSingleton() const { return values_.IsSingleton() && !partial_; }
  const std::vector<std::string>& values() const { return values_.elements(); }
  bool overridable() const { return overridable_; }
  bool partial() const { return partial_; }
  ConstStrings WithOverridable(bool overridable) const;

  ConstStrings Join(const ConstStrings& o) const;
  bool Leq(const ConstStrings& o) const;
  ConstStrings Widen(const ConstStrings& o) const { return Join(o); }
  std::string ToString() const;  // "\"gpt2\"", "{\"a\", \"b\"} (overridable default)", "unknown"
  friend bool operator==(const ConstStrings& a, const ConstStrings& b) {
    return a.values_ == b.values_ && a.overridable_ == b.overridable_ && a.partial_ == b.partial_;
  }

  // Pairwise concatenation (for `a + b` and f-strings); Top when the product exceeds the bound.
  ConstStrings Concat(const ConstStrings& o) const;

 private:
  BoundedSet<std::string, kMaxValues> values_;
  bool overridable_ = false;
  bool partial_ = false;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DOMAINS_CONST_STRING_H_
