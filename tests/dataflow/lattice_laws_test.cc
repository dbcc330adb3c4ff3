// Lattice laws, once for every domain (STYLE.md section 6): a new domain is tested the moment it
// is added to the type list with its sample elements.
#include <string>
#include <vector>

#include "dataflow/domains/const_string.h"
#include "dataflow/domains/device.h"
#include "dataflow/domains/dtype.h"
#include "dataflow/domains/grad_state.h"
#include "dataflow/domains/model_identity.h"
#include "dataflow/lattice.h"
#include "dataflow/value.h"
#include "gtest/gtest.h"

namespace flopscope::dataflow {
namespace {

template <typename D>
struct Samples;

template <>
struct Samples<Flat<int32_t>> {
  static std::vector<Flat<int32_t>> Get() {
    return {Flat<int32_t>::Bottom(), Flat<int32_t>::Top(), Flat<int32_t>::Of(1),
            Flat<int32_t>::Of(2)};
  }
};
template <>
struct Samples<BoundedSet<int32_t, 3>> {
  using S = BoundedSet<int32_t, 3>;
  static std::vector<S> Get() {
    return {S::Bottom(), S::Top(), S::Of(1), S::Of(2), S::Of(1).Join(S::Of(2)),
            S::Of(3).Join(S::Of(4)).Join(S::Of(5))};
  }
};
template <>
struct Samples<Product<Flat<int32_t>, BitSetDomain<3>>> {
  using P = Product<Flat<int32_t>, BitSetDomain<3>>;
  static std::vector<P> Get() {
    return {P::Bottom(), P::Top(), P(Flat<int32_t>::Of(1), BitSetDomain<3>::Of(1)),
            P(Flat<int32_t>::Of(2), BitSetDomain<3>::Of(6)),
            P(Flat<int32_t>::Bottom(), BitSetDomain<3>::Of(2))};
  }
};
template <>
struct Samples<DeviceDomain> {
  static std::vector<DeviceDomain> Get() {
    return {DeviceDomain::Bottom(), DeviceDomain::Top(), DeviceDomain::Cpu(),
            DeviceDomain::Cuda(), DeviceDomain::Cuda(0), DeviceDomain::Cuda(1),
            DeviceDomain::Of({DeviceKind::kMeta, -1})};
  }
};
template <>
struct Samples<DTypeDomain> {
  static std::vector<DTypeDomain> Get() {
    return {DTypeDomain::Bottom(), DTypeDomain::Top(), DTypeDomain::Of(DType::kFloat32),
            DTypeDomain::Of(DType::kBFloat16), DTypeDomain::Of(DType::kInt4)};
  }
};
template <>
struct Samples<GradMode> {
  static std::vector<GradMode> Get() {
    return {GradMode::Bottom(), GradMode::Top(), GradMode::Enabled(), GradMode::Disabled()};
  }
};
template <>
struct Samples<Attachment> {
  static std::vector<Attachment> Get() {
    return {Attachment::Bottom(), Attachment::Top(), Attachment::Attached(),
            Attachment::Detached()};
  }
};
template <>
struct Samples<ConstStrings> {
  static std::vector<ConstStrings> Get() {
    return {ConstStrings::Bottom(),
            ConstStrings::Top(),
            ConstStrings::Of("gpt2"),
            ConstStrings::Of("gpt2", /*overridable=*/true),
            ConstStrings::Of("meta-llama/Llama-2-7b-hf"),
            ConstStrings::Of("EleutherAI/pythia-{?}", false, /*partial=*/true),
            ConstStrings::Of("a").Join(ConstStrings::Of("b"))};
  }
};
template <>
struct Samples<SiteSet> {
  static std::vector<SiteSet> Get() {
    SiteSet many = SiteSet::Bottom();
    for (SiteId i = 10; i < 18; ++i) many = many.Join(SiteSet::Of(i));
    return {SiteSet::Bottom(), SiteSet::Top(), SiteSet::Of(1), SiteSet::Of(2), many};
  }
};
template <>
struct Samples<AbstractValue> {
  static std::vector<AbstractValue> Get() {
    AbstractValue model = AbstractValue::Bottom();
    model.kinds = KindSet::Of(kKindModel);
    model.sites = SiteSet::Of(3);
    model.strings = ConstStrings::Of("gpt2");
    model.dtype = DTypeDomain::Of(DType::kFloat32);
    AbstractValue tensor = AbstractValue::OfKind(kKindTensor);
    tensor.grad = Attachment::Attached();
    tensor.device = DeviceDomain::Cuda(0);
    AbstractValue none = AbstractValue::Bottom();
    none.kinds = KindSet::Of(kKindNone);
    return {AbstractValue::Bottom(), AbstractValue::Top(), model, tensor, none};
  }
};

template <typename D>
class LatticeLawsTest : public ::testing::Test {};

using Domains = ::testing::Types<Flat<int32_t>, BoundedSet<int32_t, 3>,
                                 Product<Flat<int32_t>, BitSetDomain<3>>, DeviceDomain,
                                 DTypeDomain, GradMode, Attachment, ConstStrings, SiteSet,
                                 AbstractValue>;
TYPED_TEST_SUITE(LatticeLawsTest, Domains);

TYPED_TEST(LatticeLawsTest, SatisfiesConcept) {
  static_assert(AbstractDomain<TypeParam>);
  EXPECT_TRUE(TypeParam::Bottom().IsBottom());
  EXPECT_TRUE(TypeParam::Top().IsTop());
  EXPECT_FALSE(TypeParam::Top().ToString().empty());
}

TYPED_TEST(LatticeLawsTest, JoinIsCommutativeAssociativeIdempotent) {
  const auto samples = Samples<TypeParam>::Get();
  for (const auto& a : samples) {
    EXPECT_EQ(a.Join(a), a) << a.ToString();
    for (const auto& b : samples) {
      EXPECT_EQ(a.Join(b), b.Join(a)) << a.ToString() << " " << b.ToString();
      for (const auto& c : samples) {
        EXPECT_EQ(a.Join(b).Join(c), a.Join(b.Join(c)))
            << a.ToString() << " " << b.ToString() << " " << c.ToString();
      }
    }
  }
}

TYPED_TEST(LatticeLawsTest, BottomIsIdentityTopAbsorbs) {
  for (const auto& a : Samples<TypeParam>::Get()) {
    EXPECT_EQ(TypeParam::Bottom().Join(a), a) << a.ToString();
    EXPECT_EQ(a.Join(TypeParam::Top()), TypeParam::Top()) << a.ToString();
    EXPECT_TRUE(TypeParam::Bottom().Leq(a));
    EXPECT_TRUE(a.Leq(TypeParam::Top()));
  }
}

TYPED_TEST(LatticeLawsTest, LeqAgreesWithJoin) {
  const auto samples = Samples<TypeParam>::Get();
  for (const auto& a : samples) {
    for (const auto& b : samples) {
      EXPECT_EQ(a.Leq(b), a.Join(b) == b) << a.ToString() << " <= " << b.ToString();
      EXPECT_TRUE(a.Leq(a.Join(b)));
    }
  }
}

TYPED_TEST(LatticeLawsTest, WidenIsUpperBoundAndChainsStabilise) {
  const auto samples = Samples<TypeParam>::Get();
  for (const auto& a : samples) {
    for (const auto& b : samples) {
      const TypeParam w = a.Widen(b);
      EXPECT_TRUE(a.Join(b).Leq(w)) << a.ToString() << " widen " << b.ToString();
    }
  }
  // An ascending chain through all samples: x_{i+1} = x_i widen (x_i join s_i) stabilises.
  for (size_t start = 0; start < samples.size(); ++start) {
    TypeParam x = samples[start];
    int changes = 0;
    for (int round = 0; round < 4; ++round) {
      for (const auto& s : samples) {
        const TypeParam next = x.Widen(x.Join(s));
        if (!(next == x)) ++changes;
        x = next;
      }
    }
    EXPECT_LE(changes, 16) << "widening did not stabilise";
    for (const auto& s : samples) EXPECT_TRUE(s.Leq(x));
  }
}

TEST(ConstStringsTest, ConcatAndFlags) {
  const ConstStrings org = ConstStrings::Of("EleutherAI/");
  const ConstStrings name = ConstStrings::Of("pythia-410m", /*overridable=*/true);
  const ConstStrings full = org.Concat(name);
  ASSERT_TRUE(full.IsSingleton());
  EXPECT_EQ(full.values()[0], "EleutherAI/pythia-410m");
  EXPECT_TRUE(full.overridable());
  EXPECT_TRUE(org.Concat(ConstStrings::Top()).IsTop());
}

TEST(DeviceDomainTest, CudaIndicesJoinToCuda) {
  EXPECT_EQ(DeviceDomain::Cuda(0).Join(DeviceDomain::Cuda(1)), DeviceDomain::Cuda());
  EXPECT_TRUE(DeviceDomain::Cuda(0).Join(DeviceDomain::Cpu()).IsTop());
  EXPECT_EQ(ParseDevice("cuda:2")->index, 2);
  EXPECT_EQ(ParseDevice("CPU")->kind, DeviceKind::kCpu);
  EXPECT_FALSE(ParseDevice("auto").has_value());
  EXPECT_FALSE(ParseDevice("cuda:x").has_value());
}

TEST(DTypeTest, Parse) {
  EXPECT_EQ(ParseDType("torch.bfloat16"), DType::kBFloat16);
  EXPECT_EQ(ParseDType("half"), DType::kFloat16);
  EXPECT_EQ(ParseDType("auto"), DType::kAuto);
  EXPECT_EQ(DTypeFromQualifiedName("torch.float32"), DType::kFloat32);
  EXPECT_FALSE(DTypeFromQualifiedName("numpy.float32").has_value());
  EXPECT_FALSE(ParseDType("banana").has_value());
}

TEST(GradStateTest, AttachmentUnderMode) {
  EXPECT_TRUE(Attachment::UnderMode(GradMode::Enabled()).DefinitelyAttached());
  EXPECT_TRUE(Attachment::UnderMode(GradMode::Disabled()).DefinitelyDetached());
  EXPECT_TRUE(Attachment::UnderMode(GradMode::Top()).IsTop());
  EXPECT_TRUE(Attachment::Detached().Combine(Attachment::Attached()).DefinitelyAttached());
  EXPECT_TRUE(Attachment::Detached().Combine(Attachment::Detached()).DefinitelyDetached());
}

TEST(ModelIdentityTest, ParameterCounts) {
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("meta-llama/Llama-2-7b-hf"), 7e9);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("EleutherAI/pythia-410m"), 4.1e8);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("EleutherAI/pythia-6.9b-deduped"), 6.9e9);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("gpt2-xl"), 1.5e9);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("gpt2"), 1.24e8);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("mistralai/Mixtral-8x7B-v0.1"), 5.6e10);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("google-t5/t5-3b"), 3e9);
  EXPECT_DOUBLE_EQ(*EstimateParameterCount("Qwen/Qwen2.5-0.5B-Instruct"), 5e8);
  EXPECT_FALSE(EstimateParameterCount("my-org/custom-model").has_value());
  EXPECT_FALSE(EstimateParameterCount("llama2").has_value());
}

TEST(ModelIdentityTest, Loaders) {
  EXPECT_EQ(ClassifyLoader("transformers.AutoModelForCausalLM.from_pretrained"),
            LoaderKind::kPretrained);
  EXPECT_EQ(ClassifyLoader("transformers.AutoModel.from_config"), LoaderKind::kFromConfig);
  EXPECT_EQ(ClassifyLoader("transformer_lens.HookedTransformer.from_pretrained"),
            LoaderKind::kTransformerLens);
  EXPECT_EQ(ClassifyLoader("torch.load"), LoaderKind::kTorchLoad);
  EXPECT_EQ(ClassifyLoader("transformers.AutoTokenizer.from_pretrained"), LoaderKind::kNone);
  EXPECT_EQ(ClassifyLoader("transformers.AutoConfig.from_pretrained"), LoaderKind::kNone);
  EXPECT_TRUE(IsTokenizerLoader("transformers.AutoTokenizer.from_pretrained"));
}

}  // namespace
}  // namespace flopscope::dataflow
