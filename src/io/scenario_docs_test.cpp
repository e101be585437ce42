#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tokenfab/io/settings.h"

namespace tokenfab {
namespace {

// docs/scenario.md carries the table of `tokenfab keys --markdown`; regenerate it when a key
// is added or renamed.
TEST(ScenarioDocs, ReferenceHasARowForEveryKey) {
  std::ifstream in(std::string(TOKENFAB_SOURCE_DIR) + "/docs/scenario.md");
  ASSERT_TRUE(in) << "docs/scenario.md is missing";
  std::ostringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const SettingInfo& s : ScenarioSettings()) {
    EXPECT_NE(doc.find("| `" + std::string(s.key) + "` |"), std::string::npos)
        << s.key << " is not in docs/scenario.md; paste `tokenfab keys --markdown` into it";
  }
}

}  // namespace
}  // namespace tokenfab
