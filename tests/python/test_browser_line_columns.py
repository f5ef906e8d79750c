"""Line columns of every entered type on the operation form in a real browser with JavaScript
off (tests/js/line_columns.mjs in Debian's Chromium): a project chosen per row, the search above
the table finding one that the first choices leave out, tags ticked, a moment typed in the
person's zone; axe-core on the form and the record page. What was stored is checked here. The
apps are the API tests' fixtures (lookup_projects.toml, line_columns.toml). Screenshots at 1280
and 390 px go to tests/artifacts/line-columns/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from conftest import JS, REPO, FormworkServer, artifacts_dir, js_tool, node_bin, rows_of

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FIXTURES = REPO / "tests" / "api" / "fixtures"


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


def test_line_columns_work_without_javascript(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    for name in ("lookup_projects.toml", "line_columns.toml"):
        formwork_server.cli(["app", "import", str(FIXTURES / name), "--publish"])
    time.sleep(1.1)
    alice = formwork_server.sign_in("alice")
    r = alice.post_form("/profile/time-zone", {"time_zone": "Europe/Berlin"})
    assert r.status_code == 303, r.text
    token = formwork_server.token("alice")
    # More projects than a row's list shows at first (20, by title), Gemini after them.
    ids = {}
    for name in ["Apollo"] + [f"Archive {n:02}" for n in range(1, 21)] + ["Gemini"]:
        ids[name] = call(alice, token, "lk_projects_add", {"name": name})["record_id"]

    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "ARTIFACTS": str(artifacts_dir("line-columns")),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "line_columns.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["ok"]

    # One visit, saved once (the search saved nothing), with the two stops as typed.
    visits = rows_of(call(alice, token, "lc_visits_mine", {"limit": 100}))
    assert [v["id"] for v in visits] == [seen["visit"]], visits
    visit = visits[0]
    assert visit["version"] == 1, visit
    first, second = visit["fields"]["stops"]
    assert first["project"] == ids["Apollo"]
    assert first["tags"] == ["Urgent", "Billable"]
    assert first["arrived"] == "2026-07-05T12:30:00Z"  # 14:30 in Berlin in July
    assert first["place"] == {"lat": 48.8584, "lon": 2.2945}
    assert first["phone"] == "+41446681800"
    assert second["project"] == ids["Gemini"]
    assert second["note"] == "office"
    assert visit["titles"] == {"stops.l1.project": "Apollo", "stops.l2.project": "Gemini"}
