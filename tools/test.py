#!/usr/bin/env python3
"""The driver of `make test` (run after the build): host unit tests, then
the in-guest suites, each result echoed as a PASS/FAIL line as it happens,
and at the end exactly one closing line `N passed, N failed`. The exit
status is non-zero on any failure, kernel panic or time-out.

    tools/test.py [--host-only | --guest-only | --soak] [--list] [--seed N]
                  [--kernel K] [--lc-kernel K] [--fs IMG] [FILTER ...]

FILTERs keep only the host tests and guest suites whose label contains one
of them (e.g. `tools/test.py test_sys@1`).

1. Host unit tests: every tests/host/test_*.c is compiled with the host C
   compiler and the sanitizers, together with the kernel sources it names
   in a comment line `// sources: kernel/vm/frame.c ...`, into
   tests/host/build/, and run. Its own `PASS name` / `FAIL name: reason`
   lines are echoed as `PASS host/<test>/name`; a compile error, a non-zero
   exit, a sanitizer report or no result at all is `FAIL host/<test>: why`.

2. In-guest suites: each entry of GUEST_SUITES boots a fresh machine with
   tools/run and types the command line. The suite's lines are echoed as
   `PASS <label>/name`, the label being the command and the number of harts
   (`test_sys@3`). A panic, time-out, missing result lines (the suite
   printed `<suite>: running N tests` but fewer results), a missing
   closing line, or a closing line `<suite>: N passed, N failed` whose
   counts differ from the PASS and FAIL lines seen are failures of the
   suite itself: `FAIL <label>: why`.
   After a run that powered off cleanly, tools/fsck.py checks the file
   system the suite left behind: `PASS <label>/fsck` or
   `FAIL <label>/fsck: why`.

A suite marked "lc" boots the lock-order checking kernel (kernel/kernel-lc,
`--lc-kernel`) instead. In a command, {seed} stands for the seed of the run
(`--seed`, default 1): the fuzzer and the soak print it and replay with it.
`--soak` (`make soak`) runs SOAK_SUITES instead of everything else, each
with a new random seed.

Full console logs and compiler/test output go to tests/logs/ (one file per
suite or host test) for diagnosis. Only the Python 3 standard library is
used.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, "tests", "logs")
HOST_DIR = os.path.join(ROOT, "tests", "host")
HOST_BUILD = os.path.join(HOST_DIR, "build")
HOST_TIMEOUT = 120  # seconds for one host test binary

# The in-guest suites: (command line, harts, time-out in seconds). Each
# boots its own machine, one after the other (the machine has 2 cores).
# The time-outs are about four times what a suite takes, and small enough
# that a kernel hanging in every suite still ends CI within its hour.
GUEST_SUITES = [
    ("test_sys", 3, 400),
    ("test_sys", 1, 400),
    ("test_cow", 3, 300),
    ("test_cow", 1, 300),
    ("test_dedup", 3, 300),
    ("test_dedup", 1, 300),
    ("test_vmmap", 3, 200),
    ("test_vmmap", 1, 200),
    ("test_swap", 3, 600),
    ("test_swap", 1, 600),
    ("test_ipc", 3, 300),
    ("test_ipc", 1, 300),
    ("test_compat", 3, 120),
    ("test_reliab", 3, 100),
    ("test_reliab", 1, 100),
    # (command, harts, time-out, "lc"): on the lock-order checking kernel
    ("test_reliab", 1, 100, "lc"),
    ("fuzz {seed} 60", 3, 150, "lc"),
    ("soak {seed} 60", 3, 150),
]

# make soak: 10 minutes of each, a new seed every run.
SOAK_SUITES = [
    ("fuzz {seed} 600", 3, 900),
    ("soak {seed} 600", 3, 900),
]

HOST_CFLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
               "-g", "-I.", "-Itests/host"]

RESULT = re.compile(r"^(PASS|FAIL) (\S+?)(?:: (.*))?$")
STARTED = re.compile(r"^(\S+): running (\d+) tests$")
SUMMARY = re.compile(r"^(\S+): (\d+) passed, (\d+) failed$")
SANITIZER = re.compile(r"(ERROR: \w+Sanitizer.*|runtime error:.*)")


class Tally:
    """Counts and echoes result lines."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def report(self, ok, name, reason=None):
        if ok:
            self.passed += 1
            line = "PASS %s" % name
        else:
            self.failed += 1
            line = "FAIL %s: %s" % (name, reason or "failed")
        print(line, flush=True)


def log_path(label):
    return os.path.join(LOGS, re.sub(r"[^\w@.-]+", "_", label) + ".log")


