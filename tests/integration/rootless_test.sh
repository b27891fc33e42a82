#!/usr/bin/env bash
# Rootless runs (harness/lab/rootless.h), for real: runs part of the case
# library as the user nobody (setpriv, no account created, no groups, clean
# environment) and expects every case to pass; then one case setting a
# sysctl a user namespace's root may not write, which must be skipped with
# the reason. Where the machine does not allow rootless runs the test is
# skipped (exit 77) with the reason, or FAILS under CI=true, so CI never
# passes without having run it.
#
# usage: rootless_test.sh FAULTLINE_BIN SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
nobody=65534

not_possible() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL (CI=true, so not skipped): rootless runs are not possible here: $*"
    exit 1
  fi
  echo "SKIP: rootless runs are not possible here: $*"
  exit 77
}

[ "$(id -u)" = 0 ] || not_possible "the test needs root to become nobody with setpriv"
command -v setpriv >/dev/null || not_possible "setpriv (util-linux) is not installed"
as_nobody() { setpriv --reuid=$nobody --regid=$nobody --clear-groups --reset-env "$@"; }

# The part of the library that needs nothing root-only (no --keep, no
# sysctl outside a network namespace), and is not timing-critical.
cases=(
  "$src/cases/handshake"
  "$src/cases/errors"
  "$src/cases/teardown"
  "$src/cases/transfer"
  "$src/cases/udp"
  "$src/cases/backlog"
  "$src/cases/faults/first-syn-dropped.yaml"
  "$src/cases/faults/data-reordered.yaml"
  "$src/cases/isolation"
)

# nobody must be able to run the binary and read the cases: a build tree or
# checkout made with umask 077 is a setup error worth naming.
for f in "$bin" "${cases[@]}"; do
  if ! as_nobody test -r "$f"; then
    echo "FAIL: $f is not readable by uid $nobody (a directory on its path or the file is"
    echo "      not world-readable/searchable; e.g. umask 077 checkout or build tree)"
    exit 1
  fi
done
as_nobody test -x "$bin" || { echo "FAIL: $bin is not executable by uid $nobody"; exit 1; }

out=$(mktemp -d /tmp/faultline-rootless.XXXXXX)
trap 'rm -rf "$out"' EXIT
chown $nobody:$nobody "$out"
chmod 755 "$out"

echo "== as uid $nobody: faultline run ${cases[*]}"
as_nobody "$bin" run --no-color -j 8 --out "$out/library" "${cases[@]}" >"$out/library.log" 2>&1
rc=$?
cat "$out/library.log"
if grep -q "runs rootless" "$out/library.log" && [ $rc -ne 0 ] &&
  ! grep -q "passed" "$out/library.log"; then
  not_possible "$(grep -A8 'runs rootless' "$out/library.log")"
fi
[ $rc -eq 0 ] || { echo "FAIL: faultline run as uid $nobody exited $rc"; exit 1; }
for f in junit.xml report.html report.json; do
  [ -s "$out/library/$f" ] || { echo "FAIL: no $f written"; exit 1; }
done
[ "$(stat -c %u "$out/library/report.json")" = $nobody ] ||
  { echo "FAIL: report.json is not owned by uid $nobody"; exit 1; }
if grep -q '^SKIP' "$out/library.log"; then
  echo "FAIL: cases were skipped; this part of the library must run rootless"
  exit 1
fi

# A sysctl only the initial user namespace may write (global, shown read-only
# in lab namespaces): the case is skipped, naming it. Its current value, so
# even a kernel that allowed the write would change nothing.
rmem=$(cat /proc/sys/net/core/rmem_max)
mkdir "$out/sysctl" && chown $nobody:$nobody "$out/sysctl"
cat >"$out/sysctl/needs-root-sysctl.yaml" <<YAML
name: needs-root-sysctl
family: ipv4
hosts:
  client: {}
  server: {sysctl: {net.core.rmem_max: $rmem}}
steps:
  - server: listen 8080
YAML
chmod 644 "$out/sysctl/needs-root-sysctl.yaml"
echo "== as uid $nobody: a case with a root-only sysctl"
as_nobody "$bin" run --no-color --out "$out/sysctl/out" "$out/sysctl" >"$out/sysctl.log" 2>&1
rc=$?
cat "$out/sysctl.log"
# Every variant skipped: 77 (nothing tested; not a failure either).
[ $rc -eq 77 ] || { echo "FAIL: exited $rc, not 77 (all variants skipped)"; exit 1; }
grep -q '^SKIP.*needs-root-sysctl' "$out/sysctl.log" || { echo "FAIL: not skipped"; exit 1; }
grep -q 'net.core.rmem_max' "$out/sysctl/out/report.json" &&
  grep -q 'rootless run' "$out/sysctl/out/report.json" ||
  { echo "FAIL: the skip does not name the sysctl and the rootless run"; exit 1; }
# Rootless there is no socket state history: a case whose `timing:` has a
# state event is skipped with the reason, never passed.
echo "== as uid $nobody: a case with a state event in timing:"
as_nobody "$bin" run --no-color --out "$out/sysctl/tse" "$src/cases/states/transition-timing.yaml" \
  >"$out/tse.log" 2>&1
rc=$?
cat "$out/tse.log"
[ $rc -eq 77 ] || { echo "FAIL: exited $rc, not 77 (all variants skipped)"; exit 1; }
grep -q '^SKIP.*transition-timing' "$out/tse.log" || { echo "FAIL: not skipped"; exit 1; }
grep -q "a state event of 'timing' needs it" "$out/sysctl/tse/report.json" ||
  { echo "FAIL: the skip does not say the state event needs the history"; exit 1; }
# Where the kernel refuses: a user namespace of the test's own whose
# user.max_user_namespaces is 0 (the host's setting is untouched). The run
# must stop before any case, exit 1, and name the setting.
echo "== as uid $nobody where user namespaces are refused"
python3 "$(dirname "$0")/no_userns_helper.py" "$bin" run --no-color --out "$out/refused" \
  "$src/cases/handshake" >"$out/refused.log" 2>&1
cat "$out/refused.log"
grep -q '^exit 1$' "$out/refused.log" || { echo "FAIL: expected exit 1"; exit 1; }
grep -q 'user.max_user_namespaces = 0' "$out/refused.log" ||
  { echo "FAIL: the refusal does not name user.max_user_namespaces"; exit 1; }
if grep -q '^PASS\|^FAIL\|^ERROR' "$out/refused.log"; then
  echo "FAIL: cases ran although the user namespace was refused"
  exit 1
fi
echo "PASS: rootless runs work as uid $nobody, and a refusal is explained"
