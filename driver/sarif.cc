#include "driver/sarif.h"

#include <filesystem>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driver/fingerprints.h"
#include "driver/rules_doc.h"

#ifndef FLOPSCOPE_VERSION
#define FLOPSCOPE_VERSION "0.0.0"
#endif

namespace flopscope::driver {

using json::Value;
namespace fs = std::filesystem;

namespace {

constexpr absl::string_view kSrcRoot = "%SRCROOT%";
constexpr absl::string_view kSchemaUri =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
constexpr absl::string_view kFingerprintKey = "flopscopeFingerprint/v1";

// The catalog category of a rule, by the hundreds digit of its code (a GitHub tag).
absl::string_view FamilyTag(checkers::RuleId id) {
  switch (id.number() / 100) {
    case 1:
      return "model-loading";
    case 2:
      return "forward-pass";
    case 3:
      return "hooks-activations";
    case 4:
      return "memory-precision";
    case 5:
      return "data-loading";
    case 6:
      return "batching-parallelism";
    case 7:
      return "checkpointing-reproducibility";
    default:
      return "other";
  }
}

// GitHub's problem.severity vocabulary: error, warning, recommendation.
absl::string_view ProblemSeverity(checkers::Severity severity) {
  absl::string_view level = SarifLevel(severity);
  return level == "note" ? "recommendation" : level;
}

int PrecisionRank(absl::string_view precision) {
  if (precision == "very-high") return 3;
  if (precision == "high") return 2;
  if (precision == "medium") return 1;
  return 0;
}

Value Text(absl::string_view text) {
  Value v = Value::Object();
  v.Set("text", text);
  return v;
}

std::string AbsoluteDirectory(absl::string_view root) {
  std::error_code ec;
  fs::path path = root.empty() ? fs::current_path(ec) : fs::path(std::string(root));
  if (path.is_relative()) path = fs::absolute(path, ec);
  return path.lexically_normal().generic_string();
}

std::string FileUri(absl::string_view absolute_path) {
  return absl::StrCat("file://", PercentEncodePath(absolute_path));
}

// Where each file goes in run.artifacts and how its URI is written.
class Artifacts {
 public:
  explicit Artifacts(std::string root) : root_(std::move(root)) {}

  int Add(absl::string_view path) {
    auto it = index_.find(path);
    if (it != index_.end()) return it->second;
    int index = static_cast<int>(entries_.size());
    entries_.push_back(MakeEntry(path));
    index_.emplace(std::string(path), index);
    return index;
  }

  // artifactLocation for `path` (which must have been added).
  Value Location(absl::string_view path) const {
    int index = index_.at(std::string(path));
    Value loc = entries_[static_cast<size_t>(index)].location;
    loc.Set("index", index);
    return loc;
  }

  Value ToJson() const {
    Value out = Value::Array();
    for (const Entry& e : entries_) {
      Value artifact = Value::Object();
      artifact.Set("location", e.location);
      if (absl::EndsWith(e.path, ".py")) artifact.Set("sourceLanguage", "python");
      out.Push(std::move(artifact));
    }
    return out;
  }

  // The URI a fingerprint uses for `path`: relative to the root when possible.
  std::string FingerprintUri(absl::string_view path) const {
    const Entry& e = entries_[static_cast<size_t>(index_.at(std::string(path)))];
    return e.location.Get("uri")->AsString();
  }

 private:
  struct Entry {
    std::string path;
    Value location;
  };

  Entry MakeEntry(absl::string_view path) const {
    std::error_code ec;
    fs::path p{std::string(path)};
    if (p.is_relative()) p = fs::absolute(p, ec);
    p = p.lexically_normal();
    fs::path relative = p.lexically_relative(fs::path(root_));
    Value location = Value::Object();
    std::string rel = relative.generic_string();
    if (!rel.empty() && rel != "." && !absl::StartsWith(rel, "..")) {
      location.Set("uri", PercentEncodePath(rel));
      location.Set("uriBaseId", kSrcRoot);
    } else {
      // Outside the root: an absolute file URI, which needs no base.
      location.Set("uri", FileUri(p.generic_string()));
    }
    return Entry{std::string(path), std::move(location)};
  }