def note(text):
    """An informational line (never a PASS/FAIL line)."""
    print("# " + text, flush=True)


# ---------------------------------------------------------------- host tests

def host_sources(path):
    """Kernel sources named by `// sources:` lines of a host test."""
    sources = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\s*//\s*sources:(.*)", line)
            if m:
                sources += m.group(1).split()
    return sources


def compile_host_test(src, exe, log):
    cc = os.environ.get("HOSTCC", "cc")
    cmd = ([cc] + HOST_CFLAGS + os.environ.get("HOST_CFLAGS", "").split() +
           ["-o", exe, src] + host_sources(src))
    log.write("$ %s\n" % " ".join(cmd))
    log.flush()
    r = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return r.returncode == 0


def run_host_test(exe, label, log, tally):
    """Run one host test binary; returns the reason it failed as a whole,
    or None."""
    try:
        r = subprocess.run([exe], cwd=ROOT, capture_output=True,
                           timeout=HOST_TIMEOUT, errors="replace", text=True)
    except subprocess.TimeoutExpired:
        return "timed out after %d s" % HOST_TIMEOUT
    log.write(r.stdout + r.stderr)
    results = 0
    for line in r.stdout.splitlines():
        m = RESULT.match(line.rstrip("\r"))
        if m:
            results += 1
            tally.report(m.group(1) == "PASS", "%s/%s" % (label, m.group(2)),
                         m.group(3))
    bad = SANITIZER.search(r.stderr)
    if bad:
        return "sanitizer: " + bad.group(1).strip()
    if r.returncode != 0:
        return "exit status %d" % r.returncode
    if results == 0:
        return "printed no PASS/FAIL line"
    return None


def host_tests(filters, tally):
    os.makedirs(HOST_BUILD, exist_ok=True)
    for src in sorted(glob.glob(os.path.join(HOST_DIR, "test_*.c"))):
        stem = os.path.splitext(os.path.basename(src))[0]
        label = "host/" + stem
        if not selected(label, filters):
            continue
        with open(log_path(label), "w") as log:
            exe = os.path.join(HOST_BUILD, stem)
            if not compile_host_test(os.path.relpath(src, ROOT), exe, log):
                tally.report(False, label, "compile error (see %s)" %
                             os.path.relpath(log.name, ROOT))
                continue
            why = run_host_test(exe, label, log, tally)
            if why:
                tally.report(False, label, why)


# ---------------------------------------------------------------- guest suites

def suite_label(command, cpus, lc=False):
    name = command.split()[0] if "{seed}" in command else command.replace(" ", "")
    return "%s@%d%s" % (name, cpus, "-lc" if lc else "")


class SuiteWatch:
    """Follows one suite's console output: echoes its results and notes
    whether it started, how many results it promised and gave, and its
    closing line."""

    def __init__(self, label, tally):
        self.label = label
        self.tally = tally
        self.expected = None
        self.counted = [0, 0]  # PASS and FAIL lines seen
        self.summary = None  # (passed, failed) from the closing line
        self.panic = None

    def line(self, text):
        text = text.rstrip("\r\n").replace("\r", "")
        if self.panic is None and text.startswith("panic: "):
            self.panic = text
        m = RESULT.match(text)
        if m:
            self.counted[m.group(1) == "FAIL"] += 1
            self.tally.report(m.group(1) == "PASS",
                              "%s/%s" % (self.label, m.group(2)), m.group(3))
        elif STARTED.match(text):
            self.expected = int(STARTED.match(text).group(2))
        elif SUMMARY.match(text):
            m = SUMMARY.match(text)
            self.summary = (int(m.group(2)), int(m.group(3)))

    def verdict(self, status):
        """Why the suite as a whole failed (None if it did not)."""
        if status == 1:
            return "kernel panic: %s" % (self.panic or "(panic line not seen)")
        if status == 2:
            return "timed out"
        if status != 0:
            return "QEMU exited early or could not start (tools/run status %d)" % status
        if self.expected is None:
            return "the suite did not start (no 'running N tests' line)"
        results = sum(self.counted)
        if results < self.expected:
            return "only %d of %d results (the suite crashed?)" % (
                results, self.expected)
        if self.summary is None:
            return "no closing line"
        if self.summary != tuple(self.counted) or results != self.expected:
            return ("the suite says %d passed, %d failed, but %d PASS and "
                    "%d FAIL lines of %d tests were seen" %
                    (self.summary + tuple(self.counted) + (self.expected,)))
        return None


