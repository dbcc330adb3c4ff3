// The abstract-domain interface every dataflow fact implements, and the small combinators the
// ML domains are built from (Infer's AbstractDomain idea: a tiny interface, domains assembled from
// Flat, finite sets, bit sets and products).
//
// Order conventions for every domain:
//   Bottom  = "no information yet / unreachable"; the identity of Join.
//   Top     = "anything": imprecision, never an error. Checkers must not report on Top.
//   Join    = least upper bound; Leq(a, b) iff Join(a, b) == b.
//   Widen   = an upper bound of Join whose ascending chains stabilise (here: all combinators have
//             finite height, so Widen jumps to Top for the parts still changing to make loops
//             converge fast, not to make them converge at all).
//
// Users: dataflow/domains/*, dataflow/value.h, the solvers.
#ifndef FLOPSCOPE_DATAFLOW_LATTICE_H_
#define FLOPSCOPE_DATAFLOW_LATTICE_H_

#include <algorithm>
#include <bitset>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace flopscope::dataflow {

template <typename D>
concept AbstractDomain = std::equality_comparable<D> && requires(const D& a, const D& b) {
  { D::Bottom() } -> std::same_as<D>;
  { D::Top() } -> std::same_as<D>;
  { a.IsBottom() } -> std::same_as<bool>;
  { a.IsTop() } -> std::same_as<bool>;
  { a.Join(b) } -> std::same_as<D>;
  { a.Leq(b) } -> std::same_as<bool>;
  { a.Widen(b) } -> std::same_as<D>;
  { a.ToString() } -> std::convertible_to<std::string>;
};

// How a combinator prints its elements: overloads found by ordinary lookup or ADL (an enum
// declared in flopscope::dataflow provides `std::string ElementToString(MyEnum)` next to it).
inline std::string ElementToString(const std::string& s) { return absl::StrCat("\"", s, "\""); }
inline std::string ElementToString(int32_t v) { return absl::StrCat(v); }
inline std::string ElementToString(int64_t v) { return absl::StrCat(v); }

// Flat<T>: Bottom < every T (pairwise incomparable) < Top.
//   join(x, x) = x, join(x, y) = Top for x != y. Height 3, so Widen = Join.
template <typename T>
class Flat {
 public:
  static Flat Bottom() { return Flat(State::kBottom, T{}); }
  static Flat Top() { return Flat(State::kTop, T{}); }
  static Flat Of(T value) { return Flat(State::kValue, std::move(value)); }

  bool IsBottom() const { return state_ == State::kBottom; }
  bool IsTop() const { return state_ == State::kTop; }
  bool HasValue() const { return state_ == State::kValue; }
  const T& value() const { return value_; }  // meaningful only when HasValue()

  Flat Join(const Flat& other) const {
    if (IsBottom() || other.IsTop()) return other;
    if (other.IsBottom() || IsTop()) return *this;
    return value_ == other.value_ ? *this : Top();
  }
  bool Leq(const Flat& other) const {
    if (IsBottom() || other.IsTop()) return true;
    if (IsTop() || other.IsBottom()) return false;
    return value_ == other.value_;
  }
  Flat Widen(const Flat& next) const { return Join(next); }
  std::string ToString() const {
    if (IsBottom()) return "bottom";
    if (IsTop()) return "top";
    return ElementToString(value_);
  }
  friend bool operator==(const Flat& a, const Flat& b) {
    return a.state_ == b.state_ && (a.state_ != State::kValue || a.value_ == b.value_);
  }

 private:
  enum class State : uint8_t { kBottom, kValue, kTop };
  Flat(State state, T value) : state_(state), value_(std::move(value)) {}
  State state_;
  T value_;
};

// BoundedSet<T, N>: finite sets of at most N elements ordered by inclusion, plus Top ("more than
// N possibilities: give up"). Bottom = {}. A join whose union exceeds N is Top, so the height is
// N + 2 and Widen = Join. T needs operator< and operator==.
//
// Storage: the elements are immutable and shared between copies. Abstract values are copied on
// every transfer (operands, cells, summaries), and a copy that allocated and copied strings
// dominated the analysis; sharing makes it a reference-count increment. A join that adds nothing
// returns an operand, so storage stays shared across a fixpoint.
template <typename T, size_t N>
class BoundedSet {
 public:
  static BoundedSet Bottom() { return BoundedSet(); }
  static BoundedSet Top() {
    BoundedSet s;
    s.top_ = true;
    return s;
  }
  static BoundedSet Of(T value) {
    BoundedSet s;
    s.elements_ = std::make_shared<const std::vector<T>>(1, std::move(value));
    return s;
  }

  bool IsBottom() const { return !top_ && size() == 0; }
  bool IsTop() const { return top_; }
  // The elements when not Top, sorted.
  const std::vector<T>& elements() const { return elements_ ? *elements_ : Empty(); }
  bool IsSingleton() const { return !top_ && size() == 1; }
  bool Contains(const T& value) const {
    return top_ || std::binary_search(elements().begin(), elements().end(), value);
  }

