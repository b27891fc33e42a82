#!/usr/bin/env bash
# Flakes under load (issue 17, finding 4): ROUNDS rounds, each two
# concurrent `faultline run -j 64` of the whole case library on the same
# machine; any failed or errored case in any round fails the test, and its
# lines (the case and the message under it) are printed. Each round's
# summary is printed too.
#
# usage: stress_test.sh FAULTLINE_BIN SOURCE_DIR [ROUNDS]   (ROUNDS: 3)
set -uo pipefail
bin=$1
src=$2
rounds=${3:-3}

work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-stress.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

failed=0
for round in $(seq 1 "$rounds"); do
  "$bin" run -j 64 --no-color --out "$work/a$round" "$src/cases" >"$work/a$round.log" 2>&1 &
  pid_a=$!
  "$bin" run -j 64 --no-color --out "$work/b$round" "$src/cases" >"$work/b$round.log" 2>&1
  rc_b=$?
  wait "$pid_a"
  rc_a=$?
  echo "round $round: run a exit $rc_a, $(tail -n 1 "$work/a$round.log");" \
    "run b exit $rc_b, $(tail -n 1 "$work/b$round.log")"
  for run in a b; do
    log="$work/$run$round.log"
    rc=$rc_a
    [ "$run" = b ] && rc=$rc_b
    # The per-case lines as printed while the run went on (FAIL/ERROR, the
    # duration, the case; the message indented under it), not their repeat
    # in the summary.
    if [ "$rc" != 0 ] || grep -qE '^(FAIL|ERROR) ' "$log"; then
      failed=1
      echo "round $round, run $run failed (exit $rc):"
      awk '/^(FAIL|ERROR) +[0-9.]+[mun]?s / {p = 1; print; next} p && /^    / {print; next} {p = 0}' \
        "$log" | sed 's/^/  /'
      [ "$rc" != 0 ] && ! grep -qE '^(FAIL|ERROR) ' "$log" && tail -n 20 "$log" | sed 's/^/  /'
    fi
  done
done
if [ "$failed" != 0 ]; then
  echo "FAIL: failures in $rounds rounds of two concurrent 'faultline run -j 64'"
  exit 1
fi
echo "PASS: $rounds rounds of two concurrent 'faultline run -j 64', no failures"
