"""Turns a benchmark run's results.jsonl (tests/bench/run.sh) into Markdown tables.

    python report.py results.jsonl > summary.md

Standard library only. Ratios are Formwork's calls/s divided by the peer's at the same
concurrency; the goals of issue 7 are checked at the end (figures, not pass/fail tests).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

READS = {
    "my_claims_status": 'My claims, `status` = Approved',
    "my_claims_supplier": 'My claims, `supplier` contains "inn"',
}
FORMWORK_ONLY = {
    "claims_to_approve": "Claims to approve (manager)",
    "fill_receipt_fields": "Fill receipt fields (write)",
    "web_my_claims": "web page: My claims, status filter",
}


def load(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def f0(x) -> str:
    return "–" if x is None else f"{x:,.0f}"


def f1(x) -> str:
    return "–" if x is None else (f"{x:.1f}" if x < 100 else f"{x:,.0f}")


def f2(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def lat(r: dict | None) -> str:
    if not r:
        return "–"
    return f"{f1(r['p50_ms'])} / {f1(r['p90_ms'])} / {f1(r['p99_ms'])}"


def mb(kb) -> str:
    return "–" if kb in (None, "") else f"{int(kb) / 1024:.0f} MB"


def main() -> None:
    rows = load(sys.argv[1])
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    end = next((r for r in rows if r.get("kind") == "meta_end"), {})
    levels = [r for r in rows if "calls_per_s" in r]
    out: list[str] = []
    w = out.append
    w(f"Run: `{meta.get('command', '?')}` on {meta.get('date', '?')}; {meta.get('nproc', '?')} cores ({meta.get('cpu', '?')}), "
      f"{meta.get('memory', '?')} memory, Linux {meta.get('kernel', '?')}; load average at start {meta.get('load_start', '?')}, "
      f"at end {end.get('load_end', '?')}. Peer: Python {meta.get('python', '?')}, {meta.get('peer_sdk', '?')}. "
      f"{meta.get('requests', '?')} measured calls per level after a warm-up; the load generator runs on the same cores.")
    w("")
    dbs = []
    for r in levels:
        if r.get("db") not in dbs:
            dbs.append(r.get("db"))
    goals: dict[str, list[str]] = defaultdict(list)
    main_claims = meta.get("claims")
    for db in dbs:
        by = {}
        for r in levels:
            if r.get("db") == db and r.get("claims") == main_claims:
                by[(r.get("scenario"), r.get("target"), r["concurrency"])] = r
        concs = sorted({c for (_, _, c) in by})
        w(f"### {db}: MCP `tools/call` over HTTP, {int(main_claims):,} claims")
        w("")
        w("calls/s and p50 / p90 / p99 latency in ms; ratio = Formwork calls/s ÷ peer calls/s.")
        w("")
        w("| scenario | clients | Formwork calls/s | Formwork ms | peer 1 worker calls/s | peer 1w ms | peer 2 workers calls/s | peer 2w ms | ratio vs 1w | ratio vs 2w |")
        w("|---|---:|---:|---|---:|---|---:|---|---:|---:|")
        for sc, title in READS.items():
            for c in concs:
                fw = by.get((sc, "formwork", c))
                p1 = by.get((sc, "peer-1w", c))
                p2 = by.get((sc, "peer-2w", c))
                if not fw:
                    continue
                r1 = fw["calls_per_s"] / p1["calls_per_s"] if p1 else None
                r2 = fw["calls_per_s"] / p2["calls_per_s"] if p2 else None
                w(f"| {title} | {c} | {f0(fw['calls_per_s'])} | {lat(fw)} | {f0(p1 and p1['calls_per_s'])} | {lat(p1)} | "
                  f"{f0(p2 and p2['calls_per_s'])} | {lat(p2)} | {f1(r1)}× | {f1(r2)}× |")
                if c == 32:
                    best = max((p["calls_per_s"] for p in (p1, p2) if p), default=None)
                    if best:
                        ratio = fw["calls_per_s"] / best
                        goals["ratio"].append(f"{db}, {title}: {ratio:.1f}× the best peer ({'met' if ratio >= 10 else 'missed'})")
                    goals["p99"].append(f"{db}, {title}: p99 {fw['p99_ms']:.1f} ms ({'met' if fw['p99_ms'] < 20 else 'missed'})")
        w("")
        w("Server CPU per call (ms, all of the server's processes) and errors:")
        w("")
        w("| scenario | clients | Formwork CPU ms/call | peer 1w CPU ms/call | peer 2w CPU ms/call | errors (F / 1w / 2w) |")
        w("|---|---:|---:|---:|---:|---|")
        for sc, title in READS.items():
            for c in concs:
                fw = by.get((sc, "formwork", c))
                p1 = by.get((sc, "peer-1w", c))
                p2 = by.get((sc, "peer-2w", c))
                if not fw:
                    continue
                g = lambda r: f2(r.get("server_cpu_ms_per_call")) if r else "–"  # noqa: E731
                e = lambda r: str(r["errors"]) if r else "–"  # noqa: E731
                w(f"| {title} | {c} | {g(fw)} | {g(p1)} | {g(p2)} | {e(fw)} / {e(p1)} / {e(p2)} |")
        w("")
        w(f"### {db}: Formwork-only scenarios")
        w("")
        w("| scenario | clients | calls/s | p50 / p90 / p99 ms | CPU ms/call | errors |")
        w("|---|---:|---:|---|---:|---:|")
        for sc, title in FORMWORK_ONLY.items():
            for c in concs:
                fw = by.get((sc, "formwork", c))
                if fw:
                    w(f"| {title} | {c} | {f0(fw['calls_per_s'])} | {lat(fw)} | {f2(fw.get('server_cpu_ms_per_call'))} | {fw['errors']} |")
                    if c == 32 and sc != "web_my_claims":
                        goals["p99"].append(f"{db}, {title}: p99 {fw['p99_ms']:.1f} ms ({'met' if fw['p99_ms'] < 20 else 'missed'})")
        w("")
        # Where the time of one call goes: in-process engine and bare SQL vs HTTP at 1 client.
        eng = next((r for r in levels if r.get("db") == db and r.get("layer") == "engine" and r.get("claims") == main_claims), None)
        sql = next((r for r in levels if r.get("db") == db and r.get("layer") == "sql" and r.get("claims") == main_claims), None)
        http = by.get(("my_claims_status", "formwork", 1))
        if eng and sql and http:
            w(f"### {db}: the limits (one call of My claims, status = Approved, 1 client, p50)")
            w("")
            w("| layer | p50 ms | share of the HTTP call |")
            w("|---|---:|---:|")
            h = http["p50_ms"]
            w(f"| bare SQL (`store.query_records`: page + count) | {f2(sql['p50_ms'])} | {sql['p50_ms'] / h:.0%} |")
            w(f"| engine in-process (`engine.run_view`: + definition, rows) | {f2(eng['p50_ms'])} | {eng['p50_ms'] / h:.0%} |")
            w(f"| MCP over HTTP (+ HTTP, JSON-RPC, bearer check, result shaping) | {f2(h)} | 100% |")
            w("")
        bare = [r for r in levels if r.get("db") == db and str(r.get("layer", "")).startswith("bare_") and r.get("claims") == main_claims]
        if bare:
            w(f"### {db}: the view's two SQL statements alone (1 client, one user's claims)")
            w("")
            w("| filter | statement | p50 ms | p99 ms | plan |")
            w("|---|---|---:|---:|---|")
            for r in bare:
                plan = str(r.get("plan", "")).replace("|", "/")
                if len(plan) > 160:
                    plan = plan[:157] + "…"
                w(f"| {r.get('filter')} | {r['layer'][5:]} | {f2(r['p50_ms'])} | {f2(r['p99_ms'])} | {plan or '–'} |")
            w("")
        # Resources.
        srv = [r for r in rows if r.get("kind") in ("server", "server_after") and r.get("db") == db and r.get("claims") == main_claims and not r.get("scale")]
        if srv:
            w(f"### {db}: server memory")
            w("")
            w("| server | RSS after start | RSS after all scenarios | peak RSS | PSS after all scenarios | anonymous after all scenarios | cold start |")
            w("|---|---:|---:|---:|---:|---:|---:|")
            for t in ("formwork", "peer-1w", "peer-2w"):
                s0 = next((r for r in srv if r.get("target") == t and r["kind"] == "server"), {})
                s1 = next((r for r in srv if r.get("target") == t and r["kind"] == "server_after"), {})
                if s0 or s1:
                    cold = f"{s0['cold_start_ms']} ms" if s0.get("cold_start_ms") else "–"
                    w(f"| {t} | {mb(s0.get('rss_start_kb'))} | {mb(s1.get('rss_kb'))} | {mb(s1.get('hwm_kb'))} | {mb(s1.get('pss_kb'))} | {mb(s1.get('anon_kb'))} | {cold} |")
                    if t == "formwork" and s1.get("hwm_kb"):
                        hwm = int(s1["hwm_kb"]) / 1024
                        pss = int(s1.get("pss_kb") or 0) / 1024
                        goals["rss"].append(f"{db}, {int(main_claims):,} claims: peak RSS {hwm:.0f} MB ({'met' if hwm < 150 else 'missed'}), PSS {pss:.0f} MB ({'met' if pss < 150 else 'missed'})")
            w("(peer figures are summed over its processes: the uvicorn parent and its workers. On SQLite, Formwork's RSS counts the memory-mapped database file once per pooled connection; PSS counts each page once.)")
            w("")
        nagle = [r for r in levels if r.get("db") == db and r.get("scenario") == "nagle"]
        if nagle:
            w(f"### {db}: the peer's two-worker pitfall (asyncio loop)")
            w("")
            w("| peer, 2 workers, asyncio loop | clients | calls/s | p50 / p90 / p99 ms |")
            w("|---|---:|---:|---|")
            for r in nagle:
                w(f"| {r['label'].split(', ', 1)[-1]} | {r['concurrency']} | {f0(r['calls_per_s'])} | {lat(r)} |")
            w("")
        ctx = [r for r in rows if r.get("kind") == "context" and r.get("db") == db]
        if ctx:
            w(f"### {db}: context economy (~tokens = bytes / 4)")
            w("")
            w("| server, format | tools/list | My claims tool definition | bytes per row | 25-row page (status filter) | 200-row page |")
            w("|---|---:|---:|---:|---:|---:|")
            for r in ctx:
                p200 = r["page200"]
                cut = ", cut short by the result budget" if p200.get("truncated") else ""
                w(f"| {r['target']} | {r['tools']} tools, {r['tools_list_bytes']:,} B (~{r['tools_list_tokens']:,} tokens) | "
                  f"{r['tool_def_bytes']:,} B | {r['page25']['row_bytes']:.0f} B | {r['page25']['response_bytes']:,} B | "
                  f"{p200['rows']} rows{cut}: {p200['response_bytes']:,} B (~{p200['tokens']:,} tokens) |")
            byt = {r["target"]: r for r in ctx}
            if "formwork-columns" in byt and "formwork-full" in byt:
                cp, fp = byt["formwork-columns"]["page25"], byt["formwork-full"]["page25"]
                w("")
                w("Per row, View Columns ÷ Full: "
                  f"structured row {cp['row_bytes']:.0f} / {fp['row_bytes']:.0f} B = {cp['row_bytes'] / fp['row_bytes']:.2f}; "
                  f"text content {cp['text_bytes_per_row']:.0f} / {fp['text_bytes_per_row']:.0f} B = {cp['text_bytes_per_row'] / fp['text_bytes_per_row']:.2f}; "
                  f"whole response {cp['response_bytes_per_row']:.0f} / {fp['response_bytes_per_row']:.0f} B = {cp['response_bytes_per_row'] / fp['response_bytes_per_row']:.2f} (25-row page).")
                for what, key in (("structured row", "row_bytes"), ("text", "text_bytes_per_row"), ("whole response", "response_bytes_per_row")):
                    c_, f_ = cp[key], fp[key]
                    goals["columns"].append(f"{db}, {what}: {c_:.0f} B vs {f_:.0f} B = {c_ / f_:.2f} ({'met' if c_ * 3 <= f_ else 'missed'})")
            if "peer" in byt and "same_rows_as_formwork" in byt["peer"]:
                w(f"\nThe peer returned the same records as Formwork for the same arguments: {byt['peer']['same_rows_as_formwork']}.")
            w("")
    scale = [r for r in levels if r.get("scenario") in ("scale", "my_claims_status") and r.get("target") == "formwork" and r["concurrency"] in (1, 32)]
    if scale:
        mem = {(r.get("db"), r.get("claims")): r for r in rows if r.get("kind") == "server_after" and r.get("target") == "formwork"}
        w("### Scale: My claims (status = Approved) as the database grows")
        w("")
        w("| database | claims | 1 client p50 ms | 32 clients calls/s | 32 clients p50 / p90 / p99 ms | peak RSS | PSS after |")
        w("|---|---:|---:|---:|---|---:|---:|")
        keys = sorted({(r.get("db"), int(r.get("claims"))) for r in scale})
        for db, n in keys:
            one = next((r for r in scale if r.get("db") == db and int(r["claims"]) == n and r["concurrency"] == 1), None)
            thirty = next((r for r in scale if r.get("db") == db and int(r["claims"]) == n and r["concurrency"] == 32), None)
            m = mem.get((db, str(n)), {})
            w(f"| {db} | {n:,} | {f2(one and one['p50_ms'])} | {f0(thirty and thirty['calls_per_s'])} | {lat(thirty)} | {mb(m.get('hwm_kb'))} | {mb(m.get('pss_kb'))} |")
        w("")
    w("### Goals of issue 7")
    w("")
    names = {
        "ratio": "≥ 10× the peer's calls/s on the read scenarios at 32 clients",
        "p99": "p99 under 20 ms at 32 clients",
        "rss": "RSS under 150 MB at 100k claims under load",
        "columns": "View Columns rows at most a third of the bytes of Full rows",
    }
    for k, title in names.items():
        w(f"- {title}: " + ("; ".join(goals[k]) if goals[k] else "not measured in this run"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
