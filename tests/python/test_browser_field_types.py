"""Every everyday field type filled in a real browser with JavaScript off (tests/js/field_types.mjs
in Debian's Chromium): the Site visits app of tests/api/fixtures/site_visits.toml, filled by Alice
in the Europe/Berlin time zone, and what the server stored checked here. Screenshots go to
tests/artifacts/field-types/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from conftest import JS, RECEIPTS, REPO, FormworkServer, artifacts_dir, js_tool, node_bin

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
APP = REPO / "tests" / "api" / "fixtures" / "site_visits.toml"


def test_a_person_fills_every_field_type_without_javascript(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    formwork_server.cli(["app", "import", str(APP), "--publish"])
    time.sleep(1.1)
    alice = formwork_server.sign_in("alice")
    assert alice.post_form("/profile/time-zone", {"time_zone": "Europe/Berlin"}).status_code == 303
    out_dir = artifacts_dir("field-types")
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "PHOTO": str(RECEIPTS / "02_hardware_springfield.png"),
        "ARTIFACTS": str(out_dir),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "field_types.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["ok"]

    # The server stored the machine forms: a boolean, the options in order, UTC, E.164.
    token = formwork_server.token("alice")
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "site_visits_all", "arguments": {}}}
    r = alice.post(
        "/mcp",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-06-18"},
    )
    rows = r.json()["result"]["structuredContent"]["rows"]
    stored = next(row["fields"] for row in rows if row["id"] == summary["record"])
    assert stored["overnight"] is False
    assert stored["equipment"] == ["Ladder", "Drill"]
    assert stored["starts_at"] == "2026-03-05T13:30:00Z"
    assert stored["phone"] == "+442079460958"
    assert stored["distance"] == 1250
    assert isinstance(stored["photo"], int)
    assert len(rows) == 1, "the refused submission saved nothing"
