#include "harness/runner/precedence.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {

Status CheckPrecedence(const std::vector<Case>& cases, const std::vector<Variant>& selected,
                       const CommandLineValues& cli) {
  if (cli.family) {
    for (const Case& c : cases) {
      bool named = std::find(cli.named_files.begin(), cli.named_files.end(), c.loc.file) !=
                   cli.named_files.end();
      bool has = std::find(c.families.begin(), c.families.end(), *cli.family) != c.families.end();
      if (named && !has) {
        return Status::Invalid(fmt::format(
            "--family {} conflicts with {}: case '{}' runs only on {} (drop --family, or the file)",
            FamilyName(*cli.family), c.loc.file, c.name, FamilyName(c.families.front())));
      }
    }
  }
  if (cli.seed) {
    for (const Variant& v : selected) {
      const Case& c = *v.c;
      if (c.seed && *c.seed != *cli.seed) {
        return Status::Invalid(fmt::format(
            "--seed {} conflicts with 'seed: {}' of case '{}' ({}); a case's own seed wins, so "
            "drop --seed or leave that case out (--filter)",
            *cli.seed, *c.seed, c.name, c.loc.file));
      }
    }
  }
  return Status::Ok();
}

}  // namespace faultline
