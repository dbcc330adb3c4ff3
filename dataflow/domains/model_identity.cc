#include "dataflow/domains/model_identity.h"

#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace flopscope::dataflow {
namespace {

// The class segment of "pkg.Class.method" (the second-to-last dotted part).
absl::string_view ClassSegment(absl::string_view qualified_name) {
  const size_t last = qualified_name.rfind('.');
  if (last == absl::string_view::npos) return {};
  absl::string_view head = qualified_name.substr(0, last);
  const size_t prev = head.rfind('.');
  return prev == absl::string_view::npos ? head : head.substr(prev + 1);
}

bool IsNonModelClass(absl::string_view cls) {
  for (absl::string_view marker : {"Tokenizer", "Processor", "FeatureExtractor", "Config",
                                   "GenerationConfig", "Dataset", "Scheduler"}) {
    if (absl::StrContains(cls, marker)) return true;
  }
  return false;
}

// Sizes that the name alone does not spell as a number (catalog VRAM table and common
// small checkpoints). Matched against the last path component, lower-case.
struct KnownSize {
  absl::string_view prefix;
  double params;
  bool exact;
};
constexpr KnownSize kKnownSizes[] = {
    {"gpt2-xl", 1.5e9, false},       {"gpt2-large", 7.74e8, false},
    {"gpt2-medium", 3.55e8, false},  {"gpt2", 1.24e8, true},
    {"distilgpt2", 8.2e7, false},    {"distilbert", 6.6e7, false},
    {"bert-base", 1.1e8, false},     {"bert-large", 3.4e8, false},
    {"roberta-base", 1.25e8, false}, {"roberta-large", 3.55e8, false},
    {"t5-small", 6.0e7, false},      {"t5-base", 2.2e8, false},
    {"t5-large", 7.7e8, false},      {"flan-t5-small", 8.0e7, false},
    {"flan-t5-base", 2.5e8, false},  {"flan-t5-large", 7.8e8, false},
    {"flan-t5-xl", 3.0e9, false},    {"flan-t5-xxl", 1.1e10, false},
    {"phi-2", 2.7e9, false},         {"phi-1_5", 1.3e9, false},
    {"phi-1", 1.3e9, false},         {"albert-base", 1.2e7, false},
    {"electra-small", 1.4e7, false}, {"electra-base", 1.1e8, false},
    {"deberta-v3-base", 1.84e8, false}, {"deberta-v3-large", 4.35e8, false},
    {"all-minilm-l6-v2", 2.2e7, false}, {"tinyllama", 1.1e9, false},
    // TransformerLens's own model names (HookedTransformer.from_pretrained aliases); the
    // toy families (solu-, gelu-, attn-only-) at the size of their largest member.
    {"gpt2-small", 1.24e8, false},   {"stanford-gpt2-small", 1.24e8, false},
    {"stanford-gpt2-medium", 3.55e8, false}, {"distillgpt2", 8.2e7, false},
    {"solu-", 4.0e8, false},         {"gelu-", 4.0e8, false},
    {"attn-only-", 1.0e8, false},    {"redwood_attn_2l", 1.0e7, false},
};

// A size token: digits[.digits] followed by 'b' or 'm' and then a non-alphanumeric character or
// the end, not glued to a preceding letter (so "t5" and "llama2" are not sizes). "8x7b" counts
// as 8 * 7b (mixture of experts, an upper bound).
std::optional<double> ParseSizeToken(absl::string_view name) {
  std::optional<double> best;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) continue;
    const bool after_x = i >= 2 && name[i - 1] == 'x' &&
                         std::isdigit(static_cast<unsigned char>(name[i - 2]));
    if (i > 0 && std::isalnum(static_cast<unsigned char>(name[i - 1])) && !after_x) {
      while (i + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1]))) ++i;
      continue;
    }
    size_t j = i;
    while (j < name.size() &&
           (std::isdigit(static_cast<unsigned char>(name[j])) || name[j] == '.')) {
      ++j;
    }
    if (j >= name.size() || (name[j] != 'b' && name[j] != 'm')) {
      i = j;
      continue;
    }
    const bool at_end = j + 1 >= name.size() ||
                        !std::isalnum(static_cast<unsigned char>(name[j + 1]));
    double number = 0;
    if (at_end && absl::SimpleAtod(name.substr(i, j - i), &number) && number > 0) {
      double params = number * (name[j] == 'b' ? 1e9 : 1e6);
      if (after_x) {
        size_t k = i - 1;
        while (k > 0 && std::isdigit(static_cast<unsigned char>(name[k - 1]))) --k;
        double experts = 0;
        if (absl::SimpleAtod(name.substr(k, i - 1 - k), &experts) && experts > 0) {
          params *= experts;
        }
      }
      if (!best || params > *best) best = params;
    }
    i = j;
  }
  return best;
}

}  // namespace

std::string LoaderKindName(LoaderKind kind) {
  switch (kind) {
    case LoaderKind::kNone:
      return "none";
    case LoaderKind::kPretrained:
      return "from_pretrained";
    case LoaderKind::kFromConfig:
      return "from_config";
    case LoaderKind::kTransformerLens:
      return "HookedTransformer.from_pretrained";
    case LoaderKind::kTorchLoad:
      return "torch.load";
    case LoaderKind::kPipeline:
      return "pipeline";
    case LoaderKind::kSentenceTransformer:
      return "SentenceTransformer";
  }
  return "none";
}

LoaderKind ClassifyLoader(absl::string_view name) {
  if (name == "torch.load") return LoaderKind::kTorchLoad;
  if (name == "transformers.pipeline") return LoaderKind::kPipeline;
  if (name == "sentence_transformers.SentenceTransformer") {
    return LoaderKind::kSentenceTransformer;
  }
  const bool pretrained = absl::EndsWith(name, ".from_pretrained") ||
                          absl::EndsWith(name, ".from_pretrained_no_processing");
  if (pretrained && absl::StartsWith(name, "transformer_lens.")) {
    return LoaderKind::kTransformerLens;
  }
  const absl::string_view cls = ClassSegment(name);
  if (cls.empty() || IsNonModelClass(cls)) return LoaderKind::kNone;
  if (pretrained) return LoaderKind::kPretrained;
  if (absl::EndsWith(name, ".from_config") && absl::StartsWith(name, "transformers.")) {
    return LoaderKind::kFromConfig;
  }
  return LoaderKind::kNone;
}

bool IsTokenizerLoader(absl::string_view name) {
  if (!absl::EndsWith(name, ".from_pretrained")) return false;
  const absl::string_view cls = ClassSegment(name);
  return absl::StrContains(cls, "Tokenizer") || absl::StrContains(cls, "Processor");
}

std::optional<double> EstimateParameterCount(absl::string_view checkpoint) {
  const std::string lower = absl::AsciiStrToLower(checkpoint);
  absl::string_view name = lower;
  const size_t slash = name.rfind('/');
  if (slash != absl::string_view::npos) name = name.substr(slash + 1);
  for (const KnownSize& known : kKnownSizes) {
    if (known.exact ? name == known.prefix : absl::StartsWith(name, known.prefix)) {
      return known.params;
    }
  }
  return ParseSizeToken(name);
}

}  // namespace flopscope::dataflow
