// A small JSON document model for flopscope's outputs (the JSON report and SARIF) and for tests
// that read them back: an ordered object (keys keep insertion order, so output is stable and
// readable), exact integers, and a serializer that always produces valid JSON (strings are
// escaped, invalid UTF-8 becomes U+FFFD, non-finite numbers become null).
//
// Users: driver/report_json.cc, driver/sarif.cc, tests.
#ifndef FLOPSCOPE_DRIVER_JSON_H_
#define FLOPSCOPE_DRIVER_JSON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flopscope::driver::json {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Member = std::pair<std::string, Value>;

  Value() = default;  // null
  Value(bool b);      // NOLINT(google-explicit-constructor): literals read naturally
  Value(int i);       // NOLINT
  Value(int64_t i);   // NOLINT
  Value(uint32_t i);  // NOLINT
  Value(uint64_t i);  // NOLINT
  Value(double d);    // NOLINT
  Value(std::string s);       // NOLINT
  Value(const char* s);       // NOLINT
  Value(absl::string_view s); // NOLINT
  static Value Array();
  static Value Object();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool AsBool() const { return bool_; }
  int64_t AsInt() const;
  double AsDouble() const;
  const std::string& AsString() const { return string_; }
  const std::vector<Value>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // Object access: the member's value or nullptr (also when this is not an object).
  const Value* Get(absl::string_view key) const;
  // Sets or replaces a member (this must be an object); returns the stored value.
  Value& Set(absl::string_view key, Value value);
  // Appends to an array (this must be an array); returns the stored value.
  Value& Push(Value value);
  size_t size() const { return kind_ == Kind::kArray ? items_.size() : members_.size(); }
  const Value& operator[](size_t index) const { return items_[index]; }

  // Pretty-printed with `indent` spaces per level (0: compact, one line). Ends without newline.
  std::string Serialize(int indent = 2) const;

 private:
  void SerializeTo(std::string& out, int indent, int depth) const;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

// `text` as a JSON string literal, quotes included.
std::string Quote(absl::string_view text);

// Parses one JSON document (RFC 8259; nesting deeper than 512 levels is rejected).
// InvalidArgument with the byte offset on malformed input.
absl::StatusOr<Value> Parse(absl::string_view text);

}  // namespace flopscope::driver::json

#endif  // FLOPSCOPE_DRIVER_JSON_H_
