#include "ir/ir.h"

#include <utility>

#include "util/check.h"

namespace flopscope::ir {
namespace {

struct OpcodeInfo {
  absl::string_view name;
  bool is_terminator;
  bool has_result;
};

constexpr OpcodeInfo kOpcodeInfo[] = {
#define IR_OPCODE(name, is_terminator, has_result) {#name, is_terminator, has_result},
#include "ir/opcodes.def"
#undef IR_OPCODE
};

FuncId Shift(FuncId id, int32_t base) { return id.valid() ? FuncId(id.value() + base) : id; }
ClassId Shift(ClassId id, int32_t base) { return id.valid() ? ClassId(id.value() + base) : id; }

}  // namespace

absl::string_view OpcodeName(Opcode op) { return kOpcodeInfo[static_cast<size_t>(op)].name; }
bool IsTerminator(Opcode op) { return kOpcodeInfo[static_cast<size_t>(op)].is_terminator; }
bool HasResult(Opcode op) { return kOpcodeInfo[static_cast<size_t>(op)].has_result; }

ModuleId Program::AddModule(ModuleUnit unit) {
  const ModuleId module_id(static_cast<int32_t>(modules_.size()));
  const auto func_base = static_cast<int32_t>(functions_.size());
  const auto class_base = static_cast<int32_t>(classes_.size());
  for (Function& fn : unit.functions) {
    fn.id = Shift(fn.id, func_base);
    fn.module = module_id;
    fn.parent = Shift(fn.parent, func_base);
    fn.method_of = Shift(fn.method_of, class_base);
    fn.class_of_body = Shift(fn.class_of_body, class_base);
    for (Instr& instr : fn.instrs) {
      if (instr.op == Opcode::kMakeFunction) instr.aux += func_base;
      if (instr.op == Opcode::kMakeClass) instr.aux += class_base;
    }
    FS_CHECK(fn.id.value() == static_cast<int32_t>(functions_.size()));
    functions_.push_back(std::move(fn));
  }
  for (Class& cls : unit.classes) {
    cls.id = Shift(cls.id, class_base);
    cls.module = module_id;
    cls.body = Shift(cls.body, func_base);
    cls.defined_in = Shift(cls.defined_in, func_base);
    for (auto& [name, method] : cls.methods) method = Shift(method, func_base);
    FS_CHECK(cls.id.value() == static_cast<int32_t>(classes_.size()));
    classes_.push_back(std::move(cls));
  }
  unit.module.id = module_id;
  unit.module.body = Shift(unit.module.body, func_base);
  module_by_name_.try_emplace(unit.module.name, module_id);
  modules_.push_back(std::move(unit.module));
  return module_id;
}

bool Suppression::Covers(absl::string_view code) const {
  if (codes.empty()) return true;
  for (const std::string& c : codes) {
    if (c == code) return true;
  }
  return false;
}

ModuleId Program::FindModule(absl::string_view dotted_name) const {
  auto it = module_by_name_.find(dotted_name);
  return it == module_by_name_.end() ? ModuleId() : it->second;
}

BlockId FunctionBuilder::NewBlock() {
  const BlockId id(static_cast<int32_t>(fn_.blocks.size()));
  Block& block = fn_.blocks.emplace_back();
  block.id = id;
  return id;
}

bool FunctionBuilder::BlockTerminated() const {
  const Block& block = fn_.block(current_);
  return !block.instrs.empty() && IsTerminator(fn_.instr(block.instrs.back()).op);
}

InstrId FunctionBuilder::Emit(Opcode op, SourceRange range,
                              absl::InlinedVector<InstrId, 2> operands, std::string text,
                              int32_t aux) {
  FS_CHECK(current_.valid());
  const InstrId id(static_cast<int32_t>(fn_.instrs.size()));
  Instr& instr = fn_.instrs.emplace_back();
  instr.op = op;
  instr.block = current_;
  instr.range = range;
  instr.operands = std::move(operands);
  instr.text = std::move(text);
  instr.aux = aux;
  fn_.block(current_).instrs.push_back(id);
  return id;
}

InstrId FunctionBuilder::EmitConst(ConstKind kind, std::string text, SourceRange range) {
  return Emit(Opcode::kConst, range, {}, std::move(text), static_cast<int32_t>(kind));
}

void FunctionBuilder::EmitJump(BlockId dest, SourceRange range) {
  const InstrId id = Emit(Opcode::kJump, range);
  fn_.instr(id).targets = {dest};
}

void FunctionBuilder::EmitBranch(InstrId cond, BlockId if_true, BlockId if_false,
                                 SourceRange range) {
  const InstrId id = Emit(Opcode::kBranch, range, {cond});
  fn_.instr(id).targets = {if_true, if_false};
}

InstrId DecoratorValue(const Function& parent, InstrId call) {
  if (!call.valid() || call.index() >= parent.instrs.size()) return InstrId();
  const Instr& instr = parent.instr(call);
  if (instr.op != Opcode::kCall || instr.operands.size() != 2) return InstrId();
  return instr.operands[0];
}

void ComputeCfg(Function& fn) {
  for (Block& block : fn.blocks) {
    block.succs.clear();
    block.preds.clear();
  }
  for (Block& block : fn.blocks) {
    if (!block.instrs.empty()) {
      const Instr& last = fn.instr(block.instrs.back());
      if (IsTerminator(last.op)) {
        for (BlockId target : last.targets) {
          // A target outside the function is a lowering bug; fail here, not in a later
          // out-of-bounds read that Verify would come too late for.
          FS_CHECK(target.valid() && target.index() < fn.blocks.size());
          block.succs.push_back(target);
        }
      }
    }
    for (BlockId handler : block.exception_targets) {
      FS_CHECK(handler.valid() && handler.index() < fn.blocks.size());
      bool seen = false;
      for (BlockId s : block.succs) seen = seen || s == handler;
      if (!seen) block.succs.push_back(handler);
    }
  }
  for (Block& block : fn.blocks) {
    for (BlockId succ : block.succs) {
      std::vector<BlockId>& preds = fn.block(succ).preds;
      bool seen = false;
      for (BlockId p : preds) seen = seen || p == block.id;
      if (!seen) preds.push_back(block.id);
    }
  }
}

}  // namespace flopscope::ir
