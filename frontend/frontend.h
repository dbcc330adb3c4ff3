// The frontend's public face: parse one Python source with tree-sitter, then lower the tree to a
// pre-SSA ir::ModuleUnit. Nothing above this layer sees tree-sitter.
//
// Lowering never fails: what it cannot model becomes an Opaque instruction with its range, and
// syntax errors (tree-sitter's ERROR/MISSING nodes) become Problems on the module while the rest
// of the file is still lowered. Locals are emitted as LoadVar/StoreVar kLocal; ir::BuildSsa
// turns them into SSA values afterwards.
#ifndef FLOPSCOPE_FRONTEND_FRONTEND_H_
#define FLOPSCOPE_FRONTEND_FRONTEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace flopscope::frontend {

struct SourceFile {
  std::string path;         // as reported to users (relative to the analysis root when possible)
  std::string module_name;  // dotted, from the repository layout ("pkg.mod"; "pkg" for __init__)
  bool is_package = false;  // the file is a package's __init__.py
  std::string text;         // the file's bytes (must be valid UTF-8; the driver checks)
};

// A parsed file: owns the tree-sitter tree and the source. Opaque above the frontend.
struct ParsedFile;
struct ParsedFileDeleter {
  void operator()(ParsedFile* file) const;
};
using ParsedFilePtr = std::unique_ptr<ParsedFile, ParsedFileDeleter>;

// Fails only when the parser cannot run at all (grammar ABI mismatch: FailedPrecondition) or the
// input exceeds what the frontend accepts (InvalidArgument, e.g. nesting deeper than it recurses).
absl::StatusOr<ParsedFilePtr> Parse(SourceFile source);

// Lowers every function, class, lambda and comprehension of the file. Syntax errors found in the
// tree are recorded in the result's module.problems.
ir::ModuleUnit Lower(const ParsedFile& parsed);

// Parse + Lower, for tests and single-file tools.
absl::StatusOr<ir::ModuleUnit> ParseAndLower(SourceFile source);

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_FRONTEND_H_
