// Internal to the frontend: the definition of ParsedFile (opaque in frontend.h) and the parser's
// testable pieces.
#ifndef FLOPSCOPE_FRONTEND_PARSED_FILE_H_
#define FLOPSCOPE_FRONTEND_PARSED_FILE_H_

#include <tree_sitter/api.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "frontend/frontend.h"
#include "ir/ir.h"

namespace flopscope::frontend {

struct ParsedFile {
  ParsedFile() = default;
  ParsedFile(const ParsedFile&) = delete;
  ParsedFile& operator=(const ParsedFile&) = delete;
  ~ParsedFile() {
    if (tree != nullptr) ts_tree_delete(tree);
  }

  SourceFile source;
  TSTree* tree = nullptr;
  uint32_t line_count = 0;
  // One kSyntaxError per ERROR/MISSING node (outermost ERROR only), capped per file.
  std::vector<ir::Problem> problems;
};

// OK when the tree-sitter runtime can load a grammar of ABI `version`, else FailedPrecondition.
absl::Status CheckLanguageVersion(uint32_t version);

// At most this many syntax errors are listed per file; one more Problem says how many were left.
inline constexpr size_t kMaxSyntaxProblems = 50;

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_PARSED_FILE_H_
