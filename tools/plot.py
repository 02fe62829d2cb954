#!/usr/bin/env python3
"""Draw the benchmark results as images in docs/ (the README shows them).

    tools/plot.py RESULTS.json

tools/bench.py runs it after the benchmarks with the results it parsed:
every line `data SERIES X Y` a benchmark printed becomes a point (X, Y) of
SERIES, and RESULTS.json maps each series name to its list of points
(bench.py saves it as tests/logs/bench-results.json, so the figures can be
redrawn without running the benchmarks again).

To add a figure, make the benchmark print `data` lines and add a Figure
to FIGURES below, naming the series it draws. A figure whose series are
all missing from the results (its benchmark did not run) is left as it
is. Needs matplotlib (Debian's python3-matplotlib; `make bench` installs
it); nothing else in the project does.
"""

import json
import os
import sys
from collections import namedtuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One panel of a figure: its title, axis labels and the series it draws,
# each as (series name, label, line style).
# xnames, if given, names the x values (a category axis) instead of
# numbering them; goal, if given, is drawn as a horizontal line (y).
Panel = namedtuple("Panel", "title xlabel ylabel series logx logy xnames goal",
                   defaults=(None, None))
Figure = namedtuple("Figure", "path title panels")

EAGER, COW_WRITTEN, COW_SAME = "o-", "s--", "^:"

FORK_SERIES = [("eager", "eager copy (as xv6)", EAGER),
               ("cow_written", "COW, heap just written", COW_WRITTEN),
               ("cow_unchanged", "COW, heap unchanged", COW_SAME)]

FIGURES = [
    Figure("docs/bench-swap.png", "bench_swap", [
               Panel("throughput: 1.5 x RAM touched in order, and a file",
                     "", "KiB/s",
                     [("swap.rate_swap", "swap (out, then in)", EAGER),
                      ("swap.rate_file", "file (write, then read)", COW_WRITTEN)],
                     False, True, {1: "writing", 2: "reading"}),
               Panel("16 MiB hot set read between 2 MiB chunks of a cold stream",
                     "cold stream so far (MiB)", "hot-set refaults (per mille)",
                     [("swap.hot_refaults", "clock (second chance)", EAGER)],
                     False, False, None, 50),
           ]),
    Figure("docs/bench-fork.png",
           "bench_cow: fork time against process size (median of 7)", [
               Panel("fork alone (until it returns in the parent)",
                     "heap (MiB)", "time (us)",
                     [("fork." + s, l, f) for s, l, f in FORK_SERIES],
                     True, True),
               Panel("fork + child exit + wait",
                     "heap (MiB)", "time (us)",
                     [("fork_exit_wait." + s, l, f) for s, l, f in FORK_SERIES],
                     True, True),
           ]),
    Figure("docs/bench-ipc.png",
           "bench_ipc: send + reply round trip of page-aligned messages (median of 7)", [
               Panel("the same message again", "pages", "time (us)",
                     [("ipc.copy_same", "copied (VMCTL_IPC_COPY)", EAGER),
                      ("ipc.cow_same", "shared COW", COW_WRITTEN)], True, True),
               Panel("two buffers in turn (every page remapped)", "pages", "time (us)",
                     [("ipc.copy_alternating", "copied (VMCTL_IPC_COPY)", EAGER),
                      ("ipc.cow_alternating", "shared COW", COW_WRITTEN)], True, True),
               Panel("a word written in every page first", "pages", "time (us)",
                     [("ipc.copy_rewritten", "copied (VMCTL_IPC_COPY)", EAGER),
                      ("ipc.cow_rewritten", "shared COW", COW_WRITTEN)], True, True),
           ]),
    Figure("docs/bench-dedup.png",
           "bench_dedup: dedup() scan time against size (minimum of 3)", [
               Panel("identical pages", "data (MiB)", "time (us)",
                     [("dedup.scan_duplicate", "dedup() scan", EAGER),
                      ("dedup.hash_duplicate", "hashing the pages alone",
                       COW_WRITTEN)], False, False),
               Panel("all pages different", "data (MiB)", "time (us)",
                     [("dedup.scan_unique", "dedup() scan", EAGER),
                      ("dedup.hash_unique", "hashing the pages alone",
                       COW_WRITTEN)], False, False),
           ]),
]


def draw_panel(ax, panel, results):
    from matplotlib import ticker
    xs = set()
    for name, label, style in panel.series:
        points = sorted(results.get(name, []))
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], style,
                    label=label)
            xs.update(p[0] for p in points)
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.logx:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(ticker.NullLocator())
    if panel.xnames:
        ax.set_xticks(sorted(panel.xnames))
        ax.set_xticklabels([panel.xnames[x] for x in sorted(panel.xnames)])
        ax.set_xlim(min(panel.xnames) - 0.5, max(panel.xnames) + 0.5)
    elif len(xs) <= 12:
        ax.set_xticks(sorted(xs))  # the sizes measured, as plain numbers
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    if panel.goal is not None:
        ax.axhline(panel.goal, color="gray", linestyle="--", label="goal")
    if panel.logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1.2 * (panel.goal or 0)))
    ax.grid(True, which="both", alpha=0.3)
    if xs:
        ax.legend(fontsize=8)


def draw(figure, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(figure.panels),
                             figsize=(5 * len(figure.panels), 4))
    for ax, panel in zip(axes if len(figure.panels) > 1 else [axes],
                         figure.panels):
        draw_panel(ax, panel, results)
    fig.suptitle(figure.title)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, figure.path), dpi=80,
                metadata={"Software": None})
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1])
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    for figure in FIGURES:
        names = [s[0] for p in figure.panels for s in p.series]
        if not any(results.get(n) for n in names):
            continue
        draw(figure, results)
        print("plot: wrote %s" % figure.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
