"""A lookup field through the official Python MCP SDK: Tasks refer to Projects (each employee
reads only their own projects). The find tool is listed beside the operation that takes the
lookup, finds only projects the caller may read, and the id it returns is what the operation
takes; a project the caller may not read is refused as a tool result naming the field.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import REPO, FormworkServer

pytestmark = pytest.mark.anyio

FIXTURES = REPO / "tests" / "api" / "fixtures"


def publish(server: FormworkServer) -> None:
    for name in ("lookup_projects.toml", "lookup_tasks.toml"):
        server.cli(["app", "import", str(FIXTURES / name), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


async def test_the_find_tool_gives_the_id_an_operation_takes(formwork_server: FormworkServer):
    publish(formwork_server)
    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        made = await bob.call_tool("lk_projects_add", {"name": "Apollo for Bob"})
        assert made.is_error is False, made
        bobs_project = made.structured_content["record_id"]

    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        made = await c.call_tool("lk_projects_add", {"name": "Apollo"})
        assert made.is_error is False, made
        apollo = made.structured_content["record_id"]

        tools = {t.name: t for t in (await c.list_tools()).tools}
        find = tools["lk_tasks_find_project"]
        assert find.annotations.read_only_hint is True
        add = tools["lk_tasks_add"]
        project = add.input_schema["properties"]["project"]
        assert project["type"] == "integer"
        assert "lk_tasks_find_project" in project["description"]

        found = await c.call_tool("lk_tasks_find_project", {"query": "apollo"})
        assert found.is_error is False, found
        jsonschema.validate(found.structured_content, find.output_schema)
        records = found.structured_content["records"]
        assert [r["id"] for r in records] == [apollo]  # not Bob's "Apollo for Bob"
        assert records[0]["title"] == "Apollo"
        assert "Apollo" in found.content[0].text

        created = await c.call_tool("lk_tasks_add", {"title": "Launch", "project": records[0]["id"]})
        assert created.is_error is False, created
        jsonschema.validate(created.structured_content, add.output_schema)
        assert created.structured_content["record"]["project"] == apollo

        refused = await c.call_tool("lk_tasks_add", {"title": "Sneaky", "project": bobs_project})
        assert refused.is_error is True
        assert "project" in str(refused.structured_content)
        assert "Apollo for Bob" not in str(refused.content)


LOOKED_UP_VIEW = """
[views.by_project]
title = "Tasks by project"
roles = ["employee"]
scope = "all"
columns = ["title", "project", "project.status"]
sort = ["title"]
parameters.project_status = { field = "project.status", op = "eq", label = "Project status" }
mcp = { enabled = true, format = "full" }
"""


async def test_a_view_filters_on_a_looked_up_field_through_readable_projects_only(
    formwork_server: FormworkServer, tmp_path
):
    formwork_server.cli(["app", "import", str(FIXTURES / "lookup_projects.toml"), "--publish"])
    tasks = tmp_path / "tasks.toml"
    tasks.write_text((FIXTURES / "lookup_tasks.toml").read_text() + LOOKED_UP_VIEW)
    formwork_server.cli(["app", "import", str(tasks), "--publish"])
    time.sleep(1.1)
    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        made = await bob.call_tool("lk_projects_add", {"name": "Bob's active one"})
        hidden = await bob.call_tool(
            "lk_tasks_add", {"title": "Bob's task", "project": made.structured_content["record_id"]}
        )
        assert hidden.is_error is False, hidden

    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        apollo = (await c.call_tool("lk_projects_add", {"name": "Apollo"})).structured_content["record_id"]
        done = await c.call_tool("lk_tasks_add", {"title": "Launch", "project": apollo})
        assert done.is_error is False, done

        tools = {t.name: t for t in (await c.list_tools()).tools}
        view = tools["lk_tasks_by_project"]
        param = view.input_schema["properties"]["project_status"]
        assert param["enum"] == ["Active", "Closed"]
        assert "Project · Status" in (view.description or "")

        page = await c.call_tool("lk_tasks_by_project", {"project_status": "Active"})
        assert page.is_error is False, page
        jsonschema.validate(page.structured_content, view.output_schema)
        rows = page.structured_content["rows"]
        # Bob's task is in scope "all" but its project is not Alice's to read: not matched.
        assert [r["fields"]["title"] for r in rows] == ["Launch"]
        assert rows[0]["looked_up"] == {"project.status": "Active"}

        everything = await c.call_tool("lk_tasks_by_project", {})
        by_title = {r["fields"]["title"]: r for r in everything.structured_content["rows"]}
        assert by_title["Bob's task"]["looked_up"] == {"project.status": "a record you cannot open"}

        bad = await c.call_tool("lk_tasks_by_project", {"project_status": "Paused"})
        assert bad.is_error is True
        assert "project_status" in str(bad.structured_content)
