#!/usr/bin/env python3
"""The example consumer repository (examples/consumer) through the CI
templates' own commands (ci/templates/), and through CTest.

    example_test.py BUILD_DIR SOURCE_DIR

faultline is installed from BUILD_DIR into a temporary prefix (what the
templates' "Install faultline" steps do with the package) and put first on
PATH; examples/consumer is copied as the checkout. Then:
  1. GitLab: every `script:` line of ci/templates/gitlab-ci.yml, job by job,
     the parallel job once per CI_NODE_INDEX;
  2. GitHub: every `run:` step of ci/templates/github-actions.yml but the
     install steps, the matrix job once per shard;
  after each, the shards' and the merged reports are checked (every variant
  reported once, pcap links that work from the merged report's directory);
  3. CTest: find_package(faultline) + faultline_add_cases; the IPv4-only case
     under `ARGS --family ipv6` is reported as skipped.
No network. Needs root (the cases build network namespaces)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

build, src = sys.argv[1], sys.argv[2]
# The example's variants: echo and first-syn-lost on both families, refused
# on IPv4 only.
VARIANTS = 5


def fail(msg):
    print(f"example_test: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(line, cwd, env):
    print(f"$ {line}", flush=True)
    r = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=cwd, env=env)
    if r.returncode != 0:
        fail(f"exited {r.returncode}: {line}")


def check_reports(repo, shards, what):
    out = os.path.join(repo, "faultline-out")
    names = []
    for k in range(1, shards + 1):
        shard = os.path.join(out, f"shard-{k}")
        for f in ("junit.xml", "report.html", "report.json"):
            if not os.path.isfile(os.path.join(shard, f)):
                fail(f"{what}: no shard-{k}/{f}")
        with open(os.path.join(shard, "report.json")) as fh:
            names += [f"{c['name']} [{c['variant']}]" for c in json.load(fh)["cases"]]
    if len(names) != VARIANTS or len(set(names)) != VARIANTS:
        fail(f"{what}: the shards ran {sorted(names)}, not each of {VARIANTS} variants once")
    merged = os.path.join(out, "merged")
    for f in ("junit.xml", "report.html", "report.json"):
        if not os.path.isfile(os.path.join(merged, f)):
            fail(f"{what}: no merged/{f}")
    with open(os.path.join(merged, "report.json")) as fh:
        cases = json.load(fh)["cases"]
    if len(cases) != VARIANTS:
        fail(f"{what}: the merged report has {len(cases)} cases, not {VARIANTS}")
    pcaps = [p["path"] for c in cases for p in c["pcaps"]]
    if not pcaps:
        fail(f"{what}: no pcaps in the merged report")
    for p in pcaps:
        if os.path.isabs(p) or not os.path.isfile(os.path.join(merged, p)):
            fail(f"{what}: pcap path {p} does not work from merged/")
    print(f"example_test: {what}: {VARIANTS} variants in {shards} shards, merged, "
          f"{len(pcaps)} pcap links ok", flush=True)
    shutil.rmtree(out)


def gitlab(repo, env):
    t = yaml.safe_load(open(os.path.join(src, "ci/templates/gitlab-ci.yml")))
    env = dict(env, **{k: str(v) for k, v in t.get("variables", {}).items()})
    shards = 1
    for stage in t["stages"]:
        for name, job in t.items():
            if name.startswith(".") or not isinstance(job, dict) or job.get("stage") != stage:
                continue
            n = int(job.get("parallel", 1))
            shards = max(shards, n)
            for k in range(1, n + 1):
                job_env = dict(env, CI_NODE_INDEX=str(k), CI_NODE_TOTAL=str(n)) if n > 1 else env
                for line in job["script"]:
                    sh(line, repo, job_env)
    check_reports(repo, shards, "gitlab template")


def github(repo, env):
    t = yaml.safe_load(open(os.path.join(src, "ci/templates/github-actions.yml")))
    env = dict(env, **{k: str(v) for k, v in t.get("env", {}).items()})
    jobs = t["jobs"]
    shard_list = jobs["cases"]["strategy"]["matrix"]["shard"]
    for name in ("cases", "report"):  # `report` needs `cases`
        job = jobs[name]
        runs = [s["run"] for s in job["steps"]
                if "run" in s and not s.get("name", "").startswith("Install")]
        for k in (shard_list if name == "cases" else [None]):
            job_env = dict(env, SHARD=str(k), SHARDS=str(len(shard_list))) if k else env
            for script in runs:
                sh(script, repo, job_env)
    check_reports(repo, len(shard_list), "github template")


def ctest(repo, prefix, tmp, env):
    b = os.path.join(tmp, "build")
    sh(f"cmake -S {repo} -B {b} -DCMAKE_PREFIX_PATH={prefix} >/dev/null", repo, env)
    r = subprocess.run(["ctest", "--test-dir", b, "-j", "2", "--output-on-failure"],
                       env=env, capture_output=True, text=True)
    print(r.stdout, r.stderr, flush=True)
    if r.returncode != 0:
        fail(f"ctest exited {r.returncode}")
    skipped = [l for l in r.stdout.splitlines() if "***Skipped" in l]
    if len(skipped) != 1 or "example-ipv6/errors/refused" not in skipped[0]:
        fail(f"expected only example-ipv6/errors/refused skipped, got {skipped}")
    if "100% tests passed, 0 tests failed out of 6" not in r.stdout:
        fail("expected 6 tests, none failed")
    print("example_test: ctest: 5 passed, the IPv4-only case skipped under --family ipv6")


def main():
    tmp = tempfile.mkdtemp(prefix="faultline-example.")
    try:
        prefix = os.path.join(tmp, "prefix")
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"cmake --install failed:\n{r.stdout}{r.stderr}")
        repo = os.path.join(tmp, "repo")
        shutil.copytree(os.path.join(src, "examples/consumer"), repo)
        env = dict(os.environ, PATH=os.path.join(prefix, "bin") + ":" + os.environ["PATH"],
                   CI="true")
        gitlab(repo, env)
        github(repo, env)
        ctest(repo, prefix, tmp, env)
        print("example_test: ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
