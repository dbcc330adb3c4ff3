// PrintFunction / PrintModule: the IR's stable text form. It is read by people (`flopscope ir`)
// and compared byte for byte by golden tests, so everything here is deterministic: blocks and
// instructions in id order, maps sorted by key, and every field that a later pass depends on is
// shown (ranges, aux meanings, regions, loops), so a golden diff reveals any change in lowering.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::ir {
namespace {

// Instructions are padded to this width before their "; line:col" comment.
constexpr size_t kRangeColumn = 52;

std::string Quote(absl::string_view text) { return absl::StrCat("\"", absl::CHexEscape(text), "\""); }

std::string V(InstrId id) { return id.valid() ? absl::StrCat("%", id.value()) : "%?"; }
std::string B(BlockId id) { return id.valid() ? absl::StrCat("bb", id.value()) : "bb?"; }

// "LoadAttr" -> "load_attr".
std::string SnakeName(Opcode op) {
  std::string out;
  for (char c : OpcodeName(op)) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::string_view ScopeName(int32_t aux) {
  switch (static_cast<VarScope>(aux)) {
    case VarScope::kLocal: return "local";
    case VarScope::kGlobal: return "global";
    case VarScope::kClass: return "class";
    case VarScope::kCell: return "cell";
  }
  return "scope?";
}

absl::string_view ConstKindName(int32_t aux) {
  switch (static_cast<ConstKind>(aux)) {
    case ConstKind::kNone: return "none";
    case ConstKind::kBool: return "bool";
    case ConstKind::kInt: return "int";
    case ConstKind::kFloat: return "float";
    case ConstKind::kComplex: return "complex";
    case ConstKind::kString: return "str";
    case ConstKind::kBytes: return "bytes";
    case ConstKind::kEllipsis: return "ellipsis";
  }
  return "const?";
}

absl::string_view FunctionKindName(FunctionKind kind) {
  switch (kind) {
    case FunctionKind::kModule: return "module";
    case FunctionKind::kFunction: return "function";
    case FunctionKind::kLambda: return "lambda";
    case FunctionKind::kComprehension: return "comprehension";
    case FunctionKind::kClassBody: return "class_body";
  }
  return "kind?";
}

absl::string_view ProblemKindName(Problem::Kind kind) {
  switch (kind) {
    case Problem::Kind::kSyntaxError: return "syntax_error";
    case Problem::Kind::kUnreadable: return "unreadable";
    case Problem::Kind::kNotUtf8: return "not_utf8";
    case Problem::Kind::kTooLarge: return "too_large";
    case Problem::Kind::kTooDeep: return "too_deep";
    case Problem::Kind::kOther: return "other";
  }
  return "problem?";
}

std::string RangeText(const SourceRange& range) {
  if (!range.valid()) return "?";
  return absl::StrCat(range.line, ":", range.col);
}

std::string FuncName(const Program& program, int32_t func) {
  if (func < 0 || static_cast<size_t>(func) >= program.functions().size()) {
    return absl::StrCat("func#", func);
  }
  return program.functions()[static_cast<size_t>(func)].qualname;
}

std::string ClassName(const Program& program, int32_t cls) {
  if (cls < 0 || static_cast<size_t>(cls) >= program.classes().size()) {
    return absl::StrCat("class#", cls);
  }
  return program.classes()[static_cast<size_t>(cls)].qualname;
}

// Operand i with its arg_names marker: "" -> "%3", "*" -> "*%3", "**" -> "**%3", "k" -> "k=%3".
std::string NamedOperand(const Instr& instr, size_t i) {
  const std::string value = V(instr.operands[i]);
  if (i >= instr.arg_names.size() || instr.arg_names[i].empty()) return value;
  const std::string& name = instr.arg_names[i];
  if (name == "*" || name == "**") return absl::StrCat(name, value);
  return absl::StrCat(name, "=", value);
}

std::string NamedOperands(const Instr& instr, size_t first) {
  std::vector<std::string> parts;
  for (size_t i = first; i < instr.operands.size(); ++i) {
    // Call's arg_names are parallel to args (operands[1:]), the others' to all operands.
    if (instr.op == Opcode::kCall) {
      std::string value = V(instr.operands[i]);
      const size_t name_index = i - 1;
      if (name_index < instr.arg_names.size() && !instr.arg_names[name_index].empty()) {
        const std::string& name = instr.arg_names[name_index];
        value = (name == "*" || name == "**") ? absl::StrCat(name, value)
                                              : absl::StrCat(name, "=", value);
      }
      parts.push_back(std::move(value));
    } else {
      parts.push_back(NamedOperand(instr, i));
    }
  }
  return absl::StrJoin(parts, ", ");
}

std::string PlainOperands(const Instr& instr) {
  std::vector<std::string> parts;
  for (InstrId op : instr.operands) parts.push_back(V(op));
  return absl::StrJoin(parts, ", ");
}

std::string DictOperands(const Instr& instr) {
  std::vector<std::string> parts;
  for (size_t i = 0; i + 1 < instr.operands.size(); i += 2) {
    const size_t pair = i / 2;
    if (pair < instr.arg_names.size() && instr.arg_names[pair] == "**") {
      parts.push_back(absl::StrCat("**", V(instr.operands[i])));
    } else {
      parts.push_back(absl::StrCat(V(instr.operands[i]), ": ", V(instr.operands[i + 1])));
    }
  }
  if (instr.operands.size() % 2 == 1) parts.push_back(absl::StrCat("?", V(instr.operands.back())));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string Targets(const Instr& instr) {
  std::vector<std::string> parts;
  for (BlockId target : instr.targets) parts.push_back(B(target));
  return absl::StrJoin(parts, ", ");
}

// The instruction's body after "%N = ": opcode name, then the fields that opcode uses.
std::string InstrBody(const Program& program, const Instr& instr) {
  const std::string name = SnakeName(instr.op);
  const auto with_operands = [&](std::string tail) {
    std::string ops = PlainOperands(instr);
    return absl::StrCat(name, ops.empty() ? "" : " ", ops, tail);
  };
  switch (instr.op) {
    case Opcode::kConst:
      return absl::StrCat(name, " ", ConstKindName(instr.aux), " ", Quote(instr.text));
    case Opcode::kParam:
      return absl::StrCat(name, " ", instr.aux, " ", Quote(instr.text));
    case Opcode::kLoadVar:
    case Opcode::kStoreVar:
    case Opcode::kDelVar:
      return absl::StrCat(name, " ", ScopeName(instr.aux), " ", Quote(instr.text),
                          instr.operands.empty() ? "" : ", ", PlainOperands(instr));
    case Opcode::kLoadAttr:
    case Opcode::kDelAttr:
    case Opcode::kBinaryOp:
    case Opcode::kInplaceOp:
    case Opcode::kUnaryOp:
    case Opcode::kCompare:
    case Opcode::kFormatString:
    case Opcode::kMatchTest:
    case Opcode::kMatchBind:
    case Opcode::kOpaque:
      return with_operands(absl::StrCat(" ", Quote(instr.text)));
    case Opcode::kStoreAttr:
      // operands = [object, value]: show the attribute next to the object.
      if (instr.operands.size() == 2) {
        return absl::StrCat(name, " ", V(instr.operands[0]), " ", Quote(instr.text), ", ",
                            V(instr.operands[1]));
      }
      return with_operands(absl::StrCat(" ", Quote(instr.text)));
    case Opcode::kCall:
      if (instr.operands.empty()) return absl::StrCat(name, " ?()");
      return absl::StrCat(name, " ", V(instr.operands[0]), "(", NamedOperands(instr, 1), ")");
    case Opcode::kMakeFunction:
      return absl::StrCat(name, " @", FuncName(program, instr.aux), "(", NamedOperands(instr, 0),
                          ")");
    case Opcode::kMakeClass:
      return absl::StrCat(name, " @", ClassName(program, instr.aux), "(", NamedOperands(instr, 0),
                          ")");
    case Opcode::kImport:
    case Opcode::kImportStar:
      return absl::StrCat(name, " ", Quote(instr.text), " level ", instr.aux);
    case Opcode::kBuildTuple:
    case Opcode::kBuildList:
    case Opcode::kBuildSet: {
      std::string ops = NamedOperands(instr, 0);
      return absl::StrCat(name, ops.empty() ? "" : " ", ops);
    }
    case Opcode::kBuildDict:
      return absl::StrCat(name, " ", DictOperands(instr));
    case Opcode::kGetIter:
      return with_operands(instr.aux != 0 ? " async" : "");
    case Opcode::kUnpackItem:
      return with_operands(absl::StrCat(" index ", instr.aux));
    case Opcode::kUnpackStar:
      return with_operands(absl::StrCat(" before ", instr.aux, " after ", instr.text));
    case Opcode::kWithEnter:
    case Opcode::kWithExit:
      return with_operands(absl::StrCat(" with ", instr.aux));
    case Opcode::kUndefined:
      return absl::StrCat(name, " ", Quote(instr.text));
    case Opcode::kPhi: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < std::max(instr.operands.size(), instr.targets.size()); ++i) {
        const BlockId from = i < instr.targets.size() ? instr.targets[i] : BlockId();
        const InstrId value = i < instr.operands.size() ? instr.operands[i] : InstrId();
        parts.push_back(absl::StrCat("[", B(from), ": ", V(value), "]"));
      }
      return absl::StrCat(name, instr.text.empty() ? "" : " ", instr.text.empty() ? "" : Quote(instr.text),
                          " ", absl::StrJoin(parts, ", "));
    }
    case Opcode::kJump:
      return absl::StrCat(name, " ", Targets(instr));
    case Opcode::kBranch:
    case Opcode::kForIter: {
      std::string ops = PlainOperands(instr);
      return absl::StrCat(name, " ", ops, ops.empty() ? "" : ", ", Targets(instr));
    }
    case Opcode::kLoadSubscript:
    case Opcode::kStoreSubscript:
    case Opcode::kDelSubscript:
    case Opcode::kBuildSlice:
    case Opcode::kYield:
    case Opcode::kYieldFrom:
    case Opcode::kAwait:
    case Opcode::kCaughtException:
    case Opcode::kReturn:
    case Opcode::kRaise:
    case Opcode::kUnreachable:
      return with_operands("");
  }
  return with_operands("");
}

std::string InstrLine(const Program& program, const Function& fn, InstrId id) {
  const Instr& instr = fn.instr(id);
  std::string line = "    ";
  if (HasResult(instr.op)) absl::StrAppend(&line, V(id), " = ");
  absl::StrAppend(&line, InstrBody(program, instr));
  if (instr.range.valid()) {
    if (line.size() < kRangeColumn) line.resize(kRangeColumn, ' ');
    absl::StrAppend(&line, " ; ", RangeText(instr.range));
  }
  return line;
}

std::string ParamList(const Function& fn) {
  std::vector<std::string> parts;
  bool star_seen = false;
  for (size_t i = 0; i < fn.params.size(); ++i) {
    const Param& p = fn.params[i];
    std::string text;
    switch (p.kind) {
      case ParamKind::kPositionalOnly:
      case ParamKind::kPositional:
        text = p.name;
        break;
      case ParamKind::kVarArgs:
        text = absl::StrCat("*", p.name);
        star_seen = true;
        break;
      case ParamKind::kKeywordOnly:
        if (!star_seen) parts.push_back("*");
        star_seen = true;
        text = p.name;
        break;
      case ParamKind::kVarKeywords:
        text = absl::StrCat("**", p.name);
        break;
    }
    if (p.has_default) absl::StrAppend(&text, "=<default>");
    parts.push_back(std::move(text));
    const bool next_not_posonly =
        i + 1 == fn.params.size() || fn.params[i + 1].kind != ParamKind::kPositionalOnly;
    if (p.kind == ParamKind::kPositionalOnly && next_not_posonly) parts.push_back("/");
  }
  return absl::StrJoin(parts, ", ");
}

std::string BlockList(const std::vector<BlockId>& blocks) {
  std::vector<std::string> parts;
  for (BlockId b : blocks) parts.push_back(B(b));
  return absl::StrJoin(parts, ", ");
}

std::string IdOrDash(int32_t value, bool valid) { return valid ? absl::StrCat(value) : "-"; }

void AppendHeader(const Program& program, const Function& fn, std::string& out) {
  std::string module_name;
  if (fn.module.valid() && fn.module.index() < program.modules().size()) {
    module_name = program.module(fn.module).name;
  }
  const std::string full = module_name.empty()    ? fn.qualname
                           : fn.kind == FunctionKind::kModule ? module_name
                                                              : absl::StrCat(module_name, ".", fn.qualname);
  absl::StrAppend(&out, "function ", full, "(", ParamList(fn), ") [kind=", FunctionKindName(fn.kind));
  if (fn.is_async) absl::StrAppend(&out, ", async");
  if (fn.is_generator) absl::StrAppend(&out, ", generator");
  if (fn.in_ssa) absl::StrAppend(&out, ", ssa");
  absl::StrAppend(&out, ", line ", fn.range.line, "]\n");
  if (fn.parent.valid()) {
    absl::StrAppend(&out, "  parent ", FuncName(program, fn.parent.value()), "\n");
  }
  if (fn.method_of.valid()) {
    absl::StrAppend(&out, "  method_of ", ClassName(program, fn.method_of.value()), "\n");
  }
  if (fn.class_of_body.valid()) {
    absl::StrAppend(&out, "  body_of ", ClassName(program, fn.class_of_body.value()), "\n");
  }
  if (fn.definition.valid()) absl::StrAppend(&out, "  definition ", V(fn.definition), "\n");
  if (!fn.decorator_calls.empty()) {
    std::vector<std::string> parts;
    for (InstrId d : fn.decorator_calls) parts.push_back(V(d));
    absl::StrAppend(&out, "  decorator_calls ", absl::StrJoin(parts, ", "), "\n");
  }
  if (!fn.cell_vars.empty()) absl::StrAppend(&out, "  cells ", absl::StrJoin(fn.cell_vars, ", "), "\n");
  if (!fn.free_vars.empty()) absl::StrAppend(&out, "  free ", absl::StrJoin(fn.free_vars, ", "), "\n");
  if (!fn.global_decls.empty()) {
    absl::StrAppend(&out, "  globals ", absl::StrJoin(fn.global_decls, ", "), "\n");
  }
}

void AppendRegionsAndLoops(const Function& fn, std::string& out) {
  for (const WithRegion& region : fn.with_regions) {
    absl::StrAppend(&out, "  with ", region.id.value(), ": enter ", V(region.enter), ", parent ",
                    IdOrDash(region.parent.value(), region.parent.valid()), region.is_async ? ", async" : "",
                    ", line ", RangeText(region.range), "\n");
  }
  for (const Loop& loop : fn.loops) {
    absl::StrAppend(&out, "  loop ", loop.id.value(), ": ", loop.is_while ? "while" : "for",
                    ", header ", B(loop.header), ", depth ", loop.depth, ", parent ",
                    IdOrDash(loop.parent.value(), loop.parent.valid()));
    if (loop.for_iter.valid()) absl::StrAppend(&out, ", for_iter ", V(loop.for_iter));
    absl::StrAppend(&out, ", line ", RangeText(loop.range), "\n");
    absl::StrAppend(&out, "    blocks [", BlockList(loop.blocks), "] exits [", BlockList(loop.exits),
                    "]\n");
  }
}

void AppendBlock(const Program& program, const Function& fn, const Block& block, std::string& out) {
  absl::StrAppend(&out, "  ", B(block.id), ":");
  if (block.id == fn.entry) absl::StrAppend(&out, " (entry)");
  if (!block.preds.empty()) absl::StrAppend(&out, " (preds ", BlockList(block.preds), ")");
  if (!block.exception_targets.empty()) {
    absl::StrAppend(&out, " (except ", BlockList(block.exception_targets), ")");
  }
  if (block.loop.valid()) absl::StrAppend(&out, " [loop ", block.loop.value(), "]");
  if (block.with_region.valid()) absl::StrAppend(&out, " [with ", block.with_region.value(), "]");
  if (block.instrs.empty()) absl::StrAppend(&out, " (empty)");
  absl::StrAppend(&out, "\n");
  for (InstrId id : block.instrs) {
    if (!id.valid() || id.index() >= fn.instrs.size()) {
      absl::StrAppend(&out, "    <bad instruction ", id.value(), ">\n");
      continue;
    }
    absl::StrAppend(&out, InstrLine(program, fn, id), "\n");
  }
}

// The MakeClass instruction that creates `cls`, when it can be found.
const Instr* ClassDefinition(const Program& program, const Class& cls) {
  if (!cls.defined_in.valid() || cls.defined_in.index() >= program.functions().size()) return nullptr;
  const Function& fn = program.function(cls.defined_in);
  if (!cls.definition.valid() || cls.definition.index() >= fn.instrs.size()) return nullptr;
  const Instr& instr = fn.instr(cls.definition);
  return instr.op == Opcode::kMakeClass ? &instr : nullptr;
}

}  // namespace