  std::string root_;
  std::vector<Entry> entries_;
  std::map<std::string, int, std::less<>> index_;
};

// Builds locations with UTF-16 columns from the files' text.
class Locator {
 public:
  Locator(const Report& report, Artifacts& artifacts) : texts_(report), artifacts_(artifacts) {}

  std::optional<Value> Region(const checkers::Location& location) {
    const ir::SourceRange& r = location.range;
    if (!r.valid()) return std::nullopt;
    const std::string* text = texts_.Get(location.path);
    auto column = [&](uint32_t line, uint32_t byte_col) {
      if (text == nullptr || byte_col == 0) return byte_col;
      return Utf16Column(LineOf(*text, line), byte_col);
    };
    Value region = Value::Object();
    region.Set("startLine", r.line);
    uint32_t start_col = column(r.line, r.col);
    if (start_col > 0) region.Set("startColumn", start_col);
    if (r.end_line >= r.line && r.end_col > 0) {
      uint32_t end_col = column(r.end_line, r.end_col);
      // SARIF regions must not end before they start.
      if (r.end_line > r.line || end_col > start_col) {
        region.Set("endLine", r.end_line);
        region.Set("endColumn", end_col);
      }
    }
    return region;
  }

  Value PhysicalLocation(const checkers::Location& location) {
    artifacts_.Add(location.path);
    Value physical = Value::Object();
    physical.Set("artifactLocation", artifacts_.Location(location.path));
    if (std::optional<Value> region = Region(location)) physical.Set("region", *std::move(region));
    return physical;
  }

  // A SARIF location with a message.
  Value MessageLocation(const checkers::Location& location, absl::string_view message) {
    Value loc = Value::Object();
    loc.Set("physicalLocation", PhysicalLocation(location));
    if (!message.empty()) loc.Set("message", Text(message));
    return loc;
  }

  // GitHub's line hash of the location's line, when the file's text is available.
  std::optional<std::string> LineHash(const checkers::Location& location) {
    if (!location.range.valid()) return std::nullopt;
    const std::string* text = texts_.Get(location.path);
    if (text == nullptr) return std::nullopt;
    auto it = hashes_.find(location.path);
    if (it == hashes_.end()) it = hashes_.emplace(location.path, LineHashes(*text)).first;
    if (location.range.line > it->second.size()) return std::nullopt;
    return it->second[location.range.line - 1];
  }

