#!/usr/bin/env python3
"""Fails when a function in harness/ or injectors/ is longer than 80 lines.

The code is clang-formatted in Google style: namespace contents are not
indented, so a function defined at namespace scope starts with a signature
at column 0 and ends with a `}` alone at column 0. The count runs from the
signature's first line to that brace. Tests (*_test.cc), fuzz targets and
benchmarks are not checked.

A function may be longer where a comment within the three lines above its
signature says why, starting with `// Long:` (a table, a switch over every
operation that reads best in one place).

Usage: function_length.py [--max N] ROOT
"""
import argparse
import os
import re
import sys

DIRS = ("harness", "injectors")
NOT_FUNCTION = re.compile(r"^(namespace|struct|class|enum|union|extern|template\s*<[^>]*>\s*(struct|class))\b")


def functions(lines):
    """Yields (first_line, last_line, signature) of namespace-scope functions."""
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line or line[0].isspace() or line.startswith(("//", "#", "}")) or NOT_FUNCTION.match(line):
            i += 1
            continue
        # A statement starting at column 0: find the line that ends it ({ or ;).
        j = i
        while j < n and j < i + 12:
            stripped = lines[j].rstrip()
            if stripped.endswith(";") or stripped.endswith("{"):
                break
            j += 1
        if j >= n or not lines[j].rstrip().endswith("{") or "(" not in "".join(lines[i:j + 1]):
            i = j + 1
            continue
        head = "".join(lines[i:j + 1])
        if re.search(r"=\s*\{?\s*$", head.split("(")[0]) or head.split("(")[0].rstrip().endswith("="):
            i = j + 1  # a variable initialised with braces
            continue
        k = j + 1
        while k < n and lines[k].rstrip() != "}":
            if lines[k].startswith("}"):
                break  # `};`: not a function body
            k += 1
        if k < n and lines[k].rstrip() == "}":
            yield i, k, line.strip()
        i = k + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("root")
    args = ap.parse_args()
    bad = []
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(args.root, d)):
            for name in sorted(names):
                if not name.endswith(".cc") or name.endswith("_test.cc") or name.endswith("_fuzz.cc"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    lines = f.read().split("\n")
                for first, last, sig in functions(lines):
                    length = last - first + 1
                    if length <= args.max:
                        continue
                    above = lines[max(0, first - 3):first]
                    if any(l.lstrip().startswith("// Long:") for l in above):
                        continue
                    rel = os.path.relpath(path, args.root)
                    bad.append((length, f"{rel}:{first + 1}: {length} lines (at most {args.max}): {sig}"))
    for _, msg in sorted(bad, reverse=True):
        print(msg)
    print(f"{len(bad)} function(s) over {args.max} lines" if bad else "no function over the limit")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
