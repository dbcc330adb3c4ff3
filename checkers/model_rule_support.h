// Shared reasoning of the model-lifecycle and precision rules (FS101, FS103, FS104, FS105,
// FS401): the frames a model load runs in along one calling context, call-path steps for a
// finding, checkpoint and size wording ("a ~7B model needs about 28 GB in fp32"), and small CFG
// questions on SSA functions (can one instruction run after another, which blocks a loop holds,
// which functions a loop body may call).
//
// Everything here reads dataflow facts (dataflow::Analysis, dataflow/support) and the IR; nothing
// reads source text.
//
// Users: checkers/fs101_*.cc, fs103_*.cc, fs104_*.cc, fs105_*.cc, fs401_*.cc.
#ifndef FLOPSCOPE_CHECKERS_MODEL_RULE_SUPPORT_H_
#define FLOPSCOPE_CHECKERS_MODEL_RULE_SUPPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "checkers/check_context.h"
#include "checkers/diagnostic.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "ir/ir.h"

namespace flopscope::checkers::model_rules {

// One function activation on the way to an event: `fn` runs in `context` and reaches the next
// frame (or the event itself, for the last frame) through instruction `site`.
struct Frame {
  ir::FuncId fn;
  dataflow::ContextId context = -1;
  ir::InstrId site;
};

// The frames of the event at (`fn`, `site`) in `context` along `path` (root first): one per call
// step of the path, then the event's own frame last.
std::vector<Frame> FramesOf(const dataflow::ContextPath& path, ir::FuncId fn,
                            dataflow::ContextId context, ir::InstrId site);

// The call string of frames[0..end) as support::ValueFlow expects it (outermost call first).
std::vector<dataflow::support::CallSite> CallString(const std::vector<Frame>& frames,
                                                    size_t end);

// Adds one step per frame from `frames[from]` down to the event: "calls load_model()" for each
// call, `event_message` for the last frame.
void AddFrameSteps(const CheckContext& ctx, const std::vector<Frame>& frames, size_t from,
                   const std::string& event_message, Diagnostic& diagnostic);

// "load_model()" for an in-repo callee, "torch.load()" for an external one.
std::string CalleeText(const CheckContext& ctx, ir::FuncId fn, ir::InstrId call);

// The one fully known checkpoint name, if the value is a single constant.
std::optional<std::string> SingleCheckpoint(const dataflow::ConstStrings& checkpoint);
// "`gpt2-xl`", "one of `a`, `b`", or "a checkpoint known only at run time".
std::string CheckpointText(const dataflow::ConstStrings& checkpoint);
// Where the checkpoint name of a load was written, when it is not at the loader call itself
// (a constant in config.py, a parameter default, a CLI default): a related location, so a reader
// sees which setting to change. Nothing when the name is a literal at the load.
void AddCheckpointOrigin(const CheckContext& ctx, const dataflow::Site& site,
                         Diagnostic& diagnostic);

// "7B", "1.5B", "410M".
std::string ParametersText(double parameters);
// "about 28 GB" for `parameters` at `bytes_per_parameter`.
std::string GigabytesText(double parameters, double bytes_per_parameter);

inline constexpr double kLargeModelParameters = 1e9;

// The model-load site of a ModelLoad, when it is a model (not a torch.load of a state dict).
const dataflow::Site& SiteOf(const dataflow::Analysis& analysis, const dataflow::ModelLoad& load);

// --- CFG questions on one SSA function. ---

// `to` can run after `from` without going around a loop back edge of fn (program order).
bool ComesBefore(const ir::Function& fn, ir::InstrId from, ir::InstrId to);
// The loops around `instr`, innermost first.
std::vector<ir::LoopId> LoopsAround(const ir::Function& fn, ir::InstrId instr);
// In-repo functions that may run during one iteration of `loop`: transitive callees (call graph
// edges of every kind) of the call sites in the loop's blocks.
absl::flat_hash_set<ir::FuncId> FunctionsRunByLoop(const CheckContext& ctx, ir::FuncId fn,
                                                    ir::LoopId loop);

}  // namespace flopscope::checkers::model_rules

#endif  // FLOPSCOPE_CHECKERS_MODEL_RULE_SUPPORT_H_
