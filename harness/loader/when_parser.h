// `when:` (docs/cases.md, "Expectations that vary by variant"): on a step,
// a `timing:` entry, a `counters:` host entry or counter, the conditions on
// the variant under which it belongs to the case.
//
//   - server: {listen: 8080, backlog: 1, as: l}
//   - client: {connect: "server:8080", as: c2, expect: {errno: ECONNRESET}}
//     when: {tcp_abort_on_overflow: 1}      # a matrix dimension, by its name
//   - client: {...}
//     when: {family: ipv6, somaxconn: [4, 8]}
//
// Internal to the loader: the step, timing and counters parsers call
// ParseWhen; case_loader.cc calls CheckWhen once the whole case is parsed.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// Parses the value of a `when:` key. Names are `family` and the case's
// matrix dimensions as the variant name shows them (cx.matrix); values are
// one scalar or a list of them, each one the case has.
StatusOr<When> ParseWhen(const Val& v, const CaseContext& cx, const Scope& s);

// After the whole case is parsed: every `when:` holds in some variant, and
// nothing that runs in a variant refers to a step that does not (a label in
// `since:`, `until: {step:}`, `active:`, a timing step event; an await's
// async step runs in exactly the await's variants).
// `variants`: the case's (CaseContext::variants).
Status CheckWhen(const Case& c, const std::vector<VariantValues>& variants);

}  // namespace faultline
