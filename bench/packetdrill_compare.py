#!/usr/bin/env python3
"""packetdrill's own tcp scripts under packetdrill and under faultline, side by
side (docs/packetdrill.md, "Comparing with packetdrill").

Given a packetdrill source tree, this runs the scripts under
SRC/gtests/net/tcp (or --scripts DIR):

  * under packetdrill itself, serially, each script in a network namespace of
    its own (`unshare --net`, loopback up; never the host's namespace), with
    the command-line flags packetdrill's run_all.py gives each family: IPv4
    for every script not named *v6.pkt, IPv6 for every script not named
    *v4.pkt;
  * under faultline, one `faultline run -j JOBS --json ...` per family on
    the same scripts, with that family's -D definitions and --ip-version;

and prints one line per script and family with both verdicts (faultline's
first message line when it did not pass), then the totals: both pass,
packetdrill only, faultline only, both fail (and skipped under faultline).

Bounded: every packetdrill run has --timeout seconds, each faultline run
timeout x ceil(scripts / jobs) x repeat + 120 s; a run over its time is ended
(its process group, started here) and counted as a timeout. The source tree
is only read: packetdrill runs with the script's directory as its working
directory, as run_all.py does, and everything written goes under --out.

Root is needed (both tools make network namespaces).

  bench/packetdrill_compare.py /work/pd/src --faultline build/harness/faultline \\
      [--jobs 16] [--repeat 5] [--filter 'sack/*'] [--family ipv4] \\
      [--timeout 60] [--out DIR] [--packetdrill-results DIR/packetdrill.json]

--repeat N runs every faultline variant N times (faultline's --repeat); a
script passes under faultline only if all N runs passed, else it is listed
as flaky with its pass count. --packetdrill-results reuses the packetdrill
verdicts a previous run saved (the serial run is the slow half).
"""

import argparse
import fnmatch
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FAMILIES = ("ipv4", "ipv6")

# The flags packetdrill's gtests/net/packetdrill/run_all.py passes for each
# family (addresses inside packetdrill's tun device, the -D definitions the
# tcp scripts use). faultline takes the -D definitions and --ip-version; its
# addresses come from the lab.
PACKETDRILL_FLAGS = {
    "ipv4": ["--ip_version=ipv4", "--local_ip=192.168.0.1", "--gateway_ip=192.168.0.1",
             "--netmask_ip=255.255.0.0", "--remote_ip=192.0.2.1"],
    "ipv6": ["--ip_version=ipv6", "--mtu=1520", "--local_ip=fd3d:0a0b:17d6::1",
             "--gateway_ip=fd3d:0a0b:17d6:8888::1", "--remote_ip=fd3d:fa7b:d17d::1"],
}
DEFINES = {
    "ipv4": {"TFO_COOKIE": "3021b9d889017eeb", "CODE": "host_unreachable",
             "CMSG_LEVEL_IP": "SOL_IP", "CMSG_TYPE_RECVERR": "IP_RECVERR"},
    "ipv6": {"TFO_COOKIE": "c1d1e9742a47a9bc", "CMSG_LEVEL_IP": "SOL_IPV6",
             "CMSG_TYPE_RECVERR": "IPV6_RECVERR"},
}
PACKETDRILL_COMMON = ["--send_omit_free"]


def find_scripts(root, patterns):
    """Sorted paths of *.pkt under root whose path relative to root matches
    one of the globs (all when there are none)."""
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if not n.endswith(".pkt"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            if not patterns or any(fnmatch.fnmatch(rel, p) for p in patterns):
                out.append(os.path.join(dirpath, n))
    return sorted(out)


def families_of(path, wanted):
    """The families run_all.py runs a script in: by its name's v4/v6 suffix."""
    out = []
    if not path.endswith("v6.pkt") and "ipv4" in wanted:
        out.append("ipv4")
    if not path.endswith("v4.pkt") and "ipv6" in wanted:
        out.append("ipv6")
    return out


def end_group(proc, first=signal.SIGKILL, grace=0.0):
    """Ends the process group this script started for `proc` (by its id)."""
    try:
        os.killpg(proc.pid, first)
    except ProcessLookupError:
        return
    if first != signal.SIGKILL:
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def run_bounded(argv, cwd, timeout, log_path, first=signal.SIGKILL, grace=0.0):
    """(exit status or None on timeout, seconds). Output goes to log_path."""
    start = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            end_group(proc, first, grace)
            rc = None
    return rc, time.monotonic() - start


def first_line(text, limit=160):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 3] + "..."


