// ${...} lab variables in the strings of `run` steps: argv, env, stdin and
// stdout/stderr expectations (docs/cases.md, "Commands").
//
//   ${HOST.addr}      HOST's address in the variant's family
//   ${HOST.addr4}     HOST's IPv4 address      ${HOST.addr6}  its IPv6 address
//   ${HOST.url_addr}  the address as a URL writes it: 198.18.2.2 or [2001:2:0:2::2]
//   ${family}         ipv4 or ipv6
//   ${workdir}        the variant's scratch directory (the commands' working directory)
//   $$                a literal $
//
// The loader checks every reference against the case's hosts; the runner
// expands them with the lab's real values. Pure functions, no I/O.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

// The value of variable `name` ("server.addr", "family"), or nullopt when
// there is no such variable.
using VarLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Replaces every ${NAME} with lookup(NAME) and $$ with $. A lone $ not
// followed by { or $ stays as it is. kInvalidInput "unknown variable
// ${NAME}" or "unterminated ${" (no closing brace); *error_offset (when not
// null) is then the byte offset of the offending $.
StatusOr<std::string> ExpandVars(std::string_view text, const VarLookup& lookup,
                                 size_t* error_offset = nullptr);

// The attributes a host variable can have: addr, addr4, addr6, url_addr.
const std::vector<std::string>& HostVarAttributes();

// The lookup for a variant: host addresses from `address(host, family)`
// (nullopt: not a host), `family` ("ipv4"/"ipv6") and `workdir`.
struct LabVarValues {
  std::function<std::optional<std::string>(const std::string& host, bool ipv6)> address;
  bool ipv6 = false;
  std::string workdir;
};
VarLookup LabVarLookup(const LabVarValues& v);

}  // namespace faultline
