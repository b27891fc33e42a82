#!/usr/bin/python3
"""Checks docs/schema.json, the JSON Schema of case files (docs/cases.md).

  check_schema.py cases SCHEMA CASES_DIR [DOCS_MD]
      every case file under CASES_DIR (and every complete case in the yaml
      blocks of DOCS_MD) validates against SCHEMA.
  check_schema.py valid SCHEMA FAULTLINE DIR
      every file in DIR is accepted by SCHEMA and by `FAULTLINE validate`
      (files that use every form of the format, beyond what cases/ uses).
  check_schema.py invalid SCHEMA FAULTLINE DIR
      every file in DIR is rejected by SCHEMA at the place its
      "# schema-error-at:" line names, and by `FAULTLINE validate` (exit
      status 2) with the message its "# loader-error:" line names.
  check_schema.py keys SCHEMA FAULTLINE
      the schema's property names and enums are the loader's own key tables
      (`FAULTLINE __format-keys`, harness/loader/format_keys.h), in both
      directions, and every object the loader closes is closed in the schema.

Run with Debian's interpreter (/usr/bin/python3, python3-jsonschema and
python3-yaml). Prints one line per problem and a summary; exits 1 on any.
"""

import glob
import json
import os
import re
import subprocess
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core scalars, as yaml-cpp and
    yaml-language-server read them: yes/no/on/off are strings, 1:30 is not a
    number. (The loader itself is stricter still: see docs/design.md.)"""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))


def construct_int12(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", construct_int12)


def load_yaml(text):
    return yaml.load(text, Loader=Yaml12Loader)


def validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return schema, jsonschema.Draft7Validator(schema)


def where(err):
    return "/".join(str(p) for p in err.absolute_path) or "(top)"


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self):
        self.passed += 1

    def fail(self, text):
        self.failed += 1
        print("FAIL " + text)

    def finish(self, what):
        print(f"{what}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def case_files(directory):
    files = glob.glob(os.path.join(directory, "**", "*.yaml"), recursive=True)
    files += glob.glob(os.path.join(directory, "**", "*.yml"), recursive=True)
    return sorted(files)


def doc_cases(md_path):
    """The yaml blocks of a Markdown file that are whole cases (name: and steps:)."""
    with open(md_path, encoding="utf-8") as f:
        text = f.read()
    out = []
    for m in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, m.start()) + 2
        try:
            doc = load_yaml(m.group(1))
        except yaml.YAMLError:
            continue
        # A case whose steps are left out ("steps: ...") is an illustration.
        if isinstance(doc, dict) and "name" in doc and doc.get("steps") not in (None, "..."):
            out.append((f"{md_path}:{line}", doc))
    return out


def cmd_cases(schema_path, cases_dir, docs_md=None):
    _, v = validator(schema_path)
    r = Report()
    files = case_files(cases_dir)
    if not files:
        r.fail(f"no case files under {cases_dir}")
    docs = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            docs.append((f, load_yaml(fh.read())))
    if docs_md:
        found = doc_cases(docs_md)
        if not found:
            r.fail(f"no complete case in the yaml blocks of {docs_md}")
        docs += found
    for name, doc in docs:
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errs:
            for e in errs[:5]:
                r.fail(f"{name}: {where(e)}: {e.message}")
        else:
            r.ok()
    return r.finish("schema: valid cases")


def cmd_valid(schema_path, faultline, directory):
    _, v = validator(schema_path)
    r = Report()
    files = case_files(directory)
    if not files:
        r.fail(f"no files under {directory}")
    for f in files:
        with open(f, encoding="utf-8") as fh:
            doc = load_yaml(fh.read())
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        p = subprocess.run([faultline, "validate", f], capture_output=True, text=True, check=False)
        for e in errs[:5]:
            r.fail(f"{f}: the schema rejects it: {where(e)}: {e.message}")
        if p.returncode != 0:
            r.fail(f"{f}: faultline validate exited {p.returncode}: {p.stderr.strip()}")
        if not errs and p.returncode == 0:
            r.ok()
    return r.finish("schema: valid forms")


def all_paths(errs):
    """Where the errors are, with those inside anyOf/oneOf alternatives."""
    out = set()
    for e in errs:
        out.add(where(e))
        out |= all_paths(e.context or [])
    return out


def cmd_invalid(schema_path, faultline, directory):
    _, v = validator(schema_path)
    r = Report()
    files = case_files(directory)
    if not files:
        r.fail(f"no files under {directory}")
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        want = re.search(r"^# loader-error: (.+)$", text, re.M)
        if not want:
            r.fail(f"{f}: no '# loader-error: TEXT' line saying why the loader rejects it")
            continue
        at = re.search(r"^# schema-error-at: (.+)$", text, re.M)
        if not at:
            r.fail(f"{f}: no '# schema-error-at: PATH' line saying where the schema rejects it")
            continue
        doc = load_yaml(text)
        errs = list(v.iter_errors(doc))
        p = subprocess.run([faultline, "validate", f], capture_output=True, text=True, check=False)
        good = True
        if not errs:
            r.fail(f"{f}: the schema accepts it")
            good = False
        elif at.group(1).strip() not in all_paths(errs):
            r.fail(f"{f}: the schema rejects it at {sorted(all_paths(errs))}, "
                   f"not at {at.group(1).strip()}: {errs[0].message}")
            good = False
        if p.returncode != 2:
            r.fail(f"{f}: faultline validate exited {p.returncode}, not 2: {p.stderr.strip()}")
            good = False
        elif want.group(1).strip() not in p.stderr:
            r.fail(f"{f}: faultline validate said {p.stderr.strip()!r}, "
                   f"expected it to contain {want.group(1).strip()!r}")
            good = False
        if good:
            print(f"ok   {f}: schema: {where(errs[0])}: {errs[0].message[:100]}")
            r.ok()
    return r.finish("schema: invalid cases")


# ---- keys: the schema against the loader's tables ----

def props(node):
    return [k for k, v in node.get("properties", {}).items() if v is not False]


def false_props(node):
    return [k for k, v in node.get("properties", {}).items() if v is False]


def required_alternatives(node):
    """The names in an anyOf of {required: [NAME]}."""
    return [alt["required"][0] for alt in node.get("anyOf", []) if "required" in alt]


class KeyCheck:
    def __init__(self, schema, tables, report):
        self.schema = schema
        self.defs = schema.get("definitions", {})
        self.tables = tables
        self.r = report
        self.used = set()

    def table(self, name):
        self.used.add(name)
        if name not in self.tables:
            self.r.fail(f"faultline __format-keys has no table '{name}' (this check expects it)")
            return {} if name in ("ops", "observe_ops", "actions") else []
        return self.tables[name]

    def defn(self, name):
        if name not in self.defs:
            self.r.fail(f"docs/schema.json has no definitions/{name}")
            return {}
        return self.defs[name]

    def same(self, what, loader, schema_keys):
        lo, sc = set(loader), set(schema_keys)
        if lo == sc:
            self.r.ok()
            return
        if lo - sc:
            self.r.fail(f"{what}: the loader accepts {sorted(lo - sc)}, docs/schema.json does not")
        if sc - lo:
            self.r.fail(f"{what}: docs/schema.json has {sorted(sc - lo)}, the loader does not")

    def named_defs(self, what, prefix, names):
        """definitions/PREFIX<name> exist exactly for `names`."""
        have = [k[len(prefix):] for k in self.defs if k.startswith(prefix)]
        self.same(f"{what} (definitions/{prefix}*)", names, have)

    def run(self):
        d, root = self.defs, self.schema
        self.same("case keys (properties)", self.table("case"), props(root))
        self.same("host keys (definitions/host)", self.table("host"), props(self.defn("host")))
        self.same("step keys besides the host (definitions/step)", self.table("step"),
                  props(self.defn("step")))

        # Operations: one definition each with exactly its params and the
        # common keys; all of them in callStep, its anyOf, and the shorthand.
        ops = self.table("ops")
        common = self.table("call_common")
        self.named_defs("operations", "op_", list(ops))
        for op, params in ops.items():
            if f"op_{op}" in d:
                # `as: false` where nothing is created: known, and refused.
                self.same(f"keys of operation '{op}' (definitions/op_{op})",
                          [op] + params + common, list(d[f"op_{op}"].get("properties", {})))
        call = self.defn("callStep")
        every = set(ops) | set(common) | {p for ps in ops.values() for p in ps}
        self.same("keys of a call step (definitions/callStep)", every, props(call))
        self.same("operations a call step needs one of (definitions/callStep anyOf)", list(ops),
                  required_alternatives(call))
        dispatched = [x["then"]["$ref"].rsplit("/op_", 1)[-1] for x in call.get("allOf", [])]
        self.same("operations callStep dispatches (definitions/callStep allOf)", list(ops),
                  dispatched)
        m = re.search(r"\(([a-z_|]+)\)", self.defn("shorthand").get("pattern", ""))
        self.same("operations of the string shorthand (definitions/shorthand pattern)", list(ops),
                  m.group(1).split("|") if m else [])

        self.same("expect keys (definitions/expect)", self.table("expect"),
                  props(self.defn("expect")))
        self.same("SO_LINGER value keys (definitions/soLinger)", self.table("so_linger"),
                  props(self.defn("soLinger")))
        self.same("run ready: keys (definitions/ready)", self.table("ready"),
                  props(self.defn("ready")))
        output = [alt for alt in self.defn("outputExpect").get("anyOf", []) if "properties" in alt]
        self.same("stdout/stderr map keys (definitions/outputExpect)", self.table("output_expect"),
                  props(output[0]) if output else [])
        self.same("sockets selected by port (definitions/portSelect)", self.table("port_select"),
                  props(self.defn("portSelect")))

        obs = self.table("observe_ops")
        self.named_defs("observations", "observe_", list(obs))
        for op, keys in obs.items():
            if f"observe_{op}" in d:
                self.same(f"keys of observation '{op}' (definitions/observe_{op})", [op] + keys,
                          props(d[f"observe_{op}"]))
        self.same("keys of an observation step (definitions/observeStep)",
                  set(obs) | {k for ks in obs.values() for k in ks},
                  props(self.defn("observeStep")))
        detect = self.defn("hostStep").get("else", {}).get("if", {})
        self.same("observations that make a step an observation (definitions/hostStep)",
                  list(obs), required_alternatives(detect))
        self.same("queue fields (definitions/queueExpect)", self.table("queue_fields"),
                  props(self.defn("queueExpect")))
        self.same("tcp_info fields (definitions/tcpInfoExpect)", self.table("tcp_info_fields"),
                  props(self.defn("tcpInfoExpect")))

        self.same("fault keys (definitions/fault)", self.table("fault"), props(self.defn("fault")))
        self.same("match keys (definitions/match)", self.table("match"), props(self.defn("match")))
        actions = self.table("actions")
        self.named_defs("actions", "action_", list(actions))
        # name, enabled, active: every fault's keys besides match, do and params
        control = set(self.table("fault")) - {"match", "do"} - {
            p for ps in actions.values() for p in ps}
        for a, params in actions.items():
            if f"action_{a}" in d:
                self.same(f"keys of action '{a}' (definitions/action_{a})",
                          ["match", "do"] + params + sorted(control), props(d[f"action_{a}"]))
        fault = self.defn("fault")
        self.same("actions of do: (definitions/fault/properties/do enum)", list(actions),
                  fault.get("properties", {}).get("do", {}).get("enum", []))
        self.same("hold until: keys (definitions/holdUntil)", self.table("hold_until"),
                  props(self.defn("holdUntil")))

        self.same("packets item keys (definitions/packetItem)", self.table("packets"),
                  props(self.defn("packetItem")))
        self.same("match keys refused in packets: (definitions/captureMatch, false)",
                  self.table("packets_no_match"), false_props(self.defn("captureMatch")))
        self.same("timing item keys (definitions/timingItem)", self.table("timing"),
                  props(self.defn("timingItem")))
        self.same("timing event keys (definitions/timingEvent)", self.table("timing_event"),
                  props(self.defn("timingEvent")))
        self.same("requires keys (definitions/requires)", self.table("requires"),
                  props(self.defn("requires")))
        self.same("xfail keys (definitions/xfail)", self.table("xfail"), props(self.defn("xfail")))
        self.same("matrix keys (definitions/matrix)", self.table("matrix"),
                  props(self.defn("matrix")))
        counter = [alt for alt in self.defn("counterMap").get("additionalProperties", {})
                   .get("anyOf", []) if "properties" in alt]
        self.same("counter map keys (definitions/counterMap)", self.table("counter"),
                  props(counter[0]) if counter else [])

        self.same("packet keys (definitions/packet)", self.table("packet"),
                  props(self.defn("packet")))
        self.same("icmp keys (definitions/packet icmp)", self.table("icmp"),
                  props(self.defn("packet")["properties"]["icmp"]))
        self.same("packet step keys (definitions/packetStep)", self.table("packet_step"),
                  props(self.defn("packetStep")))
        self.same("wire step keys (definitions/wireStep)", self.table("wire_step"),
                  props(self.defn("wireStep")))

        for table, name in [("tcp_classes", "tcpClass"), ("socket_options", "socketOption"),
                            ("send_flags", "sendFlag"), ("recv_flags", "recvFlag"),
                            ("poll_events", "pollEvent"), ("revents", "revent"),
                            ("tcp_states", "tcpState")]:
            self.same(f"{table} (definitions/{name} enum)", self.table(table),
                      self.defn(name).get("enum", []))

        for name in sorted(set(self.tables) - self.used):
            self.r.fail(f"faultline __format-keys has a table '{name}' that this check does not "
                        f"compare: add it to tests/schema/check_schema.py and docs/schema.json")


# Objects with properties that may stay open: closed by the schema they
# refer to (captureMatch: match, with some of its keys refused), and
# objects whose other keys are names.
# counterMap and when: their other keys are counter and dimension names.
OPEN_OBJECTS = {"#/definitions/captureMatch", "#/definitions/counterMap", "#/definitions/when"}


def lint(schema, r):
    """Every object with properties rejects other keys, and every property
    has a description (editors show it). Conditions and their consequences
    (if/then/else/not/dependencies) only narrow what an object already says:
    skipped."""
    def walk(node, path):
        if isinstance(node, dict):
            conditional = any(seg in ("if", "then", "else", "not", "dependencies")
                              for seg in path.split("/"))
            if "properties" in node and not conditional and path not in OPEN_OBJECTS:
                if node.get("additionalProperties") is not False:
                    r.fail(f"{path}: an object with properties but without "
                           "additionalProperties: false")
                else:
                    r.ok()
            if not conditional:
                for k, v in node.get("properties", {}).items():
                    if isinstance(v, dict) and "description" not in v:
                        r.fail(f"{path}/properties/{k}: no description")
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")
    walk(schema, "#")


def cmd_keys(schema_path, faultline):
    schema, _ = validator(schema_path)
    r = Report()
    p = subprocess.run([faultline, "__format-keys"], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        r.fail(f"faultline __format-keys exited {p.returncode}: {p.stderr.strip()}")
        return r.finish("schema: loader keys")
    KeyCheck(schema, json.loads(p.stdout), r).run()
    lint(schema, r)
    return r.finish("schema: loader keys")


def main(argv):
    if len(argv) >= 4 and argv[1] == "cases":
        return cmd_cases(*argv[2:5])
    if len(argv) == 5 and argv[1] == "valid":
        return cmd_valid(argv[2], argv[3], argv[4])
    if len(argv) == 5 and argv[1] == "invalid":
        return cmd_invalid(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "keys":
        return cmd_keys(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
