// The dataflow analysis over the whole installed CPython standard library: it must finish
// without a crash, inside its budget or with the budget notification, and its time is reported
// next to parse-only time (the issue asks for the ratio in the closing note).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "dataflow/analysis.h"
#include "driver/pipeline.h"
#include "gtest/gtest.h"

namespace flopscope {
namespace {

constexpr char kStdlib[] = "/usr/lib/python3.11";

double Seconds(std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1e9; }

TEST(DataflowStdlibTest, WholeStdlibRunsThroughDataflow) {
  if (!std::filesystem::is_directory(kStdlib)) GTEST_SKIP() << kStdlib << " is not installed";
  driver::PipelineOptions options;
  options.jobs = 2;
  driver::Pipeline pipeline(options);
  ASSERT_TRUE(pipeline.Run({kStdlib}).ok());
  std::unique_ptr<dataflow::Analysis> analysis = pipeline.RunPhase("dataflow", [&] {
    return dataflow::Analysis::Build(pipeline.program(), pipeline.resolver(),
                                     pipeline.call_graph());
  });
  ASSERT_NE(analysis, nullptr);
  const dataflow::AnalysisStats stats = analysis->stats();
  EXPECT_GT(stats.live_contexts, 10000);
  EXPECT_GT(stats.instruction_transfers, 0);
  // Every function of the program has at least one analyzed context, unless the budget said
  // otherwise in a notification.
  size_t without = 0;
  for (const ir::Function& fn : pipeline.program().functions()) {
    if (analysis->ContextsOf(fn.id).empty()) ++without;
  }
  if (stats.budget_exhausted) {
    EXPECT_FALSE(analysis->notifications().empty());
  } else {
    EXPECT_EQ(without, 0u);
  }

  const auto& ps = pipeline.stats();
  const double parse = Seconds(ps.Find("read")->wall + ps.Find("parse")->wall);
  const double front = parse + Seconds(ps.Find("lower")->wall + ps.Find("merge")->wall +
                                       ps.Find("ssa")->wall + ps.Find("resolve")->wall +
                                       ps.Find("callgraph")->wall);
  const double dataflow = Seconds(ps.Find("dataflow")->wall);
  std::cout << "stdlib: " << ps.files_analyzed << " files, " << ps.functions << " functions\n"
            << "  read+parse " << parse << " s, through call graph " << front
            << " s, dataflow " << dataflow << " s (" << dataflow / parse
            << "x parse-only)\n  contexts " << stats.contexts << " (live " << stats.live_contexts
            << "), analyses " << stats.context_analyses << ", transfers "
            << stats.instruction_transfers << (stats.budget_exhausted ? ", BUDGET SPENT" : "")
            << ", notifications " << analysis->notifications().size() << "\n";
}

}  // namespace
}  // namespace flopscope
