#!/usr/bin/env bash
# The unit tests as an ordinary user: runs every given GoogleTest binary as
# uid/gid 65534 (nobody, through setpriv: no groups, clean environment) from
# its own directory, so a unit test that quietly needs root fails here.
# Tests that skip themselves without root (GTEST_SKIP) are fine.
#
# usage: unprivileged_units.sh TEST_BINARY...
# Exit 77 (skipped) when not run as root (nobody cannot be become then),
# unless CI=true: CI must run them.
set -uo pipefail
nobody=65534
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL (CI=true): needs root and setpriv to become uid $nobody"; exit 1; }
  echo "SKIP: needs root and setpriv to become uid $nobody"
  exit 77
fi
failed=0
for bin in "$@"; do
  dir=$(dirname "$bin")
  if ! setpriv --reuid=$nobody --regid=$nobody --clear-groups test -x "$bin"; then
    echo "FAIL: $bin is not executable by uid $nobody (umask 077 build tree?)"
    failed=1
    continue
  fi
  out=$(cd "$dir" && setpriv --reuid=$nobody --regid=$nobody --clear-groups --reset-env \
        env HOME=/tmp "$bin" --gtest_brief=1 2>&1)
  rc=$?
  echo "== uid $nobody: $(basename "$bin"): exit $rc, $(echo "$out" | grep -E '^\[  (PASSED|FAILED) ' | tr '\n' ' ')"
  if [ $rc -ne 0 ]; then
    echo "$out" | tail -40
    failed=1
  fi
done
exit $failed
