#include "driver/json.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/check.h"
#include "util/utf8.h"

namespace flopscope::driver::json {

Value::Value(bool b) : kind_(Kind::kBool), bool_(b) {}
Value::Value(int i) : kind_(Kind::kInt), int_(i) {}
Value::Value(int64_t i) : kind_(Kind::kInt), int_(i) {}
Value::Value(uint32_t i) : kind_(Kind::kInt), int_(i) {}
Value::Value(uint64_t i)
    : kind_(Kind::kInt),
      int_(i > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(i)) {}
Value::Value(double d) : kind_(Kind::kDouble), double_(d) {}
Value::Value(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}
Value::Value(const char* s) : kind_(Kind::kString), string_(s) {}
Value::Value(absl::string_view s) : kind_(Kind::kString), string_(s) {}

Value Value::Array() {
  Value v;
  v.kind_ = Kind::kArray;
  return v;
}

Value Value::Object() {
  Value v;
  v.kind_ = Kind::kObject;
  return v;
}

int64_t Value::AsInt() const {
  if (kind_ == Kind::kDouble) return static_cast<int64_t>(double_);
  return int_;
}

double Value::AsDouble() const {
  if (kind_ == Kind::kInt) return static_cast<double>(int_);
  return double_;
}

const Value* Value::Get(absl::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value& Value::Set(absl::string_view key, Value value) {
  FS_CHECK(kind_ == Kind::kObject);
  for (Member& m : members_) {
    if (m.first == key) {
      m.second = std::move(value);
      return m.second;
    }
  }
  members_.emplace_back(std::string(key), std::move(value));
  return members_.back().second;
}

Value& Value::Push(Value value) {
  FS_CHECK(kind_ == Kind::kArray);
  items_.push_back(std::move(value));
  return items_.back();
}

namespace {

void AppendQuoted(std::string& out, absl::string_view text) {
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += absl::StrFormat("\\u%04x", c);
      ++i;
      continue;
    }
    const utf8::Decoded d = utf8::DecodeAt(text, i);
    if (d.valid) {
      out.append(text.data() + i, d.length);
    } else {
      out += "\\ufffd";
    }
    i += d.length;
  }
  out.push_back('"');
}

void Newline(std::string& out, int indent, int depth) {
  if (indent <= 0) return;
  out.push_back('\n');
  out.append(static_cast<size_t>(indent * depth), ' ');
}

}  // namespace

std::string Quote(absl::string_view text) {
  std::string out;
  AppendQuoted(out, text);
  return out;
}

void Value::SerializeTo(std::string& out, int indent, int depth) const {
  switch (kind_) {
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      return;
    case Kind::kInt:
      absl::StrAppend(&out, int_);
      return;
    case Kind::kDouble:
      if (!std::isfinite(double_)) {
        out += "null";
      } else {
        // %.17g round-trips; trim to the shortest form that reads back the same.
        std::string text;
        for (int precision = 1; precision <= 17; ++precision) {
          text = absl::StrFormat("%.*g", precision, double_);
          if (std::strtod(text.c_str(), nullptr) == double_) break;
        }
        out += text;
      }
      return;
    case Kind::kString:
      AppendQuoted(out, string_);
      return;
    case Kind::kArray:
      if (items_.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) out.push_back(',');
        Newline(out, indent, depth + 1);
        items_[i].SerializeTo(out, indent, depth + 1);
      }
      Newline(out, indent, depth);
      out.push_back(']');
      return;
    case Kind::kObject:
      if (members_.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i > 0) out.push_back(',');
        Newline(out, indent, depth + 1);
        AppendQuoted(out, members_[i].first);
        out += indent > 0 ? ": " : ":";
        members_[i].second.SerializeTo(out, indent, depth + 1);
      }
      Newline(out, indent, depth);
      out.push_back('}');
      return;
  }
}

std::string Value::Serialize(int indent) const {
  std::string out;
  SerializeTo(out, indent, 0);
  return out;
}

// --- Parser ---

namespace {

constexpr int kMaxDepth = 512;

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Value> ParseDocument() {
    Value v;
    if (!ParseValue(v, 0)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) {
      error_ = "trailing characters";
      return Error();
    }
    return v;
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", pos_, ": ", error_.empty() ? "syntax" : error_));
  }

  bool Fail(const char* message) {
    if (error_.empty()) error_ = message;
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' ||
            text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Value& out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of input");
    char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      std::string s;
      if (!ParseString(s)) return false;
      out = Value(std::move(s));
      return true;
    }
    if (Consume("true")) {
      out = Value(true);
      return true;
    }
    if (Consume("false")) {
      out = Value(false);
      return true;
    }
    if (Consume("null")) {
      out = Value();
      return true;
    }
    return ParseNumber(out);
  }

  bool ParseObject(Value& out, int depth) {
    out = Value::Object();
    ++pos_;  // '{'
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
      std::string key;
      if (!ParseString(key)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Value member;
      if (!ParseValue(member, depth + 1)) return false;
      out.Set(key, std::move(member));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(Value& out, int depth) {
    out = Value::Array();
    ++pos_;  // '['
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      Value item;
      if (!ParseValue(item, depth + 1)) return false;
      out.Push(std::move(item));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool ParseHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return Fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("bad hex digit in \\u escape");
      }
    }
    return true;
  }

  bool ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (++pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && Consume("\\u")) {
            uint32_t low = 0;
            if (!ParseHex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              utf8::Append(out, utf8::kReplacementChar);
              cp = low;
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = utf8::kReplacementChar;  // lone surrogate
          utf8::Append(out, cp);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  bool ParseNumber(Value& out) {
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ == digits) return Fail("unexpected character");
    if (text_[digits] == '0' && pos_ - digits > 1) return Fail("leading zero");
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      size_t frac = ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      if (pos_ == frac) return Fail("digit expected after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      size_t exp = pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      if (pos_ == exp) return Fail("digit expected in exponent");
    }
    std::string number(text_.substr(start, pos_ - start));
    if (integral && pos_ - digits <= 18) {
      out = Value(static_cast<int64_t>(std::strtoll(number.c_str(), nullptr, 10)));
    } else {
      out = Value(std::strtod(number.c_str(), nullptr));
    }
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  absl::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

absl::StatusOr<Value> Parse(absl::string_view text) { return Parser(text).ParseDocument(); }

}  // namespace flopscope::driver::json