 private:
  SourceTexts texts_;
  Artifacts& artifacts_;
  absl::flat_hash_map<std::string, std::vector<std::string>> hashes_;
};

std::string HelpMarkdown(const checkers::RuleInfo& rule, std::optional<absl::string_view> page) {
  if (page.has_value()) return std::string(*page);
  return absl::StrCat("# ", rule.Code(), " · ", rule.slug, "\n\n", rule.summary, "\n");
}

Value RuleDescriptor(const checkers::RuleInfo& rule, absl::string_view precision) {
  std::optional<absl::string_view> page = EmbeddedRuleDoc(rule.Stem());
  std::string full = page.has_value() ? MarkdownSection(*page, "What it does") : "";
  if (full.empty()) full = std::string(rule.summary);
  std::string markdown = HelpMarkdown(rule, page);

  Value d = Value::Object();
  d.Set("id", rule.Code());
  d.Set("name", rule.name);
  d.Set("shortDescription", Text(rule.summary));
  d.Set("fullDescription", Text(MarkdownToPlainText(full)));
  Value help = Value::Object();
  help.Set("text", MarkdownToPlainText(markdown));
  help.Set("markdown", markdown);
  d.Set("help", std::move(help));
  Value config = Value::Object();
  config.Set("level", SarifLevel(rule.severity));
  d.Set("defaultConfiguration", std::move(config));
  Value properties = Value::Object();
  Value tags = Value::Array();
  tags.Push("efficiency");
  tags.Push(FamilyTag(rule.id));
  tags.Push(rule.slug);
  properties.Set("tags", std::move(tags));
  properties.Set("precision", precision);
  properties.Set("problem.severity", ProblemSeverity(rule.severity));
  properties.Set("severity", checkers::SeverityName(rule.severity));
  d.Set("properties", std::move(properties));
  return d;
}

// Rule-level precision: the lowest precision among this run's findings of the rule (a rule is as
// trustworthy as its weakest finding); "medium" for a rule without findings.
absl::flat_hash_map<int, std::string> RulePrecisions(const Report& report) {
  absl::flat_hash_map<int, std::string> out;
  for (const checkers::Diagnostic& d : report.findings) {
    std::string precision(d.confidence.Precision());
    auto [it, inserted] = out.emplace(d.rule.number(), precision);
    if (!inserted && PrecisionRank(precision) < PrecisionRank(it->second)) it->second = precision;
  }
  return out;
}

// The call path as one codeFlow, starting at the reported line: when the checker's first step is
// elsewhere, the primary location (with the finding's message) is put first.
Value CodeFlow(const checkers::Diagnostic& d, Locator& locator) {
  Value steps = Value::Array();
  auto add_step = [&](const checkers::Location& loc, absl::string_view message) {
    Value step = Value::Object();
    step.Set("location", locator.MessageLocation(loc, message));
    steps.Push(std::move(step));
  };
  const checkers::Location& first = d.call_path.front().location;
  if (first.path != d.location.path || first.range.line != d.location.range.line) {
    add_step(d.location, d.message);
  }
  for (const checkers::PathStep& step : d.call_path) add_step(step.location, step.Text());

  Value thread = Value::Object();
  thread.Set("locations", std::move(steps));
  Value threads = Value::Array();
  threads.Push(std::move(thread));
  Value flow = Value::Object();
  flow.Set("message", Text(absl::StrCat("how `", d.logical_location.empty() ? "this code"
                                                                              : d.logical_location,
                                        "` reaches the problem")));
  flow.Set("threadFlows", std::move(threads));
  Value flows = Value::Array();
  flows.Push(std::move(flow));
  return flows;
}

Value Result(const Report& report, const checkers::Diagnostic& d, Locator& locator,
             Artifacts& artifacts, absl::flat_hash_map<std::string, int>& fingerprint_counts) {
  const checkers::RuleInfo& rule = report.RuleOf(d);
  Value r = Value::Object();
  r.Set("ruleId", rule.Code());
  r.Set("ruleIndex", report.registry->IndexOf(rule.id));
  r.Set("level", SarifLevel(rule.severity));
  r.Set("message", Text(d.message));

  Value location = Value::Object();
  location.Set("physicalLocation", locator.PhysicalLocation(d.location));
  if (!d.logical_location.empty()) {
    Value logical = Value::Object();
    logical.Set("fullyQualifiedName", d.logical_location);
    logical.Set("kind", "function");
    Value logicals = Value::Array();
    logicals.Push(std::move(logical));
    location.Set("logicalLocations", std::move(logicals));
  }
  Value locations = Value::Array();
  locations.Push(std::move(location));
  r.Set("locations", std::move(locations));

  if (!d.call_path.empty()) r.Set("codeFlows", CodeFlow(d, locator));

  if (!d.related.empty()) {
    Value related = Value::Array();
    int id = 1;
    for (const checkers::RelatedLocation& rel : d.related) {
      Value loc = locator.MessageLocation(rel.location, rel.message);
      loc.Set("id", id++);
      related.Push(std::move(loc));
    }
    r.Set("relatedLocations", std::move(related));
  }

  Value fingerprints = Value::Object();
  if (std::optional<std::string> hash = locator.LineHash(d.location)) {
    fingerprints.Set("primaryLocationLineHash", *hash);
  }
  std::string stable = StableFingerprint(rule.Code(), artifacts.FingerprintUri(d.location.path),
                                         d.logical_location, d.message);
  int occurrence = ++fingerprint_counts[stable];
  fingerprints.Set(kFingerprintKey, absl::StrCat(stable, ":", occurrence));
  r.Set("partialFingerprints", std::move(fingerprints));

  Value properties = Value::Object();
  properties.Set("slug", rule.slug);
  properties.Set("severity", checkers::SeverityName(rule.severity));
  properties.Set("confidence", d.confidence.score);
  properties.Set("confidenceLevel", checkers::ConfidenceLevelName(d.confidence.level()));
  properties.Set("precision", d.confidence.Precision());
  if (!d.confidence.evidence.empty()) properties.Set("evidence", d.confidence.evidence);
  if (!d.help.empty()) properties.Set("fix", d.help);
  r.Set("properties", std::move(properties));
  return r;
}

Value NotificationJson(const Notification& n, Locator& locator) {
  Value v = Value::Object();
  v.Set("level", NotificationLevelName(n.level));
  v.Set("message", Text(n.message));
  if (!n.id.empty()) {
    Value descriptor = Value::Object();
    descriptor.Set("id", n.id);
    v.Set("descriptor", std::move(descriptor));
  }
  if (!n.path.empty()) {
    Value loc = Value::Object();
    loc.Set("physicalLocation", locator.PhysicalLocation(checkers::Location{n.path, n.range}));
    Value locations = Value::Array();
    locations.Push(std::move(loc));
    v.Set("locations", std::move(locations));
  }
  return v;
}

}  // namespace

absl::string_view SarifLevel(checkers::Severity severity) {
  switch (severity) {
    case checkers::Severity::kCritical:
    case checkers::Severity::kHigh:
      return "error";
    case checkers::Severity::kMedium:
      return "warning";
    case checkers::Severity::kLow:
      return "note";
  }
  return "warning";
}

std::string PercentEncodePath(absl::string_view path) {
  std::string out;
  for (char c : path) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' ||
        c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
        c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", u);
    }
  }
  return out;
}

