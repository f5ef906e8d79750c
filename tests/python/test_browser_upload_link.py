"""An upload link in a real browser (tests/js/upload_link.mjs in Debian's Chromium): links made
over MCP for a claim's receipt; on a 390 px phone with JavaScript off the receipt is sent through
the first, and axe-core checks the page of the second. What was stored is checked here.
Screenshots go to tests/artifacts/upload_link/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from conftest import JS, RECEIPTS, FormworkServer, artifacts_dir, js_tool, node_bin

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


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


def test_a_receipt_goes_through_an_upload_link_on_a_phone(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    token = formwork_server.token("alice")
    http = formwork_server.client()
    made = call(http, token, "expense_claims_new_claim", {"purpose": "Taxi in Lyon", "category": "Travel"})
    claim = made["record_id"]
    first = call(http, token, "expense_claims_upload_link", {"record_id": claim, "field": "receipt"})
    second = call(http, token, "expense_claims_upload_link", {"record_id": claim, "field": "receipt"})
    env = {
        **os.environ,
        "UPLOAD_URL": first["url"],
        "AXE_URL": second["url"],
        "RECEIPT": str(RECEIPTS / "03_taxi_london.jpg"),
        "ARTIFACTS": str(artifacts_dir("upload_link")),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "upload_link.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"browser run failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    assert json.loads(run.stdout.strip().splitlines()[-1])["ok"]

    status = call(http, token, "expense_claims_upload_link", {"record_id": claim, "field": "receipt", "link_id": first["link_id"]})
    assert status["status"] == "received", status
    assert status["filename"] == "03_taxi_london.jpg"
    read = call(http, token, "expense_claims_read_receipt", {"record_id": claim})
    assert read["filename"] == "03_taxi_london.jpg"
    # The second link was only looked at: still waiting.
    other = call(http, token, "expense_claims_upload_link", {"record_id": claim, "field": "receipt", "link_id": second["link_id"]})
    assert other["status"] == "waiting", other
