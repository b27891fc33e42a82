#!/usr/bin/env bash
# Late steps (issue 17, finding 4): on a busy machine a step can start long
# after the one before it. This runs copies of the cases that were flaky
# under load with such a delay made certain: a `run: [sleep, D]` step
# inserted before chosen steps (longer than the 200 ms RTO, so
# retransmissions happen, or than the measured delay, so a duration timed
# from a late step's start comes out short). Every copy must still pass:
# a transient state is pinned by holding every packet that would end it,
# and delays are timed on the wire, not from a step's start.
#
# usage: late_steps_test.sh FAULTLINE_BIN SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-late.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# case file | the step line to insert before (exact, unique) | host | sleep
plan=$(cat <<'PLAN'
states/active-close.yaml|  - server: {state: s, is: CLOSE_WAIT, within: 1s}|client|1
states/active-close.yaml|  - label: ack|client|1.5
states/active-close.yaml|  - label: last_ack|client|1.5
states/simultaneous-close.yaml|  - client: {state: c, is: FIN_WAIT1}|client|1
states/simultaneous-close.yaml|  - label: release|client|1.5
faults/server-acks-delayed.yaml|  - server: {recv: s, size: 1, expect: {data: "b"}}|client|0.15
options/tcp-cork.yaml|  - server: {recv: s, size: 11, flags: [MSG_WAITALL], expect: {data: "hello world", took: "<= 1.5s"}}|client|0.15
faults/client-fin-dropped.yaml|  - server: {recv: s, size: 64, expect: {ret: 0, took: "<= 1.5s"}}|client|0.15
loss/data-segment-retransmitted.yaml|  - server: {recv: s, size: 64, expect: {data: "lost once", took: "<= 1.5s"}}|client|0.15
loss/fast-retransmit.yaml|  - server: {recv: s, size: 7000, flags: [MSG_WAITALL], expect: {bytes: 7000}}|client|0.3
states/syn-recv.yaml|  - server: {state: client/c, is: SYN_RECV}|client|1.5
states/abort-on-overflow.yaml|  - client: {connect: "server:8080", as: c2}|client|1.5
apps/socat-half-close.yaml|  - server: {state: {local_port: 8080}, is: LAST_ACK, within: 5s}|client|1
handshake/simultaneous-open.yaml|  - server: {connect: s, to: "client:5001", async: true, id: sc, expect: {ret: 0}}|server|0.5
loss/keepalive-timeout.yaml|  - client: {recv: c, expect: {ret: error, errno: ETIMEDOUT}}|server|0.6
loss/tcp-user-timeout.yaml|  - client: {recv: c, expect: {ret: error, errno: ETIMEDOUT, took: "<= 3s"}}|server|0.45
options/tcp-cork.yaml|  - client: {send: c, data: " world"}|server|0.3
PLAN
)

python3 - "$src/cases" "$work" "$plan" <<'PY' || exit 1
import os, sys
cases, work, plan = sys.argv[1], sys.argv[2], sys.argv[3]
texts = {}
for row in plan.splitlines():
    f, anchor, host, secs = row.split("|")
    if f not in texts:
        texts[f] = open(os.path.join(cases, f)).read()
    lines = texts[f].split("\n")
    hits = [i for i, l in enumerate(lines) if l == anchor]
    if len(hits) != 1:
        sys.exit(f"late_steps_test: {f}: the step line {anchor!r} occurs {len(hits)} times, not once")
    lines.insert(hits[0], f"  - {host}: {{run: [sleep, '{secs}'], expect: {{exit: 0}}}}")
    texts[f] = "\n".join(lines)
for f, t in texts.items():
    # Room for the sleeps.
    t = t.replace("\ntimeout: 10s\n", "\ntimeout: 20s\n", 1)
    open(os.path.join(work, f.replace("/", "-")), "w").write(t)
PY

"$bin" run -j 4 --no-color --out "$work/out" "$work"/*.yaml >"$work/run.log" 2>&1
rc=$?
tail -n 1 "$work/run.log"
if [ "$rc" != 0 ]; then
  awk '/^(FAIL|ERROR) / {p = 1; print; next} p && /^    / {print; next} {p = 0}' "$work/run.log"
  echo "FAIL: a case failed when its steps came late"
  exit 1
fi
echo "PASS: every case passed with its steps late"
