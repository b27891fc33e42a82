// Installing the wire's NFQUEUE rules inside a namespace.
//
// InstallQueueRules runs `iptables-restore` and `ip6tables-restore` (the nft
// flavour first, then the distribution default, then legacy) in a child
// process that joins `netns_fd` before exec, with the ruleset on stdin: an
// atomic replacement of the filter table whose FORWARD chain sends every
// packet to NFQUEUE `queue` (no bypass: bind the queue first). The child
// makes only async-signal-safe calls between fork and exec. The rules die
// with the namespace; the caller's namespace is never touched.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

// The iptables-restore input (same text for both families).
std::string QueueRulesText(int queue);

// Runs `binary` (absolute path) with `args` (argv[1..]) inside the namespace
// with `input` on stdin; collects stdout+stderr into *output. Returns the
// exit status (0 ok), or kSystem if fork/exec plumbing failed; exec failure
// is exit status 127.
StatusOr<int> RunInNetns(int netns_fd, const std::string& binary,
                         const std::vector<std::string>& args, const std::string& input,
                         std::string* output);

// kUnsupported (with each binary tried and its output) if no restore binary
// exists or none accepts the rules (e.g. no NFQUEUE target).
Status InstallQueueRules(int netns_fd, int queue);

}  // namespace faultline
