// The analysis pipeline behind every subcommand: discover files, read, parse and lower them in
// parallel (oneTBB), merge the modules into one ir::Program in a fixed order, put every function
// in SSA form and find its loops (in parallel), resolve names, build the call graph.
//
// Each step is a named phase timed into PipelineStats. Later layers add themselves as one more
// phase on the same object, reading the facts built so far:
//
//   Pipeline pipeline(options);
//   FS_RETURN_IF_ERROR(pipeline.Run(paths));
//   pipeline.RunPhase("dataflow", [&] { ... pipeline.program(), pipeline.call_graph() ... });
//
// Users: driver/commands.cc, integration tests.
#ifndef FLOPSCOPE_DRIVER_PIPELINE_H_
#define FLOPSCOPE_DRIVER_PIPELINE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "driver/discover.h"
#include "driver/source_reader.h"
#include "ir/call_graph.h"
#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::driver {

struct PipelineOptions {
  DiscoverOptions discover;
  ReadLimits read;
  int jobs = 0;             // worker threads; 0 = one per core
  bool verify_ir = false;   // run ir::Verify on every function; failures become notifications
};

struct PhaseStat {
  std::string name;
  std::chrono::nanoseconds wall{0};
  // Summed over worker threads for parallel phases (equal to wall for serial ones), so
  // `busy / wall` shows how well the phase spread over the cores.
  std::chrono::nanoseconds busy{0};
};

struct PipelineStats {
  size_t files_found = 0;     // discovered
  size_t files_analyzed = 0;  // read, parsed and lowered into the program
  uint64_t lines = 0;
  uint64_t bytes = 0;
  size_t functions = 0;
  size_t call_edges = 0;      // in-repo caller -> callee edges
  size_t external_calls = 0;  // call sites reaching a library or builtin name
  std::vector<PhaseStat> phases;  // in the order they ran

  const PhaseStat* Find(absl::string_view name) const;
  std::chrono::nanoseconds TotalWall() const;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Builds the program, resolver and call graph for `paths`. Fails only on unusable arguments
  // (NotFound, InvalidArgument) or when the parser cannot run at all (FailedPrecondition); a
  // problem in one file becomes a notification and the run goes on.
  [[nodiscard]] absl::Status Run(const std::vector<std::string>& paths);

  // Runs `body` as the named phase and records its wall time; returns what `body` returns. Call
  // it after Run() for phases that read the program (dataflow, checkers).
  template <typename Body>
  decltype(auto) RunPhase(absl::string_view name, Body&& body) {
    const auto start = std::chrono::steady_clock::now();
    PhaseTimer timer(*this, name, start);
    return std::forward<Body>(body)();
  }

  // Only valid after a successful Run().
  const ir::Program& program() const { return *program_; }
  ir::Program& mutable_program() { return *program_; }
  const ir::Resolver& resolver() const { return *resolver_; }
  const ir::CallGraph& call_graph() const { return *call_graph_; }

  // The files that were analyzed, in module order (ModuleId i is analyzed_files()[i]).
  const std::vector<DiscoveredFile>& analyzed_files() const { return analyzed_; }
  size_t discovered_file_count() const { return discovered_count_; }

  // Every notification: discovery and unreadable files, then each module's problems, sorted by
  // path, line and column.
  std::vector<ir::Problem> Notifications() const;

  const PipelineStats& stats() const { return stats_; }

  // Records an extra phase's busy time (for phases that run their own parallel loops).
  void AddBusyTime(absl::string_view phase, std::chrono::nanoseconds busy);

 private:
  // Records the phase when it goes out of scope, also when `body` returns a value.
  class PhaseTimer {
   public:
    PhaseTimer(Pipeline& pipeline, absl::string_view name,
               std::chrono::steady_clock::time_point start)
        : pipeline_(pipeline), name_(name), start_(start) {}
    ~PhaseTimer() { pipeline_.EndPhase(name_, std::chrono::steady_clock::now() - start_); }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

   private:
    Pipeline& pipeline_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
  };
  struct Loaded;  // per-file state between the parallel phases (pipeline.cc)
  class Parallelism;

  void EndPhase(absl::string_view name, std::chrono::nanoseconds wall);
  [[nodiscard]] absl::Status ReadParseLower(std::vector<Loaded>& loaded);
  void Merge(std::vector<Loaded>& loaded);
  void BuildSsaForAllFunctions();

  PipelineOptions options_;
  std::unique_ptr<Parallelism> parallelism_;
  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<ir::Resolver> resolver_;
  std::unique_ptr<ir::CallGraph> call_graph_;
  std::vector<DiscoveredFile> analyzed_;
  size_t discovered_count_ = 0;
  PipelineStats stats_;
};

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_PIPELINE_H_
