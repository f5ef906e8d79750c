"""The App Editor in a real browser (Debian's Chromium, driven by playwright-core from
tests/js/editor.mjs, JavaScript off), then the app it built through the official Python MCP SDK.

As admin, the walk builds "Site Visits" from a blank app: a text title, a number, a date, a choice
used as the state field and a user field as the owner; the roles staff and admin; a "My visits"
view of own records with a Status parameter; a create operation and a transition; MCP enabled for
the view and the create operation on their Integration tabs; published with a note. Then employees
with the role staff use it on the web (create through the form, find it in the view, transition),
and here through MCP: the tools appear, the create tool works, and another staff member's records
stay out of the view tool.

Screenshots of each editor screen go to tests/artifacts/editor/ (git-ignored):
01-new-app, 02-general, 03-fields, 04-field-edit, 05-view-edit-preview, 06-operation-edit,
07-versions-diff, and a few more of the Integration tab, the published versions and what staff see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import JS, FormworkServer, artifacts_dir, js_tool, node_bin, rows_of

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
APP = "site_visits"
STAFF, OTHER = "erin", "frank"
SCREENS = [
    "01-new-app",
    "02-general",
    "03-fields",
    "04-field-edit",
    "05-view-edit-preview",
    "06-operation-edit",
    "07-versions-diff",
]


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    """An SDK client connected to the server's /mcp with `Authorization: Bearer <token>`."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


@pytest.mark.anyio
async def test_an_admin_builds_an_app_in_the_editor_and_staff_use_it_on_the_web_and_through_mcp(
    formwork_server: FormworkServer,
):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    for user in (STAFF, OTHER):
        formwork_server.cli(["user", "add", "--username", user, "--role", "staff"], stdin=f"{formwork_server.password}\n")
    out_dir = artifacts_dir("editor")
    for old in out_dir.glob("*"):
        old.unlink()

    # The browser part: the editor as admin, then staff on the web.
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "ADMIN_USER": "admin",
        "STAFF_USER": STAFF,
        "OTHER_STAFF_USER": OTHER,
        "PASSWORD": formwork_server.password,
        "ARTIFACTS": str(out_dir),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "editor.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, f"editor walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(summary, indent=1))
    assert summary["ok"]
    for name in SCREENS:
        p = out_dir / f"{name}.png"
        assert p.is_file() and p.stat().st_size > 10_000, f"{p} missing or blank"

    # The server agrees with what the browser built: the published definition.
    admin = formwork_server.sign_in("admin")
    r = admin.get(f"/admin/apps/{APP}/definition.json")
    assert r.status_code == 200, r.status_code
    definition = r.json()
    assert definition["owner_field"] == "owner" and definition["state_field"] == "status"
    assert definition["roles"] == ["staff", "admin"]
    assert {n: f["type"] for n, f in definition["fields"].items()} == {
        "title": "text",
        "visitors": "number",
        "visit_date": "date",
        "owner": "user",
        "status": "choice",
    }
    view = definition["views"]["my_visits"]
    assert view["scope"] == "own" and view["columns"] == ["title", "visit_date", "visitors", "status"]
    assert view["parameters"]["status"]["field"] == "status"

    # Through MCP, as staff.
    async with mcp_client(formwork_server, formwork_server.token(STAFF)) as erin:
        tools = {t.name: t for t in (await erin.list_tools()).tools}
        assert {f"{APP}_my_visits", f"{APP}_plan_visit"} <= set(tools), sorted(tools)
        assert f"{APP}_mark_done" not in tools, "the transition is not enabled for MCP"
        assert not any(t.startswith("expense_claims_") for t in tools), "staff have no Expense Claims role"
        my_visits, plan_visit = tools[f"{APP}_my_visits"], tools[f"{APP}_plan_visit"]
        assert "status" in my_visits.input_schema["properties"]
        assert set(plan_visit.input_schema["properties"]) >= {"title", "visitors", "visit_date"}
        assert "owner" not in plan_visit.input_schema["properties"]
        assert set(plan_visit.input_schema.get("required", [])) >= {"title", "visit_date"}

        created = await erin.call_tool(
            f"{APP}_plan_visit", {"title": "Customer workshop in Munich", "visitors": 2, "visit_date": "2026-09-01"}
        )
        assert created.is_error is False, created
        assert created.structured_content["applied"] is True and created.structured_content["version"] == 1
        new_id = created.structured_content["record_id"]

        page = (await erin.call_tool(f"{APP}_my_visits", {})).structured_content
        rows = rows_of(page)
        titles = {r["title"] for r in rows}
        assert titles == {"Visit to the Hamburg plant", "Customer workshop in Munich"}, rows
        assert summary["erin_record"] in {r["id"] for r in rows}
        planned = rows_of((await erin.call_tool(f"{APP}_my_visits", {"status": "Planned"})).structured_content)
        assert [(r["id"], r["status"]) for r in planned] == [(new_id, "Planned")], planned

    # Frank's visit exists (he made it on the web) and stays out of Erin's view tool; his own
    # view tool shows only his.
    async with mcp_client(formwork_server, formwork_server.token(OTHER)) as frank:
        rows = rows_of((await frank.call_tool(f"{APP}_my_visits", {})).structured_content)
        assert [r["title"] for r in rows] == ["Frank's private visit to Lyon"], rows
        assert new_id not in {r["id"] for r in rows}

    # The record made through MCP shows as such in its history, on the web.
    page = formwork_server.sign_in(STAFF).get(f"/apps/{APP}/records/{new_id}")
    assert page.status_code == 200 and "Changed via MCP" in page.text

    # What the walk found wrong without being stopped by it (accessibility, editor behaviour).
    for warning in summary["warnings"]:
        print(f"warning: {warning}")
    assert summary["defects"] == [], "defects found in the editor:\n" + "\n".join(summary["defects"])
