// Position and identity helpers for SARIF: UTF-16 columns (GitHub code scanning reads columns as
// UTF-16 code units; the IR counts UTF-8 bytes), GitHub's primaryLocationLineHash, and
// flopscope's own fingerprint that survives unrelated edits.
//
// Users: driver/sarif.cc; tests.
#ifndef FLOPSCOPE_DRIVER_FINGERPRINTS_H_
#define FLOPSCOPE_DRIVER_FINGERPRINTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace flopscope::driver {

// The 1-based UTF-16 column of the 1-based UTF-8 byte column `byte_col` on `line` (the line's text
// without terminator). Characters outside the BMP count two units; invalid bytes count one each;
// a column past the end of the line keeps its distance from the end.
uint32_t Utf16Column(absl::string_view line, uint32_t byte_col);

// primaryLocationLineHash for every line of `text`, the way GitHub's CodeQL action computes it
// (src/fingerprints.ts, function `hash`): a base-37 rolling hash over the next 100 UTF-16 code
// units starting at each line, with spaces and tabs skipped and \r, \r\n normalized to \n, an
// end-of-file mark (65535) and zero padding at the end; rendered as lowercase hex without leading
// zeros plus ":<k>", k counting earlier lines with the same hash. Element i is for line i + 1; the
// vector has one more entry than the text has newlines.
std::vector<std::string> LineHashes(absl::string_view text);

// flopscope's location-independent identity of a finding: XXH64 of the rule code, the file's
// URI, the logical location (function) and the message with whitespace runs collapsed, as 16
// lowercase hex digits. Inserting or deleting unrelated lines does not change it; sarif.cc appends
// ":<k>" to tell apart identical findings in one function.
std::string StableFingerprint(absl::string_view rule_code, absl::string_view uri,
                              absl::string_view logical_location, absl::string_view message);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_FINGERPRINTS_H_
