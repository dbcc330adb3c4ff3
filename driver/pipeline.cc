#include "driver/pipeline.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "frontend/frontend.h"
#include "ir/passes.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/parallel_for.h"
#include "util/check.h"

namespace flopscope::driver {
namespace {

using Clock = std::chrono::steady_clock;

// Runs fn(i) for i in [0, n) on the worker threads and returns the time summed over all calls.
template <typename Fn>
std::chrono::nanoseconds ParallelFor(size_t n, Fn&& fn) {
  std::atomic<int64_t> busy_ns{0};
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1), [&](const tbb::blocked_range<size_t>& r) {
    const auto start = Clock::now();
    for (size_t i = r.begin(); i != r.end(); ++i) fn(i);
    busy_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start)
                          .count(),
                      std::memory_order_relaxed);
  });
  return std::chrono::nanoseconds(busy_ns.load());
}

uint32_t CountLines(absl::string_view text) {
  const auto newlines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

ir::Problem FileProblem(ir::Problem::Kind kind, const std::string& path, std::string message) {
  ir::Problem problem;
  problem.kind = kind;
  problem.path = path;
  problem.message = std::move(message);
  return problem;
}

}  // namespace

// Per-file state carried from one parallel phase to the next.
struct Pipeline::Loaded {
  DiscoveredFile file;
  std::optional<std::string> text;
  frontend::ParsedFilePtr parsed;
  std::optional<ir::ModuleUnit> unit;
  std::vector<ir::Problem> problems;  // reading and parsing problems, in the order met
  uint32_t lines = 0;
  size_t bytes = 0;
};

// Caps oneTBB's worker count for the pipeline's lifetime (--jobs).
class Pipeline::Parallelism {
 public:
  explicit Parallelism(int jobs)
      : control_(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(jobs)) {}

 private:
  tbb::global_control control_;
};

const PhaseStat* PipelineStats::Find(absl::string_view name) const {
  for (const PhaseStat& phase : phases) {
    if (phase.name == name) return &phase;
  }
  return nullptr;
}

std::chrono::nanoseconds PipelineStats::TotalWall() const {
  std::chrono::nanoseconds total{0};
  for (const PhaseStat& phase : phases) total += phase.wall;
  return total;
}

Pipeline::Pipeline(PipelineOptions options) : options_(std::move(options)) {
  if (options_.jobs > 0) parallelism_ = std::make_unique<Parallelism>(options_.jobs);
}

Pipeline::~Pipeline() = default;

void Pipeline::EndPhase(absl::string_view name, std::chrono::nanoseconds wall) {
  for (PhaseStat& phase : stats_.phases) {
    if (phase.name != name) continue;
    phase.wall += wall;
    if (phase.busy.count() == 0) phase.busy = wall;
    return;
  }
  stats_.phases.push_back(PhaseStat{std::string(name), wall, wall});
}

void Pipeline::AddBusyTime(absl::string_view name, std::chrono::nanoseconds busy) {
  for (PhaseStat& phase : stats_.phases) {
    if (phase.name != name) continue;
    phase.busy += busy;
    return;
  }
  stats_.phases.push_back(PhaseStat{std::string(name), std::chrono::nanoseconds(0), busy});
}

absl::Status Pipeline::Run(const std::vector<std::string>& paths) {
  stats_ = PipelineStats{};
  analyzed_.clear();
  // A second Run starts over; what refers to the old program goes before it.
  call_graph_.reset();
  resolver_.reset();
  program_ = std::make_unique<ir::Program>();

  absl::StatusOr<Discovery> discovery =
      RunPhase("discover", [&] { return Discover(paths, options_.discover); });
  if (!discovery.ok()) return discovery.status();
  discovered_count_ = discovery->files.size();
  stats_.files_found = discovered_count_;
  program_->global_problems() = std::move(discovery->problems);

  std::vector<Loaded> loaded(discovery->files.size());
  for (size_t i = 0; i < loaded.size(); ++i) loaded[i].file = std::move(discovery->files[i]);
  if (absl::Status status = ReadParseLower(loaded); !status.ok()) return status;
  RunPhase("merge", [&] { Merge(loaded); });
  RunPhase("ssa", [&] { BuildSsaForAllFunctions(); });
  RunPhase("resolve", [&] { resolver_ = std::make_unique<ir::Resolver>(*program_); });
  RunPhase("callgraph", [&] {
    call_graph_ = std::make_unique<ir::CallGraph>(*program_, *resolver_);
    for (const ir::Function& fn : program_->functions()) {
      stats_.call_edges += call_graph_->Callees(fn.id).size();
      stats_.external_calls += call_graph_->ExternalCallees(fn.id).size();
    }
  });
  stats_.functions = program_->functions().size();
  return absl::OkStatus();
}

