"""Plots latency against concurrency from a benchmark run's results.jsonl (tests/bench/run.sh).

    tests/bench/.venv/bin/python tests/bench/plot.py results.jsonl bench-latency.png

One panel per database and read scenario: p50 (solid) and p99 (dashed) of Formwork and of the
reference peer with one and two uvicorn workers, log scales.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

SCENARIOS = {"my_claims_status": "My claims, status = Approved", "my_claims_supplier": 'My claims, supplier contains "inn"'}
TARGETS = {"formwork": ("Formwork", "#1f6feb"), "peer-1w": ("peer, 1 worker", "#d1242f"), "peer-2w": ("peer, 2 workers", "#bf8700")}


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    claims = meta.get("claims")
    levels = [r for r in rows if "calls_per_s" in r and r.get("scenario") in SCENARIOS and r.get("claims") == claims]
    dbs = []
    for r in levels:
        if r["db"] not in dbs:
            dbs.append(r["db"])
    fig, axes = plt.subplots(len(dbs), len(SCENARIOS), figsize=(6.2 * len(SCENARIOS), 4.4 * len(dbs)), squeeze=False)
    for i, db in enumerate(dbs):
        for j, (sc, title) in enumerate(SCENARIOS.items()):
            ax = axes[i][j]
            for t, (name, color) in TARGETS.items():
                pts = sorted((r["concurrency"], r["p50_ms"], r["p99_ms"]) for r in levels if r["db"] == db and r["scenario"] == sc and r["target"] == t)
                if not pts:
                    continue
                c = [p[0] for p in pts]
                ax.plot(c, [p[1] for p in pts], "-o", color=color, label=f"{name} p50", linewidth=2, markersize=4)
                ax.plot(c, [p[2] for p in pts], "--", marker="^", color=color, label=f"{name} p99", linewidth=1.3, markersize=4, alpha=0.85)
            ax.axhline(20, color="#555", linewidth=0.8, linestyle=":")
            ax.text(1, 20, " 20 ms", va="bottom", fontsize=8, color="#555")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_xlabel("concurrent clients")
            ax.set_ylabel("latency per call (ms)")
            label = "SQLite" if db == "sqlite" else "PostgreSQL (peer: SQLite twin)"
            ax.set_title(f"{label} — {title}", fontsize=10)
            ax.grid(True, which="both", alpha=0.25)
            ax.legend(fontsize=7.5, loc="upper left")
    fig.suptitle(
        f"MCP tools/call latency vs concurrency — {int(claims):,} claims, {meta.get('nproc', '?')} cores, {meta.get('date', '')}",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main()