def packetdrill_error(log_path):
    """The line of packetdrill's output that says why a script failed."""
    try:
        with open(log_path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return ""
    for l in lines:
        if ".pkt:" in l or "error" in l.lower():
            return first_line(l)
    return first_line(lines[-1]) if lines else ""


def run_packetdrill(binary, scripts, root, families, timeout, logdir):
    """{(rel, family): {"verdict": pass|fail|timeout, "message", "seconds"}}."""
    out = {}
    todo = [(s, f) for s in scripts for f in families_of(s, families)]
    for i, (script, fam) in enumerate(todo, 1):
        rel = os.path.relpath(script, root)
        defines = [a for k, v in DEFINES[fam].items() for a in ("-D", "%s=%s" % (k, v))]
        # A namespace of its own, loopback up, as packetdrill's in_netns.sh.
        argv = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                binary] + PACKETDRILL_COMMON + PACKETDRILL_FLAGS[fam] + defines
        argv.append(os.path.basename(script))
        log = os.path.join(logdir, rel.replace("/", "__") + "." + fam + ".log")
        rc, secs = run_bounded(argv, os.path.dirname(script), timeout, log)
        verdict = "timeout" if rc is None else ("pass" if rc == 0 else "fail")
        msg = "" if verdict == "pass" else (
            "timed out after %ds" % timeout if rc is None else packetdrill_error(log))
        out[(rel, fam)] = {"verdict": verdict, "message": msg, "seconds": round(secs, 2)}
        print("packetdrill %d/%d %-5s %-4s %s" % (i, len(todo), verdict, fam, rel),
              file=sys.stderr, flush=True)
    return out


def faultline_verdicts(report, root, scripts_by_abs):
    """{rel: {"verdict", "message", "passes", "runs"}} from a report.json."""
    out = {}
    for c in report.get("cases", []):
        path = os.path.abspath(c.get("file", ""))
        rel = scripts_by_abs.get(path)
        if rel is None:
            continue
        e = out.setdefault(rel, {"verdict": "pass", "message": "", "passes": 0, "runs": 0,
                                 "outcomes": []})
        e["runs"] += 1
        e["outcomes"].append(c.get("outcome"))
        if c.get("outcome") == "pass":
            e["passes"] += 1
        elif not e["message"]:
            e["message"] = first_line(c.get("message", "").replace(root + "/", ""))
    for e in out.values():
        outcomes = set(e.pop("outcomes"))
        if outcomes == {"pass"}:
            e["verdict"] = "pass"
        elif outcomes == {"skip"}:
            e["verdict"] = "skip"
        elif "pass" in outcomes:
            e["verdict"] = "flaky"
        else:
            e["verdict"] = "error" if outcomes == {"error"} else "fail"
    return out


def run_faultline(binary, scripts, root, fam, args, outdir):
    """{rel: verdict entry} for one family's faultline run."""
    mine = [s for s in scripts if fam in families_of(s, [fam])]
    if not mine:
        return {}
    run_out = os.path.join(outdir, "faultline-" + fam)
    shutil.rmtree(run_out, ignore_errors=True)
    report = os.path.join(run_out, "report.json")
    defines = [a for k, v in DEFINES[fam].items() for a in ("-D", "%s=%s" % (k, v))]
    argv = [binary, "run", "--no-color", "-j", str(args.jobs), "--family", fam,
            "--ip-version", fam, "--out", run_out, "--json", report] + defines
    if args.repeat > 1:
        argv += ["--repeat", str(args.repeat)]
    argv += [os.path.abspath(s) for s in mine]
    bound = args.timeout * math.ceil(len(mine) / args.jobs) * args.repeat + 120
    print("faultline %s: %d scripts, -j %d, bound %ds" % (fam, len(mine), args.jobs, bound),
          file=sys.stderr, flush=True)
    # SIGINT first: faultline tears its labs down and writes the reports.
    rc, secs = run_bounded(argv, None, bound, os.path.join(outdir, "faultline-%s.log" % fam),
                           first=signal.SIGINT, grace=60)
    by_abs = {os.path.abspath(s): os.path.relpath(s, root) for s in mine}
    try:
        with open(report) as f:
            verdicts = faultline_verdicts(json.load(f), root, by_abs)
    except (OSError, ValueError) as ex:
        verdicts = {}
        print("faultline %s: no report (%s); exit %s" % (fam, ex, rc), file=sys.stderr)
    for s in mine:  # not reported at all: cut off by the bound
        rel = os.path.relpath(s, root)
        verdicts.setdefault(rel, {"verdict": "timeout", "passes": 0, "runs": 0,
                                  "message": "not reported (run ended after %ds)" % secs})
    return verdicts


CLASSES = ("both pass", "packetdrill only", "faultline only", "both fail")


def classify(pd, fl):
    """Which total a (packetdrill, faultline) pair of verdicts counts in."""
    if fl == "skip":
        return "skipped (faultline)"
    p, f = pd == "pass", fl == "pass"
    return CLASSES[0] if p and f else CLASSES[1] if p else CLASSES[2] if f else CLASSES[3]


