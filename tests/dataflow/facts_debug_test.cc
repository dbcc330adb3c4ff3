#include <cstdlib>
#include <iostream>

#include "dataflow/describe.h"
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

// Prints facts for FS_FACTS_FIXTURE / FS_FACTS_FILE / FS_FACTS_LINE (debugging aid).
TEST(FactsDebug, PrintWhenAsked) {
  const char* fixture = std::getenv("FS_FACTS_FIXTURE");
  if (fixture == nullptr) GTEST_SKIP();
  auto analyzed = testing::AnalyzeFixture(fixture);
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  std::cout << DescribeFactsAtLine(*(*analyzed)->analysis, std::getenv("FS_FACTS_FILE"),
                                   std::atoi(std::getenv("FS_FACTS_LINE")));
  for (const auto& n : (*analyzed)->analysis->notifications()) std::cout << n.message << "\n";
}

}  // namespace
}  // namespace flopscope::dataflow
