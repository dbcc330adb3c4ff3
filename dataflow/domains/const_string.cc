#include "dataflow/domains/const_string.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace flopscope::dataflow {

ConstStrings ConstStrings::Top() {
  ConstStrings s;
  s.values_ = BoundedSet<std::string, kMaxValues>::Top();
  s.overridable_ = true;
  s.partial_ = true;
  return s;
}

ConstStrings ConstStrings::Of(std::string value, bool overridable, bool partial) {
  ConstStrings s;
  s.values_ = BoundedSet<std::string, kMaxValues>::Of(std::move(value));
  s.overridable_ = overridable;
  s.partial_ = partial;
  return s;
}

ConstStrings ConstStrings::WithOverridable(bool overridable) const {
  if (IsTop() || IsBottom()) return *this;
  ConstStrings s = *this;
  s.overridable_ = overridable;
  return s;
}

ConstStrings ConstStrings::Join(const ConstStrings& o) const {
  ConstStrings s;
  s.values_ = values_.Join(o.values_);
  if (s.values_.IsTop()) return Top();
  s.overridable_ = overridable_ || o.overridable_;
  s.partial_ = partial_ || o.partial_;
  return s;
}

bool ConstStrings::Leq(const ConstStrings& o) const {
  if (o.IsTop()) return true;
  return values_.Leq(o.values_) && (!overridable_ || o.overridable_) &&
         (!partial_ || o.partial_);
}

std::string ConstStrings::ToString() const {
  if (IsTop()) return "unknown";
  if (IsBottom()) return "bottom";
  std::string out = values_.IsSingleton() ? ElementToString(values_.elements()[0])
                                          : values_.ToString();
  if (partial_) absl::StrAppend(&out, " (partly unknown)");
  if (overridable_) absl::StrAppend(&out, " (overridable default)");
  return out;
}

ConstStrings ConstStrings::Concat(const ConstStrings& o) const {
  if (IsBottom() || o.IsBottom()) return Bottom();
  if (IsTop() || o.IsTop()) return Top();
  if (values().size() * o.values().size() > kMaxValues) return Top();
  ConstStrings out;
  for (const std::string& a : values()) {
    for (const std::string& b : o.values()) out = out.Join(Of(absl::StrCat(a, b)));
  }
  out.overridable_ = overridable_ || o.overridable_;
  out.partial_ = partial_ || o.partial_;
  return out;
}

}  // namespace flopscope::dataflow
