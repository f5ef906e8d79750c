"""Line items on the operation form in a real browser with JavaScript off (tests/js/lines.mjs in
Debian's Chromium) — lines moved with their buttons, the App Editor's lines pages checked with
axe-core — and what the server stored checked here. The app is the trip report fixture of
the API tests (tests/api/fixtures/travel_report.toml). Screenshots at 1280 and 390 px go to
tests/artifacts/lines/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from conftest import JS, REPO, FormworkServer, artifacts_dir, js_tool, node_bin, rows_of

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REPORTS = REPO / "tests" / "api" / "fixtures" / "travel_report.toml"


def call(session, token: str, tool: str, args: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}}
    r = session.post(
        "/mcp",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-06-18"},
    )
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert not result.get("isError"), result
    return result["structuredContent"]


def test_line_items_work_without_javascript(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    formwork_server.cli(["app", "import", str(REPORTS), "--publish"])
    time.sleep(1.1)
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "ARTIFACTS": str(artifacts_dir("lines")),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "lines.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["ok"]

    # One report: the refused form and "Add rows" saved nothing; the edit removed line 2, changed
    # line 1 and added a line with the next id; the blank rows (the currency prefilled) added none;
    # "Move line 3 up" saved nothing, and the next edit saved the lines in their new order.
    alice = formwork_server.sign_in("alice")
    token = formwork_server.token("alice")
    reports = rows_of(call(alice, token, "trip_reports_mine", {"limit": 100}))
    assert [r["id"] for r in reports] == [seen["report"]], reports
    report = reports[0]
    assert report["version"] == 3, report
    lines = report["fields"]["items"]
    assert [(line["id"], line["description"], line["net"], line["currency"]) for line in lines] == [
        ("l1", "Train to Lyon and back", "79", "EUR"),
        ("l4", "Lunch", "14", "EUR"),
        ("l3", "Taxi", "18.5", "EUR"),
    ], lines
    assert report["fields"]["total"] == "111.5"
