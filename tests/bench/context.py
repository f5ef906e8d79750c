"""Context economy of an MCP server's "My claims": what a model has to read.

    python context.py --url URL/mcp --token TOKEN --target NAME [--json-out FILE] [--tags k=v,...]
                      [--compare OTHER/mcp --compare-token TOKEN]

Measures, over real HTTP: tools/list (bytes, ~tokens, the My claims tool's own definition), a
25-row page filtered by status and an unfiltered 200-row page of `expense_claims_my_claims`
(whole response bytes, rows returned, mean bytes per row as compact JSON). With --compare, checks
that the other server returns the same records for the same arguments (ids of the first page).
Tokens are estimated as bytes / 4. Prints a summary; appends one JSON line per target.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request

TOOL = "expense_claims_my_claims"


def post(url: str, token: str, body: dict) -> bytes:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Mcp-Protocol-Version": "2025-06-18",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def call(url: str, token: str, args: dict) -> tuple[bytes, dict]:
    raw = post(url, token, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": TOOL, "arguments": args}})
    result = json.loads(raw)["result"]
    if result.get("isError"):
        raise SystemExit(f"{url}: {TOOL} failed: {result}")
    return raw, result


def rows_of(result: dict) -> list:
    """The page's rows as sent: arrays (Formwork's View Columns, names once in `columns`) or objects."""
    sc = result.get("structuredContent") or {}
    rows = sc.get("rows")
    if rows is None:  # a server that names its list otherwise
        rows = next((v for v in sc.values() if isinstance(v, list)), [])
    return rows


def id_of(row) -> object:
    return row[0] if isinstance(row, list) else row.get("id")


def compact(v) -> int:
    return len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode())


def page_figures(raw: bytes, result: dict) -> dict:
    rows = rows_of(result)
    sc = result.get("structuredContent") or {}
    text = "".join(c.get("text", "") for c in result.get("content", []) if c.get("type") == "text")
    return {
        "response_bytes": len(raw),
        "rows": len(rows),
        "row_bytes": round(sum(compact(r) for r in rows) / max(1, len(rows)), 1),
        "response_bytes_per_row": round(len(raw) / max(1, len(rows)), 1),
        "text_bytes": len(text.encode()),
        "text_bytes_per_row": round(len(text.encode()) / max(1, len(rows)), 1),
        "truncated": bool(sc.get("truncated", False)),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--json-out")
    p.add_argument("--tags", default="")
    p.add_argument("--compare")
    p.add_argument("--compare-token")
    a = p.parse_args()

    raw = post(a.url, a.token, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    tools = json.loads(raw)["result"]["tools"]
    tool = next((t for t in tools if t["name"] == TOOL), None)
    out: dict = {
        "kind": "context",
        "target": a.target,
        "tools": len(tools),
        "tools_list_bytes": len(raw),
        "tools_list_tokens": (len(raw) + 3) // 4,
        "tool_def_bytes": compact(tool) if tool else None,
    }
    for kv in filter(None, a.tags.split(",")):
        k, v = kv.split("=", 1)
        out[k] = v

    raw25, res25 = call(a.url, a.token, {"status": "Approved"})
    out["page25"] = page_figures(raw25, res25)
    raw200, res200 = call(a.url, a.token, {"limit": 200})
    out["page200"] = page_figures(raw200, res200)
    out["page200"]["tokens"] = (len(raw200) + 3) // 4

    if a.compare:
        _, other = call(a.compare, a.compare_token or a.token, {"status": "Approved"})
        mine = [id_of(r) for r in rows_of(res25)]
        theirs = [id_of(r) for r in rows_of(other)]
        out["same_rows_as_formwork"] = mine == theirs
        if mine != theirs:
            print(f"warning: {a.target} returned other rows than {a.compare}: {mine[:5]} vs {theirs[:5]}", file=sys.stderr)

    p25, p200 = out["page25"], out["page200"]
    print(
        f"{a.target:<18} tools/list: {out['tools']} tools, {out['tools_list_bytes']} bytes (~{out['tools_list_tokens']} tokens),"
        f" My claims tool {out['tool_def_bytes']} bytes | row {p25['row_bytes']:.0f} bytes |"
        f" 25-row page {p25['response_bytes']} bytes | 200-row page: {p200['rows']} rows"
        f"{' (cut short by the byte budget)' if p200['truncated'] else ''}, {p200['response_bytes']} bytes"
        f" (~{p200['tokens']} tokens, {p200['response_bytes_per_row']:.0f} bytes/row)"
        + (f" | same rows as Formwork: {out['same_rows_as_formwork']}" if "same_rows_as_formwork" in out else "")
    )
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
