#include "dataflow/domains/dtype.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace flopscope::dataflow {

std::string ElementToString(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "fp32";
    case DType::kFloat16:
      return "fp16";
    case DType::kBFloat16:
      return "bf16";
    case DType::kFloat64:
      return "fp64";
    case DType::kInt8:
      return "int8";
    case DType::kInt4:
      return "4bit";
    case DType::kAuto:
      return "auto";
    case DType::kInteger:
      return "integer";
    case DType::kBool:
      return "bool";
  }
  return "unknown";
}

std::optional<double> BytesPerElement(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4.0;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2.0;
    case DType::kFloat64:
      return 8.0;
    case DType::kInt8:
      return 1.0;
    case DType::kInt4:
      return 0.5;
    default:
      return std::nullopt;
  }
}

bool IsReducedPrecision(DType dtype) {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 || dtype == DType::kInt8 ||
         dtype == DType::kInt4 || dtype == DType::kAuto;
}

std::optional<DType> ParseDType(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::string_view name = lower;
  absl::ConsumePrefix(&name, "torch.");
  struct Entry {
    absl::string_view name;
    DType dtype;
  };
  static constexpr Entry kNames[] = {
      {"float32", DType::kFloat32}, {"float", DType::kFloat32},     {"fp32", DType::kFloat32},
      {"float16", DType::kFloat16}, {"half", DType::kFloat16},      {"fp16", DType::kFloat16},
      {"bfloat16", DType::kBFloat16}, {"bf16", DType::kBFloat16},   {"float64", DType::kFloat64},
      {"double", DType::kFloat64},  {"fp64", DType::kFloat64},      {"int8", DType::kInt8},
      {"qint8", DType::kInt8},      {"uint8", DType::kInteger},     {"int16", DType::kInteger},
      {"int32", DType::kInteger},   {"int64", DType::kInteger},     {"long", DType::kInteger},
      {"int", DType::kInteger},     {"bool", DType::kBool},         {"auto", DType::kAuto},
      {"4bit", DType::kInt4},       {"nf4", DType::kInt4},          {"fp4", DType::kInt4},
  };
  for (const Entry& entry : kNames) {
    if (name == entry.name) return entry.dtype;
  }
  return std::nullopt;
}

std::optional<DType> DTypeFromQualifiedName(absl::string_view qualified_name) {
  if (!absl::StartsWith(qualified_name, "torch.")) return std::nullopt;
  absl::string_view name = qualified_name.substr(6);
  if (name == "auto" || name == "4bit" || name == "nf4" || name == "fp4") return std::nullopt;
  return ParseDType(name);
}

}  // namespace flopscope::dataflow