def fsck(image, label, log, tally):
    """Check the file system a suite left behind, if tools/fsck.py exists."""
    checker = os.path.join(ROOT, "tools", "fsck.py")
    if not os.path.exists(checker):
        return
    r = subprocess.run([sys.executable, checker, image], cwd=ROOT,
                       capture_output=True, text=True, errors="replace")
    log.write("\n$ tools/fsck.py\n" + r.stdout + r.stderr)
    lines = (r.stdout + r.stderr).strip().splitlines()
    tally.report(r.returncode == 0, label + "/fsck",
                 lines[-1] if lines else "exit status %d" % r.returncode)


def guest_suite(command, cpus, timeout, images, tally, label=None):
    label = label or suite_label(command, cpus)
    watch = SuiteWatch(label, tally)
    kept = tempfile.NamedTemporaryFile(prefix="fs-", suffix=".img",
                                       delete=False).name
    run = [os.path.join(ROOT, "tools", "run"), "--cpus", str(cpus),
           "--timeout", str(timeout), "--kernel", images[0], "--fs",
           images[1], "--keep-fs", kept, command]
    start = time.monotonic()
    try:
        with open(log_path(label), "w") as log:
            proc = subprocess.Popen(run, cwd=ROOT, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    errors="replace", text=True)
            for text in proc.stdout:
                log.write(text)
                log.flush()
                watch.line(text)
            status = proc.wait()
            why = watch.verdict(status)
            if why:
                tally.report(False, label, "%s (log: %s)" %
                             (why, os.path.relpath(log_path(label), ROOT)))
            if status == 0:
                fsck(kept, label, log, tally)
    finally:
        os.unlink(kept)
    note("%s took %.0f s" % (label, time.monotonic() - start))


def guest_suites(suites, filters, images, lc_kernel, seed, tally):
    for command, cpus, timeout, *lc in suites:
        label = suite_label(command, cpus, bool(lc))
        if not selected(label, filters):
            continue
        run_images = (lc_kernel, images[1]) if lc else images
        missing = [p for p in run_images if not os.path.exists(p)]
        if missing:
            tally.report(False, label, "%s missing: run make first" % missing[0])
            continue
        if "{seed}" in command:
            note("%s: seed %d" % (label, seed))
        guest_suite(command.replace("{seed}", str(seed)), cpus, timeout,
                    run_images, tally, label)


# ---------------------------------------------------------------- main

def selected(label, filters):
    return not filters or any(f in label for f in filters)


def main():
    p = argparse.ArgumentParser(description="Host unit tests and in-guest "
                                "suites; the last line is 'N passed, N failed'.")
    p.add_argument("--host-only", action="store_true")
    p.add_argument("--guest-only", action="store_true")
    p.add_argument("--list", action="store_true",
                   help="list the host tests and guest suites")
    p.add_argument("--soak", action="store_true",
                   help="run SOAK_SUITES with a new random seed instead")
    p.add_argument("--seed", type=int, default=None,
                   help="seed for {seed} in commands (default 1; --soak: random)")
    p.add_argument("--kernel", default=os.path.join(ROOT, "kernel/kernel"))
    p.add_argument("--lc-kernel", default=os.path.join(ROOT, "kernel/kernel-lc"),
                   help="the lock-order checking kernel, for suites marked lc")
    p.add_argument("--fs", default=os.path.join(ROOT, "fs.img"),
                   help="file-system image (each suite runs on a copy)")
    p.add_argument("filters", nargs="*", metavar="FILTER")
    args = p.parse_args()
    if args.list:
        for src in sorted(glob.glob(os.path.join(HOST_DIR, "test_*.c"))):
            print("host/" + os.path.splitext(os.path.basename(src))[0])
        for command, cpus, timeout, *lc in GUEST_SUITES + SOAK_SUITES:
            print("%s  (%r, %d harts, %d s%s)" % (
                suite_label(command, cpus, bool(lc)), command, cpus, timeout,
                ", lock-order checking kernel" if lc else ""))
        return 0
    os.makedirs(LOGS, exist_ok=True)
    tally = Tally()
    start = time.monotonic()
    seed = args.seed
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little") % 1000000 if args.soak else 1
    images = (os.path.abspath(args.kernel), os.path.abspath(args.fs))
    lc_kernel = os.path.abspath(args.lc_kernel)
    if not args.guest_only and not args.soak:
        host_tests(args.filters, tally)
    if not args.host_only:
        guest_suites(SOAK_SUITES if args.soak else GUEST_SUITES, args.filters,
                     images, lc_kernel, seed, tally)
    note("all tests took %.0f s; logs in tests/logs/" %
         (time.monotonic() - start))
    print("%d passed, %d failed" % (tally.passed, tally.failed), flush=True)
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