Value BuildSarif(const Report& report) {
  std::string root = AbsoluteDirectory(report.root);
  Artifacts artifacts(root);
  for (const std::string& file : report.files) artifacts.Add(file);
  Locator locator(report, artifacts);

  Value results = Value::Array();
  absl::flat_hash_map<std::string, int> fingerprint_counts;
  for (const checkers::Diagnostic& d : report.findings) {
    results.Push(Result(report, d, locator, artifacts, fingerprint_counts));
  }
  // Suppressed in the source: still results, so code scanning shows them as suppressed rather
  // than as fixed.
  for (const checkers::Diagnostic& d : report.suppressed) {
    Value result = Result(report, d, locator, artifacts, fingerprint_counts);
    Value suppression = Value::Object();
    suppression.Set("kind", "inSource");
    Value suppressions = Value::Array();
    suppressions.Push(std::move(suppression));
    result.Set("suppressions", std::move(suppressions));
    results.Push(std::move(result));
  }
  Value notifications = Value::Array();
  for (const Notification& n : report.notifications) {
    notifications.Push(NotificationJson(n, locator));
  }

  absl::flat_hash_map<int, std::string> precisions = RulePrecisions(report);
  Value rules = Value::Array();
  for (const checkers::RuleInfo& rule : report.registry->rules()) {
    auto it = precisions.find(rule.id.number());
    rules.Push(RuleDescriptor(rule, it == precisions.end() ? "medium" : it->second));
  }

  Value driver = Value::Object();
  driver.Set("name", "flopscope");
  driver.Set("version", FLOPSCOPE_VERSION);
  driver.Set("semanticVersion", FLOPSCOPE_VERSION);
  driver.Set("rules", std::move(rules));
  Value tool = Value::Object();
  tool.Set("driver", std::move(driver));

  Value invocation = Value::Object();
  invocation.Set("executionSuccessful", true);
  invocation.Set("toolExecutionNotifications", std::move(notifications));
  Value invocations = Value::Array();
  invocations.Push(std::move(invocation));

  Value base = Value::Object();
  base.Set("uri", FileUri(absl::EndsWith(root, "/") ? root : absl::StrCat(root, "/")));
  Value bases = Value::Object();
  bases.Set(kSrcRoot, std::move(base));

  Value run = Value::Object();
  run.Set("tool", std::move(tool));
  run.Set("invocations", std::move(invocations));
  run.Set("originalUriBaseIds", std::move(bases));
  run.Set("artifacts", artifacts.ToJson());
  run.Set("columnKind", "utf16CodeUnits");
  run.Set("results", std::move(results));
  Value runs = Value::Array();
  runs.Push(std::move(run));

  Value log = Value::Object();
  log.Set("$schema", kSchemaUri);
  log.Set("version", "2.1.0");
  log.Set("runs", std::move(runs));
  return log;
}

std::string RenderSarif(const Report& report) {
  return absl::StrCat(BuildSarif(report).Serialize(2), "\n");
}

}  // namespace flopscope::driver
