"""Totals over line items and the lines' read tool through the official Python MCP SDK, on the
trip-totals app of tests/api/fixtures/line_totals.toml, with a small result budget: a trip of 300
lines in euros and francs comes back from its Full view with its first lines and a note, and the
rest is paged with `trip_totals_read_items` — every line once, in order, each result within the
budget and valid against the tool's output schema; another employee cannot read them.
"""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import REPO, FormworkServer, rows_of

pytestmark = pytest.mark.anyio

TRIP_TOTALS = REPO / "tests" / "api" / "fixtures" / "line_totals.toml"
BUDGET = 20_000


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


def lines(n: int) -> list[dict[str, str]]:
    """`n` costs, every third one in francs."""
    return [
        {
            "date": f"2026-03-{i % 28 + 1:02}",
            "description": f"Cost {i} of a long trip",
            "net": f"{i}.50",
            "currency": "CHF" if i % 3 == 0 else "EUR",
        }
        for i in range(1, n + 1)
    ]


def size_of(result) -> int:
    text = "".join(c.text for c in result.content if getattr(c, "text", None))
    return len(json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)) + len(text)


@pytest.mark.formwork(serve_args=("--mcp-max-result-bytes", str(BUDGET)))
async def test_a_long_trips_lines_are_paged_through_the_read_tool(formwork_server: FormworkServer):
    formwork_server.cli(["app", "import", str(TRIP_TOTALS), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        read = tools["trip_totals_read_items"]
        assert read.annotations.read_only_hint is True
        assert read.input_schema["required"] == ["record_id"]
        assert "lines_offset" in read.input_schema["properties"]

        made = await c.call_tool("trip_totals_create", {"purpose": "Long trip", "items": lines(300)})
        assert made.is_error is False, made
        record_id = made.structured_content["record_id"]
        totals = made.structured_content["record"]["totals"]
        francs = sum(i + 0.5 for i in range(1, 301) if i % 3 == 0)
        euros = sum(i + 0.5 for i in range(1, 301) if i % 3 != 0)
        assert totals == {"CHF": f"{francs:.2f}", "EUR": f"{euros:.2f}"}

        page = await c.call_tool("trip_totals_mine", {})
        assert page.is_error is False, page
        assert size_of(page) <= BUDGET
        jsonschema.validate(page.structured_content, tools["trip_totals_mine"].output_schema)
        (row,) = rows_of(page.structured_content)
        note = row["fields"]["items:truncated"]
        assert note["total"] == 300 and 0 < note["returned"] < 300
        seen = [line["id"] for line in row["fields"]["items"]]
        assert len(seen) == note["returned"]

        offset = note["next_lines_offset"]
        calls = 0
        while offset is not None:
            got = await c.call_tool("trip_totals_read_items", {"record_id": record_id, "lines_offset": offset})
            assert got.is_error is False, got
            assert size_of(got) <= BUDGET
            jsonschema.validate(got.structured_content, read.output_schema)
            sc = got.structured_content
            assert sc["offset"] == offset and sc["total"] == 300
            seen += [line["id"] for line in sc["lines"]]
            offset = sc["next_lines_offset"]
            calls += 1
            assert calls < 50
        assert seen == [f"l{i}" for i in range(1, 301)]

    async with mcp_client(formwork_server, formwork_server.token("bob")) as c:
        refused = await c.call_tool("trip_totals_read_items", {"record_id": record_id, "lines_offset": 10})
        assert refused.is_error is True
        assert refused.structured_content["error"]["code"] == "not_found"
