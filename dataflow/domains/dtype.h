// Dtype domain: the numeric precision of a tensor or model's weights. Flat<DType>:
//   Bottom < {fp32, fp16, bf16, fp64, int8, 4bit, auto, integer, bool} < Top (unknown).
// `auto` is transformers' torch_dtype="auto": the checkpoint's own dtype, i.e. not an fp32
// up-cast; checkers treat it like half precision for FS401. Finite height, Widen = Join.
//
// Users: dataflow/value.h, transfer functions (torch_dtype=, .half(), .to(dtype=), quantization),
// checkers via analysis.h (FS401).
#ifndef FLOPSCOPE_DATAFLOW_DOMAINS_DTYPE_H_
#define FLOPSCOPE_DATAFLOW_DOMAINS_DTYPE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "dataflow/lattice.h"

namespace flopscope::dataflow {

enum class DType : uint8_t { kFloat32, kFloat16, kBFloat16, kFloat64, kInt8, kInt4, kAuto,
                             kInteger, kBool };

std::string ElementToString(DType dtype);  // "fp32", "fp16", "bf16", "fp64", "int8", "4bit", ...

using DTypeDomain = Flat<DType>;

// Bytes per parameter for memory estimates (4-bit: 0.5); nullopt for auto/unknown.
std::optional<double> BytesPerElement(DType dtype);
// fp16, bf16, int8, 4bit and auto: precisions that do not up-cast a half-precision checkpoint.
bool IsReducedPrecision(DType dtype);

// A dtype spelled as a string: "float16", "fp16", "half", "bfloat16", "bf16", "float32", "float",
// "fp32", "auto", "int8", "float64"; also the torch attribute names with a "torch." prefix.
std::optional<DType> ParseDType(absl::string_view text);
// A resolved qualified name such as "torch.float16" or "torch.bfloat16"; nullopt otherwise.
std::optional<DType> DTypeFromQualifiedName(absl::string_view qualified_name);

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DOMAINS_DTYPE_H_