  BoundedSet Join(const BoundedSet& other) const {
    if (top_ || other.IsBottom()) return *this;
    if (other.top_ || IsBottom()) return other;
    if (elements_ == other.elements_) return *this;
    std::vector<T> joined;
    joined.reserve(size() + other.size());
    std::set_union(elements().begin(), elements().end(), other.elements().begin(),
                   other.elements().end(), std::back_inserter(joined));
    // The union contains both operands; the same size as one means it equals that one.
    if (joined.size() == size()) return *this;
    if (joined.size() == other.size()) return other;
    if (joined.size() > N) return Top();
    BoundedSet out;
    out.elements_ = std::make_shared<const std::vector<T>>(std::move(joined));
    return out;
  }
  bool Leq(const BoundedSet& other) const {
    if (other.top_) return true;
    if (top_) return false;
    if (elements_ == other.elements_) return true;
    return std::includes(other.elements().begin(), other.elements().end(), elements().begin(),
                         elements().end());
  }
  BoundedSet Widen(const BoundedSet& next) const { return Join(next); }
  std::string ToString() const {
    if (top_) return "top";
    std::vector<std::string> parts;
    parts.reserve(size());
    for (const T& e : elements()) parts.push_back(ElementToString(e));
    return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  }
  friend bool operator==(const BoundedSet& a, const BoundedSet& b) {
    return a.top_ == b.top_ && (a.elements_ == b.elements_ || a.elements() == b.elements());
  }

 private:
  static const std::vector<T>& Empty() {
    static const std::vector<T>* const kEmpty = new std::vector<T>();
    return *kEmpty;
  }
  size_t size() const { return elements_ ? elements_->size() : 0; }

  // Sorted, unique; null or empty when Bottom or Top. Never modified once shared.
  std::shared_ptr<const std::vector<T>> elements_;
  bool top_ = false;
};

// BitSetDomain<N>: the powerset of N named facts, ordered by inclusion. Bottom = {}, Top = all N.
// Used for "which of these may hold" facts (value kinds, grad modes, yes/no attachment).
template <size_t N>
class BitSetDomain {
  static_assert(N > 0 && N <= 32);

 public:
  static constexpr uint32_t kAll = N == 32 ? ~0u : ((1u << N) - 1);
  static BitSetDomain Bottom() { return BitSetDomain(0); }
  static BitSetDomain Top() { return BitSetDomain(kAll); }
  static BitSetDomain Of(uint32_t bits) { return BitSetDomain(bits & kAll); }

  bool IsBottom() const { return bits_ == 0; }
  bool IsTop() const { return bits_ == kAll; }
  uint32_t bits() const { return bits_; }
  bool Has(uint32_t bit) const { return (bits_ & bit) != 0; }
  bool Only(uint32_t bit) const { return bits_ != 0 && (bits_ & ~bit) == 0; }

  BitSetDomain Join(const BitSetDomain& other) const { return BitSetDomain(bits_ | other.bits_); }
  bool Leq(const BitSetDomain& other) const { return (bits_ & ~other.bits_) == 0; }
  BitSetDomain Widen(const BitSetDomain& next) const { return Join(next); }
  std::string ToString() const {
    std::string out = "{";
    for (size_t i = 0; i < N; ++i) {
      if (bits_ & (1u << i)) absl::StrAppend(&out, out.size() > 1 ? "," : "", i);
    }
    return out + "}";
  }
  friend bool operator==(const BitSetDomain& a, const BitSetDomain& b) {
    return a.bits_ == b.bits_;
  }

 private:
  explicit BitSetDomain(uint32_t bits) : bits_(bits) {}
  uint32_t bits_ = 0;
};

// Product<A, B>: componentwise order. Bottom = (bottom, bottom), Top = (top, top).
template <AbstractDomain A, AbstractDomain B>
class Product {
 public:
  Product() : first_(A::Bottom()), second_(B::Bottom()) {}
  Product(A first, B second) : first_(std::move(first)), second_(std::move(second)) {}
  static Product Bottom() { return Product(A::Bottom(), B::Bottom()); }
  static Product Top() { return Product(A::Top(), B::Top()); }

  const A& first() const { return first_; }
  const B& second() const { return second_; }
  bool IsBottom() const { return first_.IsBottom() && second_.IsBottom(); }
  bool IsTop() const { return first_.IsTop() && second_.IsTop(); }
  Product Join(const Product& o) const {
    return Product(first_.Join(o.first_), second_.Join(o.second_));
  }
  bool Leq(const Product& o) const { return first_.Leq(o.first_) && second_.Leq(o.second_); }
  Product Widen(const Product& o) const {
    return Product(first_.Widen(o.first_), second_.Widen(o.second_));
  }
  std::string ToString() const {
    return absl::StrCat("(", first_.ToString(), ", ", second_.ToString(), ")");
  }
  friend bool operator==(const Product& a, const Product& b) {
    return a.first_ == b.first_ && a.second_ == b.second_;
  }

 private:
  A first_;
  B second_;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_LATTICE_H_