def table(rows):
    """Lines of the side-by-side table and the totals."""
    lines = ["%-52s %-4s %-11s %-11s %s" % ("script", "fam", "packetdrill", "faultline",
                                             "faultline's message")]
    totals = {}
    for r in rows:
        fl = r["faultline"]
        shown = fl["verdict"]
        if shown == "flaky":
            shown = "flaky %d/%d" % (fl["passes"], fl["runs"])
        msg = "" if fl["verdict"] == "pass" else fl.get("message", "")
        lines.append("%-52s %-4s %-11s %-11s %s" % (r["script"], r["family"][-2:],
                                                     r["packetdrill"]["verdict"], shown, msg))
        k = classify(r["packetdrill"]["verdict"], fl["verdict"])
        totals[k] = totals.get(k, 0) + 1
    lines.append("")
    for k in CLASSES + ("skipped (faultline)",):
        lines.append("%-20s %d" % (k + ":", totals.get(k, 0)))
    lines.append("%-20s %d" % ("total:", len(rows)))
    return lines, totals


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="packetdrill source tree (holds gtests/net/tcp)")
    p.add_argument("--scripts", help="script directory (default SOURCE/gtests/net/tcp)")
    p.add_argument("--packetdrill",
                   help="packetdrill binary (default SOURCE/gtests/net/packetdrill/packetdrill)")
    p.add_argument("--faultline", default="build/harness/faultline", help="faultline binary")
    p.add_argument("--jobs", "-j", type=int, default=16, help="faultline's -j (default 16)")
    p.add_argument("--repeat", type=int, default=1, help="faultline runs of every variant")
    p.add_argument("--timeout", type=int, default=60, help="seconds per script (default 60)")
    p.add_argument("--filter", action="append",
                   help="glob on the script's path under the script directory (repeatable: any)")
    p.add_argument("--family", choices=FAMILIES, action="append",
                   help="only this family (repeatable; default both)")
    p.add_argument("--out", help="directory for logs and results (default: a new temp dir)")
    p.add_argument("--packetdrill-results",
                   help="reuse packetdrill.json from an earlier run instead of running it")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    root = os.path.abspath(args.scripts or os.path.join(args.source, "gtests/net/tcp"))
    families = args.family or list(FAMILIES)
    pd_bin = os.path.abspath(args.packetdrill or os.path.join(
        args.source, "gtests/net/packetdrill/packetdrill"))
    if not os.path.isdir(root):
        print("packetdrill_compare: %s: no such directory" % root, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("packetdrill_compare: needs root (both tools make network namespaces)",
              file=sys.stderr)
        return 2
    scripts = find_scripts(root, args.filter)
    if not scripts:
        print("packetdrill_compare: no *.pkt under %s matches" % root, file=sys.stderr)
        return 2
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="packetdrill-compare-"))
    if os.path.commonpath([out, os.path.abspath(args.source)]) == os.path.abspath(args.source):
        print("packetdrill_compare: --out must be outside the source tree", file=sys.stderr)
        return 2
    os.makedirs(os.path.join(out, "packetdrill-logs"), exist_ok=True)

    if args.packetdrill_results:
        with open(args.packetdrill_results) as f:
            pd = {(r["script"], r["family"]): r for r in json.load(f)}
    else:
        if not os.access(pd_bin, os.X_OK):
            print("packetdrill_compare: %s: not an executable packetdrill" % pd_bin,
                  file=sys.stderr)
            return 2
        pd = run_packetdrill(pd_bin, scripts, root, families, args.timeout,
                             os.path.join(out, "packetdrill-logs"))
        with open(os.path.join(out, "packetdrill.json"), "w") as f:
            json.dump([dict(v, script=k[0], family=k[1]) for k, v in sorted(pd.items())], f,
                      indent=1)

    fl = {fam: run_faultline(os.path.abspath(args.faultline), scripts, root, fam, args, out)
          for fam in families}
    rows = []
    for s in scripts:
        rel = os.path.relpath(s, root)
        for fam in families_of(s, families):
            p = pd.get((rel, fam), {"verdict": "not run", "message": ""})
            rows.append({"script": rel, "family": fam, "packetdrill": p,
                         "faultline": fl[fam].get(rel, {"verdict": "not run", "message": ""})})
    lines, totals = table(rows)
    print("\n".join(lines))
    with open(os.path.join(out, "compare.json"), "w") as f:
        json.dump({"rows": rows, "totals": totals, "jobs": args.jobs, "repeat": args.repeat}, f,
                  indent=1)
    with open(os.path.join(out, "compare.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\nlogs and results: %s" % out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