absl::Status Pipeline::ReadParseLower(std::vector<Loaded>& loaded) {
  RunPhase("read", [&] {
    AddBusyTime("read", ParallelFor(loaded.size(), [&](size_t i) {
                  Loaded& file = loaded[i];
                  file.text = ReadSourceFile(file.file.path, options_.read, file.problems);
                  if (!file.text.has_value()) return;
                  file.lines = CountLines(*file.text);
                  file.bytes = file.text->size();
                }));
  });
  std::mutex fatal_mu;
  absl::Status fatal;
  RunPhase("parse", [&] {
    AddBusyTime("parse", ParallelFor(loaded.size(), [&](size_t i) {
                  Loaded& file = loaded[i];
                  if (!file.text.has_value()) return;
                  frontend::SourceFile source;
                  source.path = file.file.path;
                  source.module_name = file.file.module_name;
                  source.is_package = file.file.is_package;
                  source.text = *std::move(file.text);
                  file.text.reset();
                  absl::StatusOr<frontend::ParsedFilePtr> parsed =
                      frontend::Parse(std::move(source));
                  if (parsed.ok()) {
                    file.parsed = *std::move(parsed);
                    return;
                  }
                  const absl::Status& status = parsed.status();
                  if (status.code() == absl::StatusCode::kFailedPrecondition) {
                    std::lock_guard<std::mutex> lock(fatal_mu);  // the parser cannot run at all
                    if (fatal.ok()) fatal = status;
                    return;
                  }
                  file.problems.push_back(FileProblem(
                      status.code() == absl::StatusCode::kInvalidArgument
                          ? ir::Problem::Kind::kTooDeep
                          : ir::Problem::Kind::kOther,
                      file.file.path, absl::StrCat("not analyzed: ", status.message())));
                }));
  });
  if (!fatal.ok()) return fatal;
  RunPhase("lower", [&] {
    AddBusyTime("lower", ParallelFor(loaded.size(), [&](size_t i) {
                  Loaded& file = loaded[i];
                  if (file.parsed == nullptr) return;
                  file.unit = frontend::Lower(*file.parsed);
                  file.parsed.reset();  // trees are large; keep only the IR
                }));
  });
  return absl::OkStatus();
}

void Pipeline::Merge(std::vector<Loaded>& loaded) {
  // Discovery already ordered the files by module name (then precedence), so ModuleIds, and every
  // id derived from them, are the same on every run whatever the thread schedule.
  for (Loaded& file : loaded) {
    if (!file.unit.has_value()) {
      if (file.problems.empty()) {
        file.problems.push_back(
            FileProblem(ir::Problem::Kind::kOther, file.file.path, "not analyzed"));
      }
      for (ir::Problem& problem : file.problems) {
        program_->global_problems().push_back(std::move(problem));
      }
      continue;
    }
    ir::Module& module = file.unit->module;
    module.name = file.file.module_name;
    module.path = file.file.path;
    module.is_package = file.file.is_package;
    if (module.line_count == 0) module.line_count = file.lines;
    // Reading problems (say, invalid UTF-8 replaced) come before the parser's.
    module.problems.insert(module.problems.begin(), std::make_move_iterator(file.problems.begin()),
                           std::make_move_iterator(file.problems.end()));
    stats_.lines += file.lines;
    stats_.bytes += file.bytes;
    program_->AddModule(*std::move(file.unit));
    analyzed_.push_back(std::move(file.file));
  }
  stats_.files_analyzed = analyzed_.size();
}

void Pipeline::BuildSsaForAllFunctions() {
  std::vector<ir::Function>& functions = program_->mutable_functions();
  std::mutex problems_mu;
  std::vector<ir::Problem> verifier_problems;
  AddBusyTime("ssa", ParallelFor(functions.size(), [&](size_t i) {
                ir::Function& fn = functions[i];
                ir::ComputeCfg(fn);
                // A module body must not forward globals that its functions rebind.
                ir::BuildSsa(fn, ir::SsaOptionsFor(*program_, fn));
                ir::FindLoops(fn);
                if (!options_.verify_ir) return;
                if (absl::Status status = ir::Verify(fn); !status.ok()) {
                  const ir::Module& module = program_->module(fn.module);
                  ir::Problem problem = FileProblem(
                      ir::Problem::Kind::kOther, module.path,
                      absl::StrCat("internal: IR of `", fn.qualname,
                                   "` fails verification: ", status.message()));
                  problem.range = fn.range;
                  std::lock_guard<std::mutex> lock(problems_mu);
                  verifier_problems.push_back(std::move(problem));
                }
              }));
  // Threads finish in any order; notifications must not.
  std::sort(verifier_problems.begin(), verifier_problems.end(),
            [](const ir::Problem& a, const ir::Problem& b) {
              return std::tie(a.path, a.range.line, a.message) <
                     std::tie(b.path, b.range.line, b.message);
            });
  for (ir::Problem& problem : verifier_problems) {
    program_->global_problems().push_back(std::move(problem));
  }
}

std::vector<ir::Problem> Pipeline::Notifications() const {
  std::vector<ir::Problem> all = program_->global_problems();
  for (const ir::Module& module : program_->modules()) {
    all.insert(all.end(), module.problems.begin(), module.problems.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const ir::Problem& a, const ir::Problem& b) {
    return std::tie(a.path, a.range.line, a.range.col) <
           std::tie(b.path, b.range.line, b.range.col);
  });
  return all;
}

}  // namespace flopscope::driver
