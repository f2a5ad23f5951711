#!/usr/bin/env python3
"""Plots the blocking benchmark's timeline: thread count and short-task
throughput over time, tasklane against tokio.

Usage (from the repository root):

    cargo run --release -p tasklane-bench -- blocking --filter timeline
    python3 -m venv /tmp/plot && /tmp/plot/bin/pip install matplotlib
    /tmp/plot/bin/python docs/plot_blocking.py target/blocking_timeline.csv docs/blocking.png

The CSV has one row per 10 ms sample: variant, t_ms, threads,
short_tasks_polled (short tasks first polled in that 10 ms). The lower
panel shows their running total: its slope is the throughput.
"""

import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "tasklane (wait + blocking)": ("tab:blue", "-"),
    "tasklane (bare sleep)": ("tab:green", "-"),
    "tokio (same code)": ("tab:red", "--"),
    "tokio (spawn_blocking)": ("tab:orange", "--"),
}


def main(src: str, dst: str) -> None:
    series = defaultdict(lambda: ([], [], []))
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            t, threads, polled = series[row["variant"]]
            t.append(float(row["t_ms"]) / 1000.0)
            threads.append(int(row["threads"]))
            # Running total of short tasks started: a steady line is a pool
            # keeping up with the arrivals; a flat stretch is a stall.
            done = polled[-1] if polled else 0
            polled.append(done + int(row["short_tasks_polled"]))

    fig, (ax_threads, ax_tput) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for name, (t, threads, polled) in series.items():
        color, dash = STYLE.get(name, (None, "-"))
        ax_threads.step(t, threads, where="post", label=name, color=color, linestyle=dash)
        ax_tput.step(t, polled, where="post", label=name, color=color, linestyle=dash)

    ax_threads.set_ylabel("threads")
    ax_threads.set_title(
        "64 tasks block 50 ms each while 10,000 short tasks arrive over 1 s (2 cores)"
    )
    ax_threads.legend(loc="upper right", fontsize="small")
    ax_threads.grid(alpha=0.3)
    ax_tput.set_ylabel("short tasks started (running total)")
    ax_tput.set_xlabel("seconds since the blocking tasks were spawned")
    ax_tput.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
