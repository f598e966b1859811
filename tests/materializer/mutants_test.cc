// The planted-bug registry (materializer/mutants.h): every mutant has a unique, stable name that
// `--mutant` accepts, none is active unless selected, and a build without TREECRDT_MUTANTS has
// none. Whether the harness catches each mutant is the `mutants` ctest label's business
// (tests/mutants/CMakeLists.txt).
#include "materializer/mutants.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace treesim {
namespace {

TEST(Mutants, CatalogHasEveryMutantOnceWhenCompiledAndNoneOtherwise) {
  const std::size_t expected = kMutantsCompiled ? static_cast<std::size_t>(Mutant::kCount) - 1 : 0;
  EXPECT_EQ(mutant_catalog().size(), expected);
  std::set<Mutant> seen;
  for (const MutantInfo& info : mutant_catalog()) {
    EXPECT_NE(info.mutant, Mutant::kNone);
    EXPECT_TRUE(seen.insert(info.mutant).second) << info.name;
  }
}

TEST(Mutants, NamesAreLowerCaseWordsAndRoundTrip) {
  std::set<std::string> names;
  for (const MutantInfo& info : mutant_catalog()) {
    const std::string name = info.name;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string::npos) << name;
    EXPECT_EQ(mutant_from_name(name), info.mutant);
    EXPECT_EQ(std::string(mutant_name(info.mutant)), name);
    EXPECT_FALSE(std::string(info.description).empty()) << name;
  }
  EXPECT_FALSE(mutant_from_name("no-such-mutant").has_value());
  EXPECT_EQ(std::string(mutant_name(Mutant::kNone)), "none");
}

TEST(Mutants, NoneIsActiveUnlessSelectedAndAScopeRestoresTheSelection) {
  EXPECT_EQ(active_mutant(), Mutant::kNone);
  for (const MutantInfo& info : mutant_catalog()) EXPECT_FALSE(mutant_active(info.mutant));
  if (!kMutantsCompiled) return;
  {
    ScopedMutant scope(Mutant::kPayloadAddsDot);
    EXPECT_TRUE(mutant_active(Mutant::kPayloadAddsDot));
    EXPECT_FALSE(mutant_active(Mutant::kVvIgnoresGaps));
  }
  EXPECT_EQ(active_mutant(), Mutant::kNone);
  EXPECT_FALSE(mutant_active(Mutant::kPayloadAddsDot));
}

}  // namespace
}  // namespace treesim
