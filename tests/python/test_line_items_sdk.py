"""Line items (a `lines` field) through the official Python MCP SDK, on the trip report app of
tests/api/fixtures/travel_report.toml: a report created with twelve lines, one line changed by its
id and one removed, a bad line refused with its path and nothing saved, a stale version refused.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import REPO, FormworkServer, rows_of

pytestmark = pytest.mark.anyio

REPORTS = REPO / "tests" / "api" / "fixtures" / "travel_report.toml"
CATEGORIES = ["Transport", "Lodging", "Meals", "Other"]


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


def twelve_lines() -> list[dict[str, str]]:
    """Twelve costs of a trip, in euros: 10.00, 11.00, … 21.00 (186.00 in all)."""
    return [
        {
            "date": f"2026-03-{i + 1:02}",
            "description": f"Cost {i + 1}",
            "category": CATEGORIES[i % 4],
            "net": f"{10 + i}.00",
        }
        for i in range(12)
    ]


async def report(c: Client, record_id: int) -> dict:
    """The report's stored fields, read through its Full view."""
    page = (await c.call_tool("trip_reports_mine", {"limit": 100})).structured_content
    return next(r for r in rows_of(page) if r["id"] == record_id)


async def test_line_items_through_the_sdk(formwork_server: FormworkServer):
    formwork_server.cli(["app", "import", str(REPORTS), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        create = tools["trip_reports_create"]
        items = create.input_schema["properties"]["items"]
        assert items["type"] == "array" and items["minItems"] == 1 and items["maxItems"] == 50
        assert items["items"]["required"] == ["date", "description", "net"]
        # The SDK's own check of the arguments against the schema holds for the twelve lines.
        args = {"purpose": "Client visit", "starts": "2026-03-01", "items": twelve_lines()}
        jsonschema.validate(args, create.input_schema)

        made = await c.call_tool("trip_reports_create", args)
        assert made.is_error is False, made
        assert made.structured_content["version"] == 1
        record_id = made.structured_content["record_id"]
        fields = (await report(c, record_id))["fields"]
        lines = fields["items"]
        assert [line["id"] for line in lines] == [f"l{i}" for i in range(1, 13)]
        assert all(line["currency"] == "EUR" for line in lines)
        assert Decimal(fields["total"]) == Decimal("186")
        assert fields["line_count"] == "12"

        # Line 3 changed by its id (only its amount sent), line 5 removed, the rest kept.
        sent = [{"id": line["id"]} for line in lines if line["id"] != "l5"]
        sent[2]["net"] = "30.00"
        changed = await c.call_tool("trip_reports_edit", {"record_id": record_id, "expected_version": 1, "items": sent})
        assert changed.is_error is False, changed
        assert changed.structured_content["version"] == 2
        fields = (await report(c, record_id))["fields"]
        after = fields["items"]
        assert [line["id"] for line in after] == [f"l{i}" for i in range(1, 13) if i != 5]
        assert after[2]["net"] == "30" and after[2]["description"] == "Cost 3"
        # 186 - 12 (line 3 was 12.00) + 30 - 14 (line 5) = 190.
        assert Decimal(fields["total"]) == Decimal("190")
        assert fields["line_count"] == "11"

        # A bad line: refused with its place in the list and its column, nothing saved.
        bad = [dict(line) for line in after]
        bad[4]["net"] = "-5"
        bad.append({"date": "2026-03-20", "description": "Taxi", "net": "9.00"})
        refused = await c.call_tool("trip_reports_edit", {"record_id": record_id, "expected_version": 2, "items": bad})
        assert refused.is_error is True, refused
        error = refused.structured_content["error"]
        messages = [f["message"] for f in error["fields"] if f["field"] == "items"]
        assert any(m.startswith("items[4].net: ") for m in messages), error
        assert (await report(c, record_id))["fields"]["items"] == after

        # A stale version: refused, nothing saved.
        stale = await c.call_tool(
            "trip_reports_edit",
            {"record_id": record_id, "expected_version": 1, "items": [{"id": "l1"}]},
        )
        assert stale.is_error is True
        assert stale.structured_content["error"]["code"] == "stale_version"
        stored = await report(c, record_id)
        assert stored["version"] == 2 and stored["fields"]["items"] == after
