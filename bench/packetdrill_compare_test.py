#!/usr/bin/env python3
"""Checks of bench/packetdrill_compare.py's pure parts (no root, no tools):
which families a script runs in, how a report.json becomes verdicts, and
which total a pair of verdicts counts in."""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packetdrill_compare as pc  # noqa: E402


class CompareTest(unittest.TestCase):
    def test_families_follow_the_names_suffix(self):
        self.assertEqual(pc.families_of("a/x.pkt", ["ipv4", "ipv6"]), ["ipv4", "ipv6"])
        self.assertEqual(pc.families_of("a/x-v4.pkt", ["ipv4", "ipv6"]), ["ipv4"])
        self.assertEqual(pc.families_of("a/x-v6.pkt", ["ipv4", "ipv6"]), ["ipv6"])
        self.assertEqual(pc.families_of("a/x-v6.pkt", ["ipv4"]), [])

    def test_filters_select_scripts_matching_any(self):
        import tempfile
        with tempfile.TemporaryDirectory() as root:
            for rel in ("a/x.pkt", "a/y.pkt", "b/z.pkt", "b/notes.txt"):
                os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
                open(os.path.join(root, rel), "w").close()
            names = lambda ps: [os.path.relpath(p, root) for p in pc.find_scripts(root, ps)]
            self.assertEqual(names(None), ["a/x.pkt", "a/y.pkt", "b/z.pkt"])
            self.assertEqual(names(["a/x.pkt", "b/*"]), ["a/x.pkt", "b/z.pkt"])
            self.assertEqual(names(["c/*"]), [])

    def test_report_to_verdicts(self):
        root = "/src/tcp"
        by_abs = {"/src/tcp/a.pkt": "a.pkt", "/src/tcp/b.pkt": "b.pkt",
                  "/src/tcp/c.pkt": "c.pkt", "/src/tcp/d.pkt": "d.pkt"}
        report = {"cases": [
            {"file": "/src/tcp/a.pkt", "outcome": "pass", "message": ""},
            {"file": "/src/tcp/a.pkt", "outcome": "pass", "message": ""},
            {"file": "/src/tcp/b.pkt", "outcome": "pass", "message": ""},
            {"file": "/src/tcp/b.pkt", "outcome": "fail",
             "message": "/src/tcp/b.pkt:3:1: step 2 (remote: expect tcp S.): none came\nmore"},
            {"file": "/src/tcp/c.pkt", "outcome": "skip", "message": "%{ }% block"},
            {"file": "/src/tcp/d.pkt", "outcome": "error", "message": "/src/tcp/d.pkt:1:1: x"},
            {"file": "/elsewhere/e.yaml", "outcome": "fail", "message": "not ours"},
        ]}
        v = pc.faultline_verdicts(report, root, by_abs)
        self.assertEqual(sorted(v), ["a.pkt", "b.pkt", "c.pkt", "d.pkt"])
        self.assertEqual((v["a.pkt"]["verdict"], v["a.pkt"]["passes"], v["a.pkt"]["runs"]),
                         ("pass", 2, 2))
        self.assertEqual(v["b.pkt"]["verdict"], "flaky")
        self.assertEqual(v["b.pkt"]["message"], "b.pkt:3:1: step 2 (remote: expect tcp S.): none came")
        self.assertEqual(v["c.pkt"]["verdict"], "skip")
        self.assertEqual(v["d.pkt"]["verdict"], "error")

    def test_totals(self):
        self.assertEqual(pc.classify("pass", "pass"), "both pass")
        self.assertEqual(pc.classify("pass", "flaky"), "packetdrill only")
        self.assertEqual(pc.classify("fail", "pass"), "faultline only")
        self.assertEqual(pc.classify("timeout", "error"), "both fail")
        self.assertEqual(pc.classify("pass", "skip"), "skipped (faultline)")
        rows = [{"script": "a.pkt", "family": "ipv4", "packetdrill": {"verdict": "pass"},
                 "faultline": {"verdict": "flaky", "passes": 4, "runs": 5, "message": "m"}}]
        lines, totals = pc.table(rows)
        self.assertIn("flaky 4/5", lines[1])
        self.assertEqual(totals, {"packetdrill only": 1})
        self.assertEqual(lines[-1], "total:               1")


if __name__ == "__main__":
    unittest.main()
