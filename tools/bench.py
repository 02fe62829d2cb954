#!/usr/bin/env python3
"""The driver of `make bench` (run after the build): boots a fresh machine
for each in-guest benchmark program listed in BENCHMARKS, types its
command line with tools/run, and prints what the program printed (its
table), without the boot messages; then draws the results (tools/plot.py).

    tools/bench.py [--no-plot] [FILTER ...]

Benchmarks time themselves with the `time` CSR and print their own tables,
each row with its baseline measured in the same run. Besides the table a
benchmark prints points for the plots as lines `data SERIES X Y`: they
are left out of what is shown, collected into {SERIES: [[X, Y], ...]},
saved as tests/logs/bench-results.json and handed to tools/plot.py, which
draws docs/*.png with matplotlib (run by whichever python3 has it). Full
console logs go to tests/logs/bench-*.log. Exit status: non-zero if a
benchmark panicked, timed out or could not run, or the plots failed.
The driver itself uses only the Python 3 standard library.
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, "tests", "logs")

# (command line, harts, time-out in seconds), e.g. ("bench_cow", 3, 600).
BENCHMARKS = [
    ("bench_cow", 3, 900),
    ("bench_dedup", 3, 900),
    ("bench_swap", 3, 1200),
    # One hart: with three, most of a round trip is the host waking the
    # vCPU thread of an idle hart, which on a loaded 2-core machine
    # drowns what IPC itself costs.
    ("bench_ipc", 1, 900),
    ("bench_suite test_sys", 1, 1800),
    ("bench_fs", 3, 600),
]

STATUS = {1: "kernel panic", 2: "timed out", 3: "QEMU exited early"}
DATA = re.compile(r"^data (\S+) (-?[\d.]+) (-?[\d.]+)$")
RESULTS = os.path.join(LOGS, "bench-results.json")


def program_output(console, command):
    """The lines between the echo of `$ command` and the next prompt."""
    lines = console.replace("\r", "").split("\n")
    out, inside = [], False
    for line in lines:
        if not inside:
            inside = line == "$ " + command
        elif line.startswith("$ "):
            break
        else:
            out.append(line)
    return out


def number(text):
    return float(text) if "." in text else int(text)


def run(command, cpus, timeout, results):
    """Run one benchmark, adding its data points to results; returns True
    if it completed."""
    print("== %s (%d harts)" % (command, cpus), flush=True)
    r = subprocess.run([os.path.join(ROOT, "tools", "run"), "--cpus",
                        str(cpus), "--timeout", str(timeout), command],
                       cwd=ROOT, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace")
    log = os.path.join(LOGS, "bench-" + re.sub(r"[^\w.-]+", "_", command) +
                       ".log")
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    for line in program_output(r.stdout, command):
        m = DATA.match(line)
        if m:
            results.setdefault(m.group(1), []).append(
                [number(m.group(2)), number(m.group(3))])
        else:
            print(line)
    if r.returncode != 0:
        print("%s: %s (log: %s)" % (command, STATUS.get(
            r.returncode, "failed"), os.path.relpath(log, ROOT)))
    print(flush=True)
    return r.returncode == 0


def plot(results):
    """Save the results and draw them; returns True on success."""
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    script = os.path.join(ROOT, "tools", "plot.py")
    for python in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run([python, "-c", "import matplotlib"],
                               capture_output=True)
        if probe.returncode == 0:
            return subprocess.run([python, script, RESULTS]).returncode == 0
    print("bench: no python3 with matplotlib (tools/install-deps --plot); "
          "results kept in %s" % os.path.relpath(RESULTS, ROOT))
    return False


def main():
    args = sys.argv[1:]
    drawing = "--no-plot" not in args
    filters = [a for a in args if a != "--no-plot"]
    chosen = [b for b in BENCHMARKS
              if not filters or any(f in b[0] for f in filters)]
    if not chosen:
        print("no benchmarks yet" if not BENCHMARKS else
              "no benchmark matches %s" % " ".join(filters))
        return 0 if not BENCHMARKS else 1
    os.makedirs(LOGS, exist_ok=True)
    results = {}
    ok = [run(*b, results) for b in chosen]
    if results and drawing:
        ok.append(plot(results))
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
