#include "driver/source_reader.h"

#include <fcntl.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/utf8.h"

namespace flopscope::driver {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

ir::Problem MakeProblem(ir::Problem::Kind kind, const std::string& path, std::string message,
                        ir::SourceRange range = {}) {
  ir::Problem problem;
  problem.kind = kind;
  problem.path = path;
  problem.range = range;
  problem.message = std::move(message);
  return problem;
}

// Converts `bytes` from `encoding` to UTF-8 with iconv; nullopt when iconv does not know the
// encoding or the bytes are not valid in it.
std::optional<std::string> ConvertToUtf8(const std::string& bytes, const std::string& encoding,
                                         std::string* error) {
  iconv_t cd = ::iconv_open("UTF-8", encoding.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    *error = absl::StrCat("unknown source encoding `", encoding, "`");
    return std::nullopt;
  }
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t result = ::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  ::iconv_close(cd);
  if (result == static_cast<size_t>(-1)) {
    *error = absl::StrFormat("bytes not valid in the declared encoding `%s` at byte offset %d",
                             encoding, bytes.size() - in_left);
    return std::nullopt;
  }
  out.resize(out.size() - out_left);
  return out;
}

// The coding declaration on one line: `[ \t\f]*#...coding[:=][ \t]*NAME`.
std::string EncodingOnLine(absl::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f')) ++i;
  if (i == line.size() || line[i] != '#') return "";
  for (size_t at = line.find("coding", i); at != absl::string_view::npos;
       at = line.find("coding", at + 1)) {
    size_t k = at + 6;
    if (k >= line.size() || (line[k] != ':' && line[k] != '=')) continue;
    ++k;
    while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
    size_t end = k;
    while (end < line.size() && (absl::ascii_isalnum(static_cast<unsigned char>(line[end])) ||
                                 line[end] == '-' || line[end] == '_' || line[end] == '.')) {
      ++end;
    }
    if (end > k) return std::string(line.substr(k, end - k));
  }
  return "";
}

bool IsBlankOrComment(absl::string_view line) {
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\f' || c == '\r') continue;
    return c == '#';
  }
  return true;
}

std::string NormalizeEncoding(std::string name) {
  name = absl::AsciiStrToLower(name);
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  if (name == "utf-8" || name == "utf8" || absl::StartsWith(name, "utf-8-")) return "utf-8";
  for (absl::string_view latin : {"latin-1", "iso-8859-1", "iso-latin-1"}) {
    if (name == latin || absl::StartsWith(name, absl::StrCat(latin, "-"))) return "iso-8859-1";
  }
  return name;
}

}  // namespace

ir::SourceRange RangeAtOffset(absl::string_view text, size_t offset) {
  ir::SourceRange range;
  range.line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++range.line;
      line_start = i + 1;
    }
  }
  range.col = static_cast<uint32_t>(offset - line_start + 1);
  range.end_line = range.line;
  range.end_col = range.col + 1;
  return range;
}

std::string DeclaredEncoding(absl::string_view bytes) {
  if (absl::StartsWith(bytes, kBom)) bytes.remove_prefix(kBom.size());
  const size_t first_end = bytes.find('\n');
  const absl::string_view first = bytes.substr(0, first_end);
  std::string name = EncodingOnLine(first);
  // Python looks at the second line only when the first holds nothing but a comment.
  if (name.empty() && first_end != absl::string_view::npos && IsBlankOrComment(first)) {
    const absl::string_view rest = bytes.substr(first_end + 1);
    name = EncodingOnLine(rest.substr(0, rest.find('\n')));
  }
  return name.empty() ? name : NormalizeEncoding(std::move(name));
}

std::optional<std::string> DecodeSource(std::string bytes, const std::string& path,
                                        std::vector<ir::Problem>& problems) {
  if (const size_t nul = bytes.find('\0'); nul != std::string::npos) {
    problems.push_back(MakeProblem(
        ir::Problem::Kind::kOther, path,
        "not analyzed: source contains a NUL byte (Python refuses to compile it)",
        RangeAtOffset(bytes, nul)));
    return std::nullopt;
  }
  if (absl::StartsWith(bytes, kBom)) bytes.erase(0, kBom.size());
  const std::string encoding = DeclaredEncoding(bytes);
  if (!encoding.empty() && encoding != "utf-8") {
    std::string error;
    if (std::optional<std::string> converted = ConvertToUtf8(bytes, encoding, &error)) {
      return converted;
    }
    problems.push_back(MakeProblem(ir::Problem::Kind::kNotUtf8, path,
                                   absl::StrCat(error, "; read as UTF-8 instead")));
  }
  size_t first_bad = 0;
  if (const size_t bad = utf8::ReplaceInvalid(bytes, &first_bad); bad != 0) {
    problems.push_back(MakeProblem(
        ir::Problem::Kind::kNotUtf8, path,
        absl::StrFormat("not valid UTF-8 at byte offset %d (%d invalid byte%s replaced with "
                        "U+FFFD; analyzed anyway)",
                        first_bad, bad, bad == 1 ? "" : "s"),
        RangeAtOffset(bytes, first_bad)));
  }
  return bytes;
}

std::optional<std::string> ReadSourceFile(const std::string& path, const ReadLimits& limits,
                                          std::vector<ir::Problem>& problems) {
  // O_NONBLOCK: a FIFO swapped in after discovery must not block the whole run.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    problems.push_back(MakeProblem(ir::Problem::Kind::kUnreadable, path,
                                   absl::StrCat("not analyzed: ", std::strerror(errno))));
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    problems.push_back(MakeProblem(ir::Problem::Kind::kUnreadable, path,
                                   "not analyzed: not a regular file"));
    return std::nullopt;
  }
  if (static_cast<uint64_t>(st.st_size) > limits.max_bytes) {
    ::close(fd);
    problems.push_back(MakeProblem(
        ir::Problem::Kind::kTooLarge, path,
        absl::StrFormat("not analyzed: %d bytes is over the %d-byte limit", st.st_size,
                        limits.max_bytes)));
    return std::nullopt;
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (true) {
    if (done == bytes.size()) bytes.resize(bytes.size() + 4096);  // the file grew meanwhile
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      problems.push_back(MakeProblem(ir::Problem::Kind::kUnreadable, path,
                                     absl::StrCat("not analyzed: ", std::strerror(error))));
      return std::nullopt;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
    if (done > limits.max_bytes) break;
  }
  ::close(fd);
  bytes.resize(done);
  if (bytes.size() > limits.max_bytes) {
    problems.push_back(MakeProblem(ir::Problem::Kind::kTooLarge, path,
                                   absl::StrFormat("not analyzed: over the %d-byte limit",
                                                   limits.max_bytes)));
    return std::nullopt;
  }
  return DecodeSource(std::move(bytes), path, problems);
}

}  // namespace flopscope::driver
