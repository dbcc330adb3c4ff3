#include "dataflow/support/hook_handles.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using testing::SupportProgram;

constexpr char kHooks[] = R"py(
import contextlib
import torch

def save(module, inputs, output):
    pass

def dropped(model, layers):
    for i in layers:
        model.layers[i].register_forward_hook(save)

def kept_never_removed(model):
    handles = []
    handles.append(model.register_forward_hook(save))
    return len(handles)

def removed_in_loop(model, layers):
    handles = []
    for i in layers:
        handles.append(model.layers[i].register_forward_hook(save))
    run(model)
    for h in handles:
        h.remove()

def conditional(model, flag):
    h = model.register_forward_hook(save)
    if flag:
        h.remove()

def overwritten(model, layers):
    h = None
    for i in layers:
        h = model.layers[i].register_forward_hook(save)
    h.remove()

@contextlib.contextmanager
def temporary(model, layers):
    handles = [model.layers[l].register_forward_hook(save) for l in layers]
    try:
        yield
    finally:
        for h in handles:
            h.remove()

def make_hook(model):
    return model.register_forward_pre_hook(save)

def uses_made_hook_dropped(model):
    make_hook(model)

def uses_made_hook_removed(model):
    h = make_hook(model)
    run(model)
    h.remove()

class Steerer:
    def __init__(self, model):
        self.model = model
        self.handle = None

    def attach(self):
        self.handle = self.model.register_forward_hook(save)

    def detach(self):
        if self.handle is not None:
            self.handle.remove()

class Registry:
    def register_hook(self, fn):
        return fn

def own_register():
    Registry().register_hook(save)

def tensor_hook(x):
    x.register_hook(lambda g: g * 2)

def with_handle(model):
    with model.register_forward_hook(save):
        run(model)

def run(model):
    return model(1)
)py";

class SupportHookHandlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = SupportProgram::Load({{"m", kHooks}});
    ASSERT_NE(p_, nullptr);
    hooks_ = std::make_unique<HookHandles>(*p_->du);
  }
  const HookRegistration& At(const std::string& fn, uint32_t line, const std::string& method) {
    const ValueRef site = p_->Call(p_->Func(fn), line, method);
    const HookRegistration* reg = hooks_->At(site);
    EXPECT_NE(reg, nullptr) << fn << ":" << line;
    static const HookRegistration kNone;
    return reg != nullptr ? *reg : kNone;
  }
  std::unique_ptr<SupportProgram> p_;
  std::unique_ptr<HookHandles> hooks_;
};

TEST_F(SupportHookHandlesTest, DroppedOnTheFloor) {
  const HookRegistration& r = At("dropped", 10, "register_forward_hook");
  EXPECT_TRUE(r.result_unused);
  EXPECT_TRUE(r.dropped_on_some_path);
  EXPECT_FALSE(r.removed);
}

TEST_F(SupportHookHandlesTest, KeptButNeverRemoved) {
  const HookRegistration& r = At("kept_never_removed", 14, "register_forward_hook");
  EXPECT_FALSE(r.result_unused);
  EXPECT_FALSE(r.dropped_on_some_path);
  EXPECT_TRUE(r.stored);
  EXPECT_FALSE(r.removed);
}

TEST_F(SupportHookHandlesTest, ListIteratedLaterRemoves) {
  const HookRegistration& r = At("removed_in_loop", 20, "register_forward_hook");
  EXPECT_FALSE(r.dropped_on_some_path);
  EXPECT_TRUE(r.removed);
  EXPECT_EQ(r.remove_site.fn, p_->Func("removed_in_loop"));
  EXPECT_EQ(p_->du->instr(r.remove_site).text, "remove");
}

TEST_F(SupportHookHandlesTest, RemovedOnOnePathOnly) {
  const HookRegistration& r = At("conditional", 26, "register_forward_hook");
  EXPECT_TRUE(r.removed);
  EXPECT_TRUE(r.dropped_on_some_path);
}

TEST_F(SupportHookHandlesTest, OverwrittenInLoopDropsEarlierHandles) {
  const HookRegistration& r = At("overwritten", 33, "register_forward_hook");
  EXPECT_TRUE(r.removed);
  EXPECT_TRUE(r.dropped_on_some_path);
}

TEST_F(SupportHookHandlesTest, ContextManagerRemovesInFinally) {
  const HookRegistration& r = At("temporary.<listcomp1>", 38, "register_forward_hook");
  EXPECT_FALSE(r.dropped_on_some_path);
  EXPECT_TRUE(r.removed);
}

TEST_F(SupportHookHandlesTest, ReturnedHandleFollowsIntoCallers) {
  const HookRegistration& r = At("make_hook", 46, "register_forward_pre_hook");
  EXPECT_TRUE(r.returned);
  // One caller drops it, the other removes it.
  EXPECT_TRUE(r.dropped_on_some_path);
  EXPECT_EQ(r.dropped_in.fn, p_->Func("uses_made_hook_dropped"));
  EXPECT_TRUE(r.removed);
}

TEST_F(SupportHookHandlesTest, AttributeHandleRemovedInAnotherMethod) {
  const HookRegistration& r = At("Steerer.attach", 62, "register_forward_hook");
  EXPECT_FALSE(r.dropped_on_some_path);
  EXPECT_TRUE(r.stored);
  EXPECT_TRUE(r.removed);
  EXPECT_EQ(r.remove_site.fn, p_->Func("Steerer.detach"));
}

TEST_F(SupportHookHandlesTest, OwnRegisterMethodIsNotAHook) {
  const ValueRef site = p_->Call(p_->Func("own_register"), 73, "register_hook");
  EXPECT_EQ(hooks_->At(site), nullptr);
  const HookRegistration& tensor = At("tensor_hook", 76, "register_hook");
  EXPECT_TRUE(tensor.result_unused);
}

TEST_F(SupportHookHandlesTest, WithStatementRemoves) {
  const HookRegistration& r = At("with_handle", 79, "register_forward_hook");
  EXPECT_FALSE(r.dropped_on_some_path);
  EXPECT_TRUE(r.removed);
}

}  // namespace
}  // namespace flopscope::dataflow::support
