#include "harness/runner/precedence.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {

Status CheckPrecedence([[maybe_unused]] const std::vector<Case>& cases,
                       const std::vector<Variant>& selected, const CommandLineValues& cli) {
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
