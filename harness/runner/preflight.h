// Pre-flight of a run, before any lab is built: a process that is not root
// enters its own user namespace (harness/lab/rootless.h) and proves, with
// one throwaway network namespace, that the wire's NFQUEUE rule can be
// installed from there. An unusable firewall tool is then one clear message
// at the start instead of every case skipped with it.
//
// Here rather than in harness/lab/ because the probe installs the wire's
// rules (injectors/queue_rules.h), and lab does not depend on injectors.
#pragma once

#include <functional>
#include <string>

#include "harness/common/status.h"

namespace faultline {

// Installs the wire's queue rules in the network namespace `netns_fd`.
using QueueRuleInstaller = std::function<Status(int netns_fd)>;

// The message of a failed probe: kUnsupported naming who the process is
// outside (`identity`, RootlessOuterIdentity()), why the rule failed, and
// what to do about it. Pure (for tests).
Status RootlessWireError(const std::string& identity, const Status& install_error);

// Makes a throwaway network namespace and installs the wire's rules in it
// with `install` (default: InstallQueueRules on queue 0). OK when that
// worked; RootlessWireError otherwise; an errno status when no namespace
// could be made.
Status CheckRootlessWire(const QueueRuleInstaller& install = {});

// When the effective uid is not 0: EnterRootlessUserNamespace, then
// CheckRootlessWire. A no-op for root.
// REQUIRES: the process has a single thread (a multi-threaded process
// cannot enter a user namespace).
Status RootlessPreflight();

}  // namespace faultline