std::string PrintFunction(const Program& program, const Function& fn) {
  std::string out;
  AppendHeader(program, fn, out);
  AppendRegionsAndLoops(fn, out);
  for (const Block& block : fn.blocks) AppendBlock(program, fn, block, out);
  return out;
}

std::string PrintModule(const Program& program, ModuleId module_id) {
  if (!module_id.valid() || module_id.index() >= program.modules().size()) {
    return absl::StrCat("<no module ", module_id.value(), ">\n");
  }
  const Module& module = program.module(module_id);
  std::string out = absl::StrCat("module ", module.name, " ", Quote(module.path));
  if (module.is_package) absl::StrAppend(&out, " [package]");
  absl::StrAppend(&out, " [lines ", module.line_count, "]\n");
  for (const Problem& problem : module.problems) {
    absl::StrAppend(&out, "  problem ", ProblemKindName(problem.kind), " ", RangeText(problem.range),
                    " ", Quote(problem.message), "\n");
  }
  for (const Class& cls : program.classes()) {
    if (cls.module != module_id) continue;
    absl::StrAppend(&out, "class ", cls.qualname, " [line ", cls.range.line, "] body ",
                    FuncName(program, cls.body.value()), ", defined in ",
                    FuncName(program, cls.defined_in.value()), " at ", V(cls.definition), "\n");
    if (const Instr* def = ClassDefinition(program, cls); def != nullptr && !def->operands.empty()) {
      absl::StrAppend(&out, "  bases ", NamedOperands(*def, 0), "\n");
    }
    if (!cls.decorator_calls.empty()) {
      std::vector<std::string> parts;
      for (InstrId d : cls.decorator_calls) parts.push_back(V(d));
      absl::StrAppend(&out, "  decorator_calls ", absl::StrJoin(parts, ", "), "\n");
    }
    std::vector<std::pair<std::string, FuncId>> methods(cls.methods.begin(), cls.methods.end());
    std::sort(methods.begin(), methods.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, func] : methods) {
      absl::StrAppend(&out, "  method ", name, " -> ", FuncName(program, func.value()), "\n");
    }
  }
  for (const Function& fn : program.functions()) {
    if (fn.module != module_id) continue;
    absl::StrAppend(&out, "\n", PrintFunction(program, fn));
  }
  return out;
}

}  // namespace flopscope::ir
