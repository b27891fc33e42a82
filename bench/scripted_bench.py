#!/usr/bin/env python3
"""Cost of a scripted packet event: faultline against packetdrill running the
same exchange (bench/scripted/, written by bench/scripted/gen_exchange.py) on
the same machine. docs/performance.md, "Scripted packet events vs packetdrill".

Each round runs, one after another: packetdrill long, faultline long,
packetdrill short, faultline short (the order of the tools alternates from
round to round), so both tools see the same load. The short variant is the
handshake only: its wall time is each tool's fixed cost (packetdrill: tun
device, addresses and routes through ip(8); faultline: lab, wire, peers,
reports), and

    per-event cost = (long - short) / (packet events of long - of short)

is what one scripted packet event costs (a packet sent or expected; the long
variant also has the reads and the close of the stack side, counted apart).

packetdrill runs in a network namespace of its own (unshare -n), never in the
host's; it is not part of faultline: build it outside this repository (see
docs/performance.md) and pass its path. Without it the bench says so and
exits 0. Root is needed for both tools.

  bench/scripted_bench.py --packetdrill /work/pd/src/gtests/net/packetdrill/packetdrill \\
      --faultline build/harness/faultline [--rounds 7] [--segments N] [--keep DIR]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTED = os.path.join(HERE, "scripted")
PACKET_LINE = re.compile(r"^\S+\s+[<>]\s")
CALL_LINE = re.compile(r"^\+?\S+\s+\w+\(")


def count_events(pkt_path):
    """(packet events, system calls) of a .pkt file."""
    packets = calls = 0
    with open(pkt_path) as f:
        for line in f:
            if PACKET_LINE.match(line):
                packets += 1
            elif CALL_LINE.match(line):
                calls += 1
    return packets, calls


CASE_TIME = re.compile(r"^PASS\s+([0-9.]+)(us|ms|s)\s", re.M)
UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def run_timed(argv, log):
    """(wall seconds, the case's own time from faultline's PASS line or None)."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        log.append("%s exited %d:\n%s" % (" ".join(argv), p.returncode, p.stdout[-3000:]))
        return None, None
    m = CASE_TIME.search(p.stdout)
    return dt, (float(m.group(1)) * UNIT[m.group(2)] if m else None)


def packetdrill_argv(pd, pkt, tolerance_us):
    # A fresh network namespace per run: packetdrill's tun device, addresses
    # and routes live and die there.
    script = 'ip link set lo up && exec "$0" --tolerance_usecs=%d "$1"' % tolerance_us
    return ["unshare", "--net", "sh", "-c", script, pd, pkt]


def faultline_argv(fl, yaml_path, out):
    return [fl, "run", "--no-color", "--out", out, yaml_path]


def fmt_ms(v):
    return "%8.1f" % (v * 1e3)


def summary(name, xs):
    return "%-26s min %s  median %s  max %s ms  (n=%d)" % (
        name, fmt_ms(min(xs)), fmt_ms(statistics.median(xs)), fmt_ms(max(xs)), len(xs))


def per_event(long_xs, short_xs, events):
    """Per-event cost in microseconds from the medians and from the minima."""
    med = (statistics.median(long_xs) - statistics.median(short_xs)) / events * 1e6
    low = (min(long_xs) - min(short_xs)) / events * 1e6
    return med, low


def parse_args():
    ap = argparse.ArgumentParser(
        description="faultline vs packetdrill: cost of a scripted packet event")
    ap.add_argument("--packetdrill", default="", help="path of a built packetdrill binary")
    ap.add_argument("--faultline", default=os.path.join(HERE, "..", "build", "harness", "faultline"))
    ap.add_argument("--rounds", type=int, default=7, help="rounds (>= 5), each runs all four")
    ap.add_argument("--segments", type=int, default=0,
                    help="regenerate the exchange with N data segments (default: the committed files)")
    ap.add_argument("--tolerance-us", type=int, default=50000,
                    help="packetdrill --tolerance_usecs; the cases say tolerance: 50ms")
    ap.add_argument("--only", choices=("both", "packetdrill", "faultline"), default="both",
                    help="measure one tool only (no ratio)")
    ap.add_argument("--keep", default="", help="keep faultline's reports under this directory")
    a = ap.parse_args()
    if a.rounds < 5:
        ap.error("--rounds must be at least 5")
    return a


def exchange_dir(a, tmp):
    if not a.segments:
        return SCRIPTED
    d = os.path.join(tmp, "exchange")
    subprocess.run([sys.executable, os.path.join(SCRIPTED, "gen_exchange.py"), "--segments",
                    str(a.segments), "--out", d], check=True, stdout=subprocess.DEVNULL)
    return d


