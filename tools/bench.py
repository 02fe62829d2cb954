#!/usr/bin/env python3
"""The driver of `make bench` (run after the build): boots a fresh machine
for each in-guest benchmark program listed in BENCHMARKS, types its
command line with tools/run, and prints what the program printed (its
table), without the boot messages.

    tools/bench.py [FILTER ...]

Benchmarks time themselves with the `time` CSR and print their own tables,
each row with its baseline measured in the same run. Full console logs go
to tests/logs/bench-*.log. Exit status: non-zero if a benchmark panicked,
timed out or could not run. Only the Python 3 standard library is used.
"""

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
    ("bench_fs", 3, 600),
]

STATUS = {1: "kernel panic", 2: "timed out", 3: "QEMU exited early"}


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


def run(command, cpus, timeout):
    """Run one benchmark; returns True if it completed."""
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
        print(line)
    if r.returncode != 0:
        print("%s: %s (log: %s)" % (command, STATUS.get(
            r.returncode, "failed"), os.path.relpath(log, ROOT)))
    print(flush=True)
    return r.returncode == 0


def main():
    filters = sys.argv[1:]
    chosen = [b for b in BENCHMARKS
              if not filters or any(f in b[0] for f in filters)]
    if not chosen:
        print("no benchmarks yet" if not BENCHMARKS else
              "no benchmark matches %s" % " ".join(filters))
        return 0 if not BENCHMARKS else 1
    os.makedirs(LOGS, exist_ok=True)
    ok = [run(*b) for b in chosen]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
