#!/usr/bin/env python3
"""The project's conventions as checks (scripts/lint.sh runs this; docs/architecture.md says what
each one guards). Definitions come from universal-ctags (its C parser knows where a function
starts and ends, which is static, what it returns); uses are counted on the source with comments,
strings and character literals blanked, so a name in a comment is no caller.

  unique-private   a private name (hb__...) is defined in one file only
  called-public    a public function (hb_..., defined in a .c file, not static) has a caller
                   outside tests/ and fuzz/
  long-function    no function is over 150 lines (tables are data, not functions: not counted)
  thin-cli         no function in cli/ is over 100 lines: a command's options are a table
                   (cli/hb_opts.h) and what is left is split by job (parse, validate, run, print)
  create           a public hb_*_create returns an int code and hands its object out through
                   its last parameter (int hb_x_create(const cfg *, hb_x **out))
  one-session      no file but mqtt/hb_session.c names mosquitto_connect*, mosquitto_reconnect*
                   or mosquitto_loop* (tests and fuzz harnesses included): every program drives
                   the one MQTT session, so connection pacing cannot drift apart between them

Offenders of today that other work is about to fix are listed, each with its size, in
scripts/ratchet/<check>.txt: a listed offender may shrink or go, never grow, and an offender not
listed fails. A listed one that has gone or shrunk is reported as a note, so the list is
tightened as the tree improves.

usage: lint_conventions.py [SOURCE_DIR]   (exit 1 when a check fails)
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

MAX_LINES = 150
CLI_MAX_LINES = 100  # cli/ only parses, checks and calls: its functions stay short
SESSION_FILE = "mqtt/hb_session.c"  # the one file that connects and runs the network loop
NETWORK = re.compile(r"mosquitto_(?:connect|reconnect|loop)\w*")
SKIP_DIRS = {".git", "deploy", "docs", "scenarios", "plots"}
NOT_CALLERS = ("tests", "fuzz")  # folders whose uses do not count as callers


def sources(root):
    """Every .c and .h file under ROOT, build directories excepted (they hold generated code)."""
    out = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith((".", "build")))
        if rel == ".":
            rel = ""
        out += [os.path.join(rel, f) for f in sorted(files) if f.endswith((".c", ".h"))]
    return out


def tags(root, files):
    # Debian's universal-ctags installs ctags-universal (ctags may be another implementation).
    exe = shutil.which("ctags-universal") or "ctags"
    r = subprocess.run([exe, "--output-format=json", "--fields=+neSKZt", "--kinds-C=+p",
                        "-L", "-", "-f", "-"], cwd=root, input="\n".join(files),
                       capture_output=True, text=True, check=True)
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


BLANK = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def identifiers(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        text = BLANK.sub(" ", f.read())
    return collections.Counter(IDENT.findall(text))


def ratchet(root, name):
    """The allowlist scripts/ratchet/NAME.txt: {entry: size}."""
    path = os.path.join(root, "scripts", "ratchet", name + ".txt")
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if line:
                    out[line[0]] = int(line[1]) if len(line) > 1 else 1
    return out


class Report:
    def __init__(self):
        self.failures = 0

    def fail(self, check, where, msg):
        self.failures += 1
        print(f"{where}: {msg} [{check}]")

    def note(self, check, msg):
        print(f"note: {msg} [{check}]")


def judge(rep, check, allowed, found, where, describe):
    """FOUND: {entry: (size, where)} of today's offenders, against the allowlist ALLOWED."""
    for name, (size, loc) in sorted(found.items()):
        if name not in allowed:
            rep.fail(check, loc, describe(name, size))
        elif size > allowed[name]:
            rep.fail(check, loc, describe(name, size) +
                     f" (scripts/ratchet/{check}.txt allows {allowed[name]}: it may only shrink)")
        elif size < allowed[name]:
            rep.note(check, f"{name} is down to {size}: lower its line in scripts/ratchet/{check}.txt")
    for name in sorted(set(allowed) - set(found)):
        rep.note(check, f"{name} is fixed: remove it from scripts/ratchet/{check}.txt")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    files = sources(root)
    all_tags = tags(root, files)
    rep = Report()
    defs = [t for t in all_tags if t.get("kind") in ("function", "variable", "typedef", "struct",
                                                       "union", "enum")]

    # unique-private: the files defining each hb__ name (a struct and its typedef in one file
    # are one definition).
    where = collections.defaultdict(dict)
    for t in defs:
        if t["name"].startswith("hb__"):
            where[t["name"]].setdefault(t["path"], t["line"])
    found = {n: (len(fs), ", ".join(f"{p}:{line}" for p, line in sorted(fs.items())))
             for n, fs in where.items() if len(fs) > 1}
    judge(rep, "unique-private", ratchet(root, "unique-private"), found, None,
          lambda n, k: f"private name {n} is defined in {k} files (rename all but one)")

    funcs = [t for t in defs if t["kind"] == "function" and t["path"].endswith(".c")]

    # called-public: uses outside tests/ and fuzz/, the definition itself not counted.
    uses = collections.Counter()
    for p in files:
        if p.endswith(".c") and p.split(os.sep)[0] not in NOT_CALLERS:
            uses.update(identifiers(root, p))
    found = {}
    for t in funcs:
        n = t["name"]
        public = n.startswith("hb_") and not n.startswith("hb__") and not t.get("file")
        if public and t["path"].split(os.sep)[0] not in NOT_CALLERS and uses[n] <= 1:
            found[n] = (1, f"{t['path']}:{t['line']}")
    judge(rep, "called-public", ratchet(root, "called-public"), found, None,
          lambda n, k: f"public function {n} has no caller outside tests (make it static, or remove it)")

    # long-function: keyed by name, so a function moved to another file keeps its entry.
    found = {}
    for t in funcs:
        if "end" in t:
            lines = t["end"] - t["line"] + 1
            if lines > MAX_LINES:
                found[t["name"]] = (lines, f"{t['path']}:{t['line']}")
    judge(rep, "long-function", ratchet(root, "long-function"), found, None,
          lambda n, k: f"function {n} is {k} lines, over {MAX_LINES} (split it by job)")

    # thin-cli: the same count, for cli/ with the lower bound.
    found = {}
    for t in funcs:
        if "end" in t and t["path"].split(os.sep)[0] == "cli":
            lines = t["end"] - t["line"] + 1
            if lines > CLI_MAX_LINES:
                found[t["name"]] = (lines, f"{t['path']}:{t['line']}")
    judge(rep, "thin-cli", ratchet(root, "thin-cli"), found, None,
          lambda n, k: f"function {n} in cli/ is {k} lines, over {CLI_MAX_LINES} (declare its "
          "options in a table, cli/hb_opts.h, and split the rest by job)")

    # create: int return and a double pointer as the last parameter.
    found = {}
    for t in funcs:
        n = t["name"]
        if n.startswith("hb_") and n.endswith("_create") and not t.get("file"):
            ret = t.get("typeref", "").replace("typename:", "")
            params = t.get("signature", "").strip("()").split(",")
            if ret != "int" or not re.search(r"\*\s*\*\s*\w*\s*$", params[-1]):
                found[n] = (1, f"{t['path']}:{t['line']}")
    judge(rep, "create", ratchet(root, "create"), found, None,
          lambda n, k: f"{n} is not `int {n}(const cfg *, T **out)` (return an hb_err code)")

    # one-session: keyed by file; a callback setter counts too (the session sets them all).
    found = {}
    for p in files:
        if p.replace(os.sep, "/") != SESSION_FILE:
            hits = sorted(n for n in identifiers(root, p) if NETWORK.fullmatch(n))
            if hits:
                found[p] = (len(hits), ", ".join(hits))
    judge(rep, "one-session", ratchet(root, "one-session"), found, None,
          lambda n, k: f"{n} calls {found[n][1]}: only {SESSION_FILE} connects or runs the "
                       "network loop (drive hb_session)")

    if rep.failures:
        print(f"conventions: {rep.failures} failed (docs/architecture.md, \"Conventions\")")
        return 1
    print("conventions: unique private names, called public functions, function length, thin cli, "
          "creates, one MQTT session: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
