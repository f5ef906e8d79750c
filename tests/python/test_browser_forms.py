"""Conditional fields, the lookup picker, read-only fields and deleting a referenced record in a
real browser with JavaScript off (tests/js/forms.mjs in Debian's Chromium), and what the server
stored checked here. The apps are the fixtures of the API tests (tests/api/fixtures/trip_costs.toml
with a summary added to its list, lookup_projects.toml, lookup_tasks.toml). Screenshots at 1280 and
390 px go to tests/artifacts/forms/.
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
# A summary under the list, grouped by a text field with long words (summary tables must not
# break them).
SUMMARY = """
[views.mine.summaries.by_purpose]
title = "Costs by purpose"
aggregate = "sum"
field = "amount"
group_by = ["purpose", "category"]
"""


def call(server: FormworkServer, session, token: str, tool: str, args: dict) -> dict:
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


def test_forms_work_without_javascript(formwork_server: FormworkServer, tmp_path):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    trip = tmp_path / "trip_costs.toml"
    trip.write_text((FIXTURES / "trip_costs.toml").read_text() + SUMMARY)
    for app in [trip, FIXTURES / "lookup_projects.toml", FIXTURES / "lookup_tasks.toml"]:
        formwork_server.cli(["app", "import", str(app), "--publish"])
    time.sleep(1.1)
    alice = formwork_server.sign_in("alice")
    bob = formwork_server.sign_in("bob")
    alice_token = formwork_server.token("alice")
    bob_token = formwork_server.token("bob")
    secret = call(formwork_server, bob, bob_token, "lk_projects_add", {"name": "Bob's secret", "status": "Active"})
    secret_id = secret["record_id"]
    # A long purpose: one word wider than a phone's summary column would be broken mid-word.
    long_purpose = call(
        formwork_server, alice, alice_token, "trip_costs_add",
        {"purpose": "Interdisciplinaryconferenceregistration", "category": "Meals", "attendees": 4, "amount": "80.00"},
    )
    assert long_purpose["record_id"]

    out_dir = artifacts_dir("forms")
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "SECRET_PROJECT": str(secret_id),
        "ARTIFACTS": str(out_dir),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "forms.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["ok"]

    # a) Conditional fields: the refused lodging saved nothing; travel has no nights; the lodging
    # turned into travel kept its hidden values unchanged.
    costs = {r["id"]: r for r in rows_of(call(formwork_server, alice, alice_token, "trip_costs_mine", {"limit": 100}))}
    assert set(costs) == {long_purpose["record_id"], seen["travel"], seen["lodging"]}, costs
    travel = costs[seen["travel"]]["fields"]
    assert travel["category"] == "Travel" and travel.get("nights") is None and travel.get("hotel") is None
    lodging = costs[seen["lodging"]]
    assert lodging["fields"]["category"] == "Travel"
    assert lodging["fields"]["nights"] == 2 and lodging["fields"]["hotel"] == "Hôtel du Parc"
    # c) Read-only: the tampered purpose was refused, so the one edit is the only change.
    assert lodging["fields"]["purpose"] == "Fair in Lyon"
    assert lodging["version"] == 2, lodging

    # b) Lookups: one task per accepted form, none for the tampered one; d) Gemini cleared from both.
    tasks = rows_of(call(formwork_server, alice, alice_token, "lk_tasks_all", {"limit": 100}))
    titles = sorted(t["fields"]["title"] for t in tasks)
    assert titles == ["Review the plan", "Write the plan"], titles
    for t in tasks:
        assert t["fields"]["project"] == seen["projects"]["Apollo"]
        assert t["fields"].get("backup") is None, t
    projects = rows_of(call(formwork_server, alice, alice_token, "lk_projects_mine", {"limit": 100}))
    assert sorted(p["fields"]["name"] for p in projects) == ["Apollo", "Archive"]
