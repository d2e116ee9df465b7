// The defaults the SQL install script repeats (SQL cannot include common/govector_limits.h) agree with it.
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/govector_limits.h"

namespace {

// The install script's text; the unit tests run from the source tree (make unit).
std::string InstallScript() {
  std::ifstream in("sql/govector--0.1.0.sql");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every default "<argument> int DEFAULT <n>" of function's signatures (the text up to RETURNS).
std::vector<long> Defaults(const std::string& script, const std::string& function, const std::string& argument) {
  std::vector<long> out;
  const std::regex signature("CREATE FUNCTION " + function + "\\(([^;]*?)\\)\\s*RETURNS");
  const std::regex argument_default("\\b" + argument + " int DEFAULT (\\d+)");
  for (std::sregex_iterator f(script.begin(), script.end(), signature), end; f != end; ++f) {
    std::string args = (*f)[1];
    std::smatch m;
    if (std::regex_search(args, m, argument_default)) out.push_back(std::stol(m[1]));
  }
  return out;
}

TEST(LimitsTest, SqlDefaultsAreTheEngines) {
  const std::string script = InstallScript();
  ASSERT_FALSE(script.empty()) << "sql/govector--0.1.0.sql not found: run the unit tests from the source tree";
  EXPECT_EQ(Defaults(script, "gv_create_collection", "m"), std::vector<long>{GV_DEFAULT_M});
  EXPECT_EQ(Defaults(script, "gv_create_collection", "ef_construct"), std::vector<long>{GV_DEFAULT_EF_CONSTRUCT});
  EXPECT_EQ(Defaults(script, "gv_search", "k"), std::vector<long>{GV_DEFAULT_K});
  EXPECT_EQ(Defaults(script, "gv_search_by_id", "k"), std::vector<long>{GV_DEFAULT_K});
}

}  // namespace
