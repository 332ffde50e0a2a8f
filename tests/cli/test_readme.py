#!/usr/bin/env python3
"""README.md cannot drift: every command block runs as written, every scenario snippet loads,
and the figures it shows are what the program prints.

The README is a short path into docs/, so the test follows its commands there: every docs/*.md
whose first line is a `<!-- readme-test: ... -->` comment is read like the README (the command
reference, the overview, the measured figures). docs/benchmarks.md, which holds the KPI table,
must be one of them, so the figure checks cannot be dropped by moving the table again.

- Each ```sh block runs line by line with bash in a scratch directory that looks like the source
  tree (build/, scenarios/, scripts/ ... link to the real ones), with a private mosquitto on a
  free loopback port for the blocks that need a broker (HEATBENCH_MQTT_HOST/_PORT point to it).
  A line must exit 0. An HTML comment right before a block says how to run it:
    <!-- readme-test: broker timeout=N -->   start the private broker; a line still running
                                             after N s (a daemon, a long room) passes
    <!-- readme-test: except PREFIX: WHY --> skip the lines starting with PREFIX
    <!-- readme-test: in-source ... -->      run in the source tree itself (the quick start)
    <!-- readme-test: skip: WHY -->          skip the block (the reason is printed)
- Each ```json block that is an object must pass `heatbench check`.
- The quick start's sample output (the block starting with `$ build/heatbench run`) must equal
  `heatbench run`'s output, every row of the KPI table (docs/benchmarks.md) must equal
  bench/kpi_table.sh's, and the predictive-control and open-window tables must be what
  bench/mpc_table.sh and bench/window_table.sh print, and the tuning table what
  `heatbench tune` prints.
- Every subcommand `heatbench --help` lists has a row in the README's command table, and the
  example of that row is a line of a command block of the pages read (so it runs, or says why
  not).

usage: test_readme.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
HB = os.path.join(BUILD, "heatbench")
passed = failed = 0


def ok():
    global passed
    passed += 1


def bad(msg):
    global failed
    failed += 1
    print("FAIL: " + msg)


def blocks(text):
    """(language, directive, first line number, lines) of every fenced block."""
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i + 1
        directive = ""
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0:
            d = re.match(r"^<!-- readme-test: (.*) -->$", lines[j].strip())
            directive = d.group(1) if d else ""
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append((lang, directive, start + 1, body))
        i += 1
    return out


def pages():
    """(relative path, text) of README.md and of every docs page that opts in to this test."""
    out = [("README.md", open(os.path.join(SRC, "README.md"), encoding="utf-8").read())]
    docs = os.path.join(SRC, "docs")
    for name in sorted(os.listdir(docs)):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(docs, name), encoding="utf-8").read()
        if text.startswith("<!-- readme-test:"):
            out.append(("docs/" + name, text))
    return out


def subcommands():
    """The subcommands `heatbench --help` lists, in its order."""
    r = subprocess.run([HB, "--help"], capture_output=True, text=True)
    text = r.stdout + r.stderr
    body = text.split("commands:", 1)[-1]
    names = []
    for line in body.splitlines():
        m = re.match(r"^  ([a-z]+)\b", line)
        if m and m.group(1) != "heatbench":
            names.append(m.group(1))
    return names


def check_command_table(readme, sh_lines):
    """Each subcommand has a row `| `NAME` | what | `example` |` in README.md whose example is a
    line of some command block of the pages read."""
    rows = {}
    for line in readme.splitlines():
        m = re.match(r"^\| `([a-z]+)` \|.*\| `(.+)` \|$", line)
        if m:
            rows[m.group(1)] = m.group(2).replace("\\|", "|")
    names = subcommands()
    if not names:
        bad("`heatbench --help` lists no subcommands")
    for name in names:
        if name not in rows:
            bad("README's command table has no row for `%s`" % name)
        elif rows[name] not in sh_lines:
            bad("README's example for `%s` is in no command block: %s" % (name, rows[name]))
        elif not re.match(r"^build/heatbench %s\b" % name, rows[name]):
            bad("README's example for `%s` does not run it: %s" % (name, rows[name]))
        else:
            ok()


def table_rows(lines):
    """The rows (below header and rule) of the first Markdown table in LINES."""
    rows = []
    for line in lines:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return rows[2:]


def page_table(text, script):
    """The rows of the table that follows the first mention of `bench/SCRIPT` in TEXT."""
    mention = "`bench/%s`" % script
    if mention not in text:
        return []
    return table_rows(text[text.index(mention):].splitlines()[1:])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_broker(work):
    port = free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % port)
    p = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("mosquitto did not start")


def run_line(cmd, work, env, timeout, daemon):
    """Runs one command line; returns (passed, output). A line still running at TIMEOUT is
    stopped, with its whole process group, and passes only for a DAEMON block."""
    p = subprocess.Popen(["bash", "-c", cmd], cwd=work, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode == 0, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        text = out.decode(errors="replace")
        return daemon, text if daemon else text + "\n(still running after %d s)" % timeout


def scratch():
    work = tempfile.mkdtemp(prefix="heatbench-readme-")
    os.symlink(BUILD, os.path.join(work, "build"))
    for name in ("scenarios", "scripts", "plots", "bench", "deploy", "docs", "fuzz", "sweeps"):
        os.symlink(os.path.join(SRC, name), os.path.join(work, name))
    with open(os.path.join(work, "pw.txt"), "w") as f:
        f.write("controller-secret\n")
    # the pair's key of `control --standby --pair-key-file pair.key`: private, as it must be
    fd = os.open(os.path.join(work, "pair.key"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"readme-pair-key-0123456789\n")
    os.close(fd)
    return work


def main():
    # A README command that ran this test again would recurse (the test suite runs it): refuse.
    if os.environ.get("HEATBENCH_README_TEST"):
        print("readme: a README command started the README test again; refusing to recurse")
        return 1
    os.environ["HEATBENCH_README_TEST"] = "1"
    env = dict(os.environ)
    env["HEATBENCH_MQTT_HOST"] = "127.0.0.1"
    read = pages()
    names = [name for name, _ in read]
    print("readme: reading " + ", ".join(names))
    if "docs/benchmarks.md" not in names:
        bad("docs/benchmarks.md does not start with a readme-test comment: its figures would go"
            " unchecked")
    sh_lines = set()
    for name, page in read:
        for lang, _, _, body in blocks(page):
            if lang == "sh":
                # a line's command without its trailing `# comment`
                sh_lines.update(re.sub(r"\s+#\s.*$", "", line).strip() for line in body)
    check_command_table(read[0][1], sh_lines)
    for page_name, lineno, lang, directive, body in (
            (n, b[2], b[0], b[1], b[3]) for n, page in read for b in blocks(page)):
        where = "%s:%d" % (page_name, lineno)
        if lang == "sh":
            if directive.startswith("skip"):
                print("skipped %s: %s" % (where, directive.split(":", 1)[-1].strip()))
                continue
            work = scratch()
            cwd = SRC if "in-source" in directive else work
            broker = None
            timeout = 300
            daemon = False  # whether a line still running at the timeout passes
            except_prefix = None
            m = re.search(r"except ([^\s:]+)", directive)
            if m:
                except_prefix = m.group(1)
            m = re.search(r"timeout=(\d+)", directive)
            if m:
                timeout = int(m.group(1))
                daemon = True
            try:
                if "broker" in directive:
                    broker, port = start_broker(work)
                    env["HEATBENCH_MQTT_PORT"] = str(port)
                for k, line in enumerate(body):
                    cmd = line.strip()
                    if not cmd or cmd.startswith("#"):
                        continue
                    if except_prefix and cmd.startswith(except_prefix):
                        print("skipped %s:%d: %s" % (where, k, directive.split(":", 1)[-1].strip()))
                        continue
                    good, out = run_line(cmd, cwd, env, timeout, daemon)
                    if good:
                        ok()
                    else:
                        bad("%s: `%s` failed:\n%s" % (where, cmd, out[-1500:]))
            finally:
                if broker:
                    broker.kill()
                    broker.wait()
                env.pop("HEATBENCH_MQTT_PORT", None)
                shutil.rmtree(work, ignore_errors=True)
        elif lang == "json" and body and body[0].startswith("{"):
            work = tempfile.mkdtemp(prefix="heatbench-readme-")
            path = os.path.join(work, "snippet.json")
            with open(path, "w") as f:
                f.write("\n".join(body) + "\n")
            r = subprocess.run([HB, "check", path], capture_output=True, text=True)
            ok() if r.returncode == 0 else bad("%s: the JSON snippet does not load: %s"
                                                % (where, r.stderr))
            shutil.rmtree(work, ignore_errors=True)
        elif lang == "" and body and body[0] == "$ build/heatbench run":
            r = subprocess.run([HB, "run"], capture_output=True, text=True, cwd=SRC)
            shown = "\n".join(body[1:]) + "\n"
            ok() if r.stdout == shown else bad(
                "%s: the sample output differs from `heatbench run`:\n%s" % (where, r.stdout))
    # The KPI table (docs/benchmarks.md): every row bench/kpi_table.sh prints for pid, and the
    # default's bang-bang row.
    text = dict(read).get("docs/benchmarks.md", "")
    r = subprocess.run([os.path.join(SRC, "bench", "kpi_table.sh"), HB], capture_output=True,
                       text=True, cwd=SRC)
    printed = r.stdout.splitlines()[2:]
    rows = [x for x in printed if "| pid |" in x or x.startswith("| default |")]
    for row in rows:
        ok() if row in text else bad("docs/benchmarks.md's KPI table lacks or differs from: " + row)
    # ... and every row the page's table shows (the MPC's too) is one the script prints.
    header = r.stdout.splitlines()[0]
    if header in text:
        table = text[text.index(header):].split("\n\n")[0].splitlines()[2:]
        for row in table:
            ok() if row in printed else bad(
                "docs/benchmarks.md's KPI table row is not the program's: " + row)
    else:
        bad("docs/benchmarks.md lacks the KPI table's header: " + header)
    # The predictive-control and open-window tables are the scripts' tables, row for row.
    for script, arg in (("mpc_table.sh", BUILD), ("window_table.sh", HB)):
        r = subprocess.run([os.path.join(SRC, "bench", script), arg], capture_output=True,
                           text=True, cwd=SRC)
        printed = table_rows(r.stdout.splitlines())
        shown = page_table(text, script)
        if r.returncode != 0 or not printed:
            bad("bench/%s failed:\n%s" % (script, (r.stdout + r.stderr)[-1500:]))
        elif shown == printed:
            ok()
        else:
            bad("docs/benchmarks.md's table of bench/%s differs from what it prints:\n%s"
                % (script, "\n".join(printed)))
    # The tuning method table: what `heatbench tune` prints on the default room (deterministic).
    work = tempfile.mkdtemp(prefix="heatbench-readme-")
    r = subprocess.run([HB, "tune", "-o", os.path.join(work, "tuned.json")], capture_output=True,
                       text=True, cwd=SRC)
    shutil.rmtree(work, ignore_errors=True)
    lines = [x.rstrip() for x in r.stdout.splitlines()]
    start = next((i for i, x in enumerate(lines) if x.startswith("method ")), None)
    end = next((i for i, x in enumerate(lines) if x.startswith("(discomfort")), None)
    after = text[text.index("## Tuning"):] if "## Tuning" in text else ""
    shown = [b[3] for b in blocks(after) if b[0] == ""][:1]
    if r.returncode != 0 or start is None or end is None:
        bad("heatbench tune failed or printed no method table:\n" + r.stdout + r.stderr)
    elif shown and [x.rstrip() for x in shown[0]] == lines[start:end + 1]:
        ok()
    else:
        bad("docs/benchmarks.md's tuning table differs from `heatbench tune`:\n"
            + "\n".join(lines[start:end + 1]))
    print("readme: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
