// Call paths from the program's entry points down to an instruction, for explanations ("in
// layer_sweep(): calls models.load()") and for context-sensitive questions (is this call inside a
// loop of some caller; do these two loads sit on exclusive branches of a common caller).
//
// Entry points: module bodies (so `if __name__ == "__main__":` code is just module code) and
// functions that nothing outside their own recursive cycle (call graph SCC) calls. Class bodies are entered from the function that runs
// the class statement, at its MakeClass instruction.
//
// A CallPath is root first: [(root, call site in root), (f1, call site in f1), ..., (fn, instr)];
// each step's site is a call that may run the next step's function, and the last step is the
// instruction asked about. PathsTo enumerates them breadth-first (shortest first), without
// repeating a function inside one path (recursion is cut), at most `max_depth` steps and
// `max_paths` paths. When no entry is reached within the depth, or every caller is already on the
// path (a recursive cycle nothing outside calls), the path starts at the farthest caller found.
//
// Does NOT model: calls made by external code (a callback registered with an external library is
// reached through its kCallback edge, at the registration site), exceptions.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_CALL_PATHS_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_CALL_PATHS_H_

#include <optional>
#include <string>
#include <vector>

#include "ir/call_graph.h"
#include "ir/ir.h"

namespace flopscope::dataflow::support {

struct PathStep {
  ir::FuncId fn;
  ir::InstrId site;
  friend bool operator==(const PathStep& a, const PathStep& b) {
    return a.fn == b.fn && a.site == b.site;
  }
};
using CallPath = std::vector<PathStep>;

struct PathLimits {
  size_t max_depth = 8;
  size_t max_paths = 32;
};

// A loop that an instruction runs in: `loop` of function `path[step].fn`, containing the site
// `path[step].site` (step == path.size() - 1 when the loop is in the instruction's own function).
struct LoopContext {
  CallPath path;
  size_t step = 0;
  ir::FuncId fn;
  ir::LoopId loop;
};

class CallPaths {
 public:
  CallPaths(const ir::Program& program, const ir::CallGraph& calls);

  // Module bodies and functions without callers outside their SCC (class bodies never are).
  bool IsEntry(ir::FuncId fn) const { return entry_[fn.index()]; }

  // Call paths from entries to (fn, instr), shortest first, deterministic order.
  std::vector<CallPath> PathsTo(ir::FuncId fn, ir::InstrId instr, PathLimits limits = {}) const;

  // The innermost loop of fn containing instr, or invalid.
  ir::LoopId LoopAround(ir::FuncId fn, ir::InstrId instr) const;

  // The innermost loop the instruction runs in: its own function's loop, else the loop around the
  // nearest call site on the shortest path that has one. nullopt when no path runs it in a loop.
  std::optional<LoopContext> EnclosingLoop(ir::FuncId fn, ir::InstrId instr,
                                           PathLimits limits = {}) const;
  // Every (path, loop) pair over PathsTo's paths: for each path, the innermost loop around each
  // step's site, innermost step first.
  std::vector<LoopContext> EnclosingLoops(ir::FuncId fn, ir::InstrId instr,
                                          PathLimits limits = {}) const;

  // "in layer_sweep(): calls models.load()" style text of one step (for debugging and tests;
  // checkers build their own notes from the ids).
  std::string Describe(const PathStep& step) const;

 private:
  struct Caller {
    ir::FuncId fn;
    ir::InstrId site;
  };
  const ir::Program& program_;
  const ir::CallGraph& calls_;
  std::vector<bool> entry_;
  // Callers of every function (call graph edges plus class-body entries), deduplicated, sorted.
  std::vector<std::vector<Caller>> callers_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_CALL_PATHS_H_
