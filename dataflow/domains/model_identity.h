// Model-identity domain: which objects a value may be, as a bounded set of abstract sites
// (allocation-site abstraction). A site is a model load (`from_pretrained`, `from_config`,
// HookedTransformer.from_pretrained, torch.load, an nn.Module constructor), a container or object
// creation, or the pseudo-site "parameter i of a function nobody in the repository calls" (so a
// model of unknown origin still has an identity that hooks and forward calls can be matched on).
//   SiteSet = BoundedSet<SiteId, 8>: Bottom = {}, Top = "could be anything" (identity unknown).
//
// This header also holds the model-specific helpers: which qualified names load models, and the
// parameter count a checkpoint name implies ("7b", "pythia-410m", "gpt2-xl"; a table like the
// catalog's VRAM reference).
//
// Users: dataflow/value.h, the transfer functions, checkers via analysis.h (FS101/103/105/401).
#ifndef FLOPSCOPE_DATAFLOW_DOMAINS_MODEL_IDENTITY_H_
#define FLOPSCOPE_DATAFLOW_DOMAINS_MODEL_IDENTITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "dataflow/lattice.h"

namespace flopscope::dataflow {

using SiteId = int32_t;  // index into Analysis::sites()
using SiteSet = BoundedSet<SiteId, 8>;

enum class LoaderKind : uint8_t {
  kNone,
  kPretrained,        // transformers/peft/diffusers *.from_pretrained of a model class
  kFromConfig,        // *.from_config: architecture only, random weights
  kTransformerLens,   // transformer_lens.HookedTransformer.from_pretrained[_no_processing]
  kTorchLoad,         // torch.load of a checkpoint file
  kPipeline,          // transformers.pipeline(..., model=...)
  kSentenceTransformer,  // sentence_transformers.SentenceTransformer(name)
};

std::string LoaderKindName(LoaderKind kind);

// Classifies a resolved callee name. Tokenizers, processors and configs loaded with
// from_pretrained are not models (kNone).
LoaderKind ClassifyLoader(absl::string_view qualified_name);
// `transformers.AutoTokenizer.from_pretrained` and friends.
bool IsTokenizerLoader(absl::string_view qualified_name);

// Estimated parameter count from a checkpoint name: known names first ("gpt2-xl" = 1.5e9,
// "bert-base-uncased" = 1.1e8), then a size token ("Llama-2-7b-hf" = 7e9, "pythia-410m" =
// 4.1e8, "Mixtral-8x7B" = 5.6e10). nullopt when the name does not tell.
std::optional<double> EstimateParameterCount(absl::string_view checkpoint);

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DOMAINS_MODEL_IDENTITY_H_