def measure(a, src, tmp):
    """Runs the rounds; returns ({(tool, variant): [seconds]}, failure log)."""
    times = {(t, v): [] for t in ("packetdrill", "faultline", "faultline case",
                                  "faultline validate") for v in ("long", "short")}
    log = []
    out_root = a.keep or os.path.join(tmp, "out")
    for r in range(a.rounds):
        tools = ("packetdrill", "faultline") if r % 2 == 0 else ("faultline", "packetdrill")
        tools = [t for t in tools if a.only in ("both", t)]
        for variant, stem in (("long", "exchange"), ("short", "exchange-short")):
            for tool in tools:
                if tool == "packetdrill":
                    argv = packetdrill_argv(a.packetdrill, os.path.join(src, stem + ".pkt"),
                                            a.tolerance_us)
                else:
                    out = os.path.join(out_root, "%s-%d" % (stem, r))
                    argv = faultline_argv(a.faultline, os.path.join(src, stem + ".yaml"), out)
                dt, case_time = run_timed(argv, log)
                if dt is None:
                    return times, log
                times[(tool, variant)].append(dt)
                if tool == "faultline" and case_time is not None:
                    times[("faultline case", variant)].append(case_time)
                if tool == "faultline":  # the loader alone: `faultline validate`
                    dt, _ = run_timed([a.faultline, "validate", argv[-1]], log)
                    if dt is None:
                        return times, log
                    times[("faultline validate", variant)].append(dt)
        print("round %d/%d done" % (r + 1, a.rounds), file=sys.stderr)
    return times, log


def report(times, src):
    pl, cl = count_events(os.path.join(src, "exchange.pkt"))
    ps, cs = count_events(os.path.join(src, "exchange-short.pkt"))
    events = pl - ps
    print("exchange: %s; packet events long %d, short %d (difference %d); stack-side calls "
          "long %d, short %d" % (src, pl, ps, events, cl, cs))
    try:
        print("load: %s" % open("/proc/loadavg").read().strip())
    except OSError:
        pass
    cost = {}
    for tool in ("packetdrill", "faultline", "faultline case", "faultline validate"):
        if not times[(tool, "long")]:
            if tool == "packetdrill" or tool == "faultline":
                print("%-26s not measured" % tool)
            continue
        for variant in ("long", "short"):
            print(summary("%s %s" % (tool, variant), times[(tool, variant)]))
        med, low = per_event(times[(tool, "long")], times[(tool, "short")], events)
        cost[tool] = med
        print("%-26s per event %.1f us (medians), %.1f us (minima)" % (tool, med, low))
    if "faultline case" in cost:
        print("(faultline case: the case's own time from its PASS line, without start-up, "
              "loading, lab teardown and reports; faultline validate: loading the file alone)")
    if "packetdrill" not in cost or "faultline" not in cost:
        return
    for variant in ("long", "short"):
        r = statistics.median(times[("faultline", variant)]) / statistics.median(
            times[("packetdrill", variant)])
        print("ratio faultline/packetdrill, %s wall time (medians): %.2f" % (variant, r))
    if cost["packetdrill"] > 0:
        print("ratio faultline/packetdrill, per event (medians): %.1f (case time only: %.1f)"
              % (cost["faultline"] / cost["packetdrill"],
                 cost.get("faultline case", 0.0) / cost["packetdrill"]))


def main():
    a = parse_args()
    pd_ok = os.path.isfile(a.packetdrill) and os.access(a.packetdrill, os.X_OK)
    if not pd_ok and a.only != "faultline":
        where = ("not found at %s" % a.packetdrill) if a.packetdrill else "not given (--packetdrill PATH)"
        print("packetdrill %s: skipping the comparison (build it outside the repository, see "
              "docs/performance.md)" % where)
        return 0
    fl_ok = os.path.isfile(a.faultline) and os.access(a.faultline, os.X_OK)
    if not fl_ok and a.only != "packetdrill":
        print("faultline not found at %s (cmake --build build --target faultline)" % a.faultline)
        return 2
    if not shutil.which("unshare"):
        print("unshare(1) not found: packetdrill must run in a network namespace of its own")
        return 2
    tmp = tempfile.mkdtemp(prefix="scripted-bench-")
    try:
        src = exchange_dir(a, tmp)
        times, log = measure(a, src, tmp)
        if log:
            print("a run failed, no numbers (every run must pass to be timed):\n" + log[0])
            return 1
        report(times, src)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
