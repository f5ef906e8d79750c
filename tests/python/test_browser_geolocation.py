"""A place filled by the browser's position (tests/js/geolocation.mjs in Debian's Chromium, with
JavaScript on and a position granted to the page): "Use my location" fills the Location input of
the Site visits app (tests/api/fixtures/site_visits.toml), and what the server stored is checked
here. Screenshots go to tests/artifacts/geolocation/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from conftest import JS, REPO, FormworkServer, artifacts_dir, js_tool, node_bin

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
APP = REPO / "tests" / "api" / "fixtures" / "site_visits.toml"


def test_use_my_location_fills_the_place_the_server_stores(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    formwork_server.cli(["app", "import", str(APP), "--publish"])
    time.sleep(1.1)
    alice = formwork_server.sign_in("alice")
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "ARTIFACTS": str(artifacts_dir("geolocation")),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "geolocation.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["ok"]

    token = formwork_server.token("alice")
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "site_visits_all", "arguments": {}}}
    r = alice.post(
        "/mcp",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-06-18"},
    )
    rows = r.json()["result"]["structuredContent"]["rows"]
    stored = next(row["fields"] for row in rows if row["id"] == summary["record"])
    # Rounded to 7 decimals; the device's accuracy kept to a tenth of a metre.
    assert stored["location"] == {"lat": -33.8567845, "lon": 151.2152967, "accuracy_m": 12.3}
    assert len(rows) == 1, "the refused submission saved nothing"
