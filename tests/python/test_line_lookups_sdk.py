"""A lookup column of line items through the official Python MCP SDK: a visit's stops refer to
projects (each employee reads only their own). The column's find tool is listed beside the
operation, its result validates against its output schema and gives the ids the lines take; the
view's Full row names each line's project by title; a project the caller may not read is refused
as a tool result naming the line, and nothing is saved.
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


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


async def test_lines_choose_projects_through_the_columns_find_tool(formwork_server: FormworkServer):
    for name in ("lookup_projects.toml", "line_columns.toml"):
        formwork_server.cli(["app", "import", str(FIXTURES / name), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second

    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        made = await bob.call_tool("lk_projects_add", {"name": "Apollo for Bob"})
        assert made.is_error is False, made
        bobs = made.structured_content["record_id"]

    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        apollo = (await c.call_tool("lk_projects_add", {"name": "Apollo"})).structured_content["record_id"]
        gemini = (await c.call_tool("lk_projects_add", {"name": "Gemini"})).structured_content["record_id"]

        tools = {t.name: t for t in (await c.list_tools()).tools}
        find = tools["lc_visits_find_stops_project"]
        assert find.annotations.read_only_hint is True
        add = tools["lc_visits_add"]
        column = add.input_schema["properties"]["stops"]["items"]["properties"]["project"]
        assert column["type"] == "integer"
        assert "lc_visits_find_stops_project" in column["description"]

        found = await c.call_tool("lc_visits_find_stops_project", {"query": "apollo"})
        assert found.is_error is False, found
        jsonschema.validate(found.structured_content, find.output_schema)
        records = found.structured_content["records"]
        assert [r["id"] for r in records] == [apollo]  # not Bob's "Apollo for Bob"

        made = await c.call_tool(
            "lc_visits_add",
            {
                "title": "Zurich",
                "stops": [
                    {"note": "depot", "project": records[0]["id"], "tags": ["Onsite"],
                     "arrived": "2026-03-05T14:30:00+01:00", "place": {"lat": 47.3769, "lon": 8.5417}},
                    {"note": "office", "project": gemini, "contact": "bob", "phone": "+41 44 668 18 00"},
                ],
            },
        )
        assert made.is_error is False, made
        jsonschema.validate(made.structured_content, add.output_schema)
        stops = made.structured_content["record"]["stops"]
        assert [s["project"] for s in stops] == [apollo, gemini]
        assert stops[0]["arrived"] == "2026-03-05T13:30:00Z"

        view = tools["lc_visits_mine"]
        page = await c.call_tool("lc_visits_mine", {})
        assert page.is_error is False, page
        jsonschema.validate(page.structured_content, view.output_schema)
        row = page.structured_content["rows"][0]
        assert row["titles"]["stops.l1.project"] == "Apollo"
        assert row["titles"]["stops.l2.project"] == "Gemini"

        refused = await c.call_tool(
            "lc_visits_add", {"title": "Sneaky", "stops": [{"note": "x"}, {"project": bobs}]}
        )
        assert refused.is_error is True
        assert "stops[1].project" in str(refused.structured_content)
        assert "Apollo for Bob" not in str(refused.content)
        again = await c.call_tool("lc_visits_mine", {})
        assert len(again.structured_content["rows"]) == 1
