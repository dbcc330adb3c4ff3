#include "driver/json.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flopscope::driver::json {
namespace {

TEST(JsonTest, SerializesOrderedObjectsCompactAndPretty) {
  Value v = Value::Object();
  v.Set("b", 1);
  v.Set("a", Value::Array());
  v.Set("c", "x");
  v.Get("a");
  EXPECT_EQ(v.Serialize(0), R"({"b":1,"a":[],"c":"x"})");
  Value list = Value::Array();
  list.Push(true);
  list.Push(Value());
  list.Push(0.25);
  v.Set("a", list);
  EXPECT_EQ(v.Serialize(2), "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    0.25\n  ],\n"
                            "  \"c\": \"x\"\n}");
}

TEST(JsonTest, EscapesStringsAndRepairsInvalidUtf8) {
  EXPECT_EQ(Quote("a\"b\\c\n\t\x01\x7f"), R"("a\"b\\c\n\t\u0001\u007f")");
  EXPECT_EQ(Quote("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Quote("bad\xff\xc3"), R"("bad\ufffd\ufffd")");
  EXPECT_EQ(Quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // an encoded surrogate
}

TEST(JsonTest, NumbersRoundTripExactly) {
  EXPECT_EQ(Value(0.1).Serialize(), "0.1");
  EXPECT_EQ(Value(1e300).Serialize(), "1e+300");
  EXPECT_EQ(Value(int64_t{-42}).Serialize(), "-42");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).Serialize(), "null");
}

TEST(JsonTest, ParsesWhatItWrites) {
  Value v = Value::Object();
  v.Set("s", "line\nbreak \"q\" \xe2\x82\xac");
  v.Set("n", -3);
  v.Set("d", 2.5);
  Value inner = Value::Array();
  inner.Push(Value::Object());
  v.Set("list", inner);
  for (int indent : {0, 2}) {
    absl::StatusOr<Value> back = Parse(v.Serialize(indent));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->Serialize(0), v.Serialize(0));
  }
}

TEST(JsonTest, ParsesEscapesAndSurrogatePairs) {
  absl::StatusOr<Value> v = Parse(R"(["\u00e9\ud83d\ude00\/", 1E2, -0.5, false])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0].AsString(), "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_DOUBLE_EQ((*v)[1].AsDouble(), 100);
  EXPECT_DOUBLE_EQ((*v)[2].AsDouble(), -0.5);
  EXPECT_FALSE((*v)[3].AsBool());
}

TEST(JsonTest, RejectsMalformedInput) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "\"\x01\"", "tru", "[1] x",
                          "\"\\x\"", "1.", "{\"a\":}"}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
  std::string deep(600, '[');
  deep += std::string(600, ']');
  EXPECT_FALSE(Parse(deep).ok());
}

}  // namespace
}  // namespace flopscope::driver::json
