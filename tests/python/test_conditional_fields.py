"""Conditional fields and read-only fields through the official Python MCP SDK: tools/list shows
only the editable inputs of an operation, with their conditions in the input descriptions; a field
required only under a condition is refused then and not otherwise; a value for a hidden field or a
read-only field is refused as a tool result (isError) naming the field, and nothing is written.
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

APP = REPO / "tests" / "api" / "fixtures" / "trip_costs.toml"


def publish(server: FormworkServer) -> None:
    server.cli(["app", "import", str(APP), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


def refused_fields(result) -> list[str]:
    assert result.is_error is True, result
    return [f["field"] for f in result.structured_content["error"]["fields"]]


async def test_tools_list_only_editable_inputs_and_say_their_conditions(formwork_server: FormworkServer):
    publish(formwork_server)
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        edit = tools["trip_costs_edit"].input_schema
        assert set(edit["properties"]) == {
            "record_id",
            "expected_version",
            "category",
            "nights",
            "hotel",
            "attendees",
            "amount",
        }
        assert edit["additionalProperties"] is False
        add = tools["trip_costs_add"].input_schema
        nights = add["properties"]["nights"]["description"]
        assert "only when Category is Lodging" in nights and "required when Category is Lodging" in nights
        assert "only when Category is Meals" in add["properties"]["attendees"]["description"]
        assert "purpose" in add["required"] and "nights" not in add["required"] and "attendees" not in add["required"]


async def test_conditional_rules_hold_over_tools_call(formwork_server: FormworkServer):
    publish(formwork_server)
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}

        # Required only while the condition holds.
        missing = await c.call_tool("trip_costs_add", {"purpose": "Fair", "category": "Lodging"})
        assert refused_fields(missing) == ["nights"]
        assert "required when Category is Lodging" in str(missing.structured_content)
        travel = await c.call_tool("trip_costs_add", {"purpose": "Train", "category": "Travel"})
        assert travel.is_error is False, travel
        jsonschema.validate(travel.structured_content, tools["trip_costs_add"].output_schema)

        # A value for a hidden field: refused, with why it is hidden.
        hidden = await c.call_tool("trip_costs_add", {"purpose": "Train", "category": "Travel", "nights": 2})
        assert refused_fields(hidden) == ["nights"]
        assert "only when Category is Lodging" in str(hidden.structured_content)

        stay = await c.call_tool(
            "trip_costs_add", {"purpose": "Fair in Lyon", "category": "Lodging", "nights": 2, "hotel": "Parc"}
        )
        assert stay.is_error is False, stay
        record_id = stay.structured_content["record_id"]
        version = stay.structured_content["version"]

        # A read-only field sent anyway: not in the schema, and refused if sent.
        read_only = await c.call_tool("trip_costs_edit", {"record_id": record_id, "purpose": "Holiday"})
        assert refused_fields(read_only) == ["purpose"]
        assert "read-only" in str(read_only.structured_content)

        # Travel now: nights and hotel are hidden and keep their values; changing them is refused.
        moved = await c.call_tool("trip_costs_edit", {"record_id": record_id, "category": "Travel"})
        assert moved.is_error is False, moved
        assert moved.structured_content["record"]["nights"] == 2
        again = await c.call_tool("trip_costs_edit", {"record_id": record_id, "hotel": "Elsewhere"})
        assert refused_fields(again) == ["hotel"]

        page = await c.call_tool("trip_costs_mine", {})
        row = next(r for r in page.structured_content["rows"] if r["id"] == record_id)
        assert row["version"] == version + 1
        assert row["fields"]["purpose"] == "Fair in Lyon"
        assert row["fields"]["hotel"] == "Parc"
