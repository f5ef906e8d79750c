"""Every everyday field type through the official Python MCP SDK: one call of a create tool with a
yes/no, several options, an email address, a phone number, a web address, a whole number, a date
and time, a photo and a location; the stored forms read back through a view; "contains any"
filtering; a location changed by the edit tool and read back; a follow-up date left out taking its
calculated default; and a bad value of each type refused as a tool result (isError) naming its
field, with nothing saved.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import RECEIPTS, REPO, FormworkServer

pytestmark = pytest.mark.anyio

APP = REPO / "tests" / "api" / "fixtures" / "site_visits.toml"
PHOTO = RECEIPTS / "02_hardware_springfield.png"


def publish(server: FormworkServer) -> None:
    server.cli(["app", "import", str(APP), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


async def test_a_tool_takes_and_returns_every_field_type(formwork_server: FormworkServer):
    publish(formwork_server)
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        add = tools["site_visits_add"]
        props = add.input_schema["properties"]
        assert props["overnight"]["type"] == "boolean"
        assert props["equipment"]["type"] == "array" and props["equipment"]["uniqueItems"] is True
        assert props["equipment"]["items"]["enum"] == ["Ladder", "Drill", "Camera"]
        assert props["distance"]["type"] == "integer" and props["distance"]["minimum"] == 0
        assert "km" in props["distance"]["description"]
        assert props["starts_at"]["format"] == "date-time"
        assert props["location"]["type"] == "object"
        assert props["location"]["required"] == ["lat", "lon"]
        assert props["location"]["properties"]["lat"]["minimum"] == -90
        assert props["location"]["properties"]["lon"]["maximum"] == 180
        assert "defaults to today + 14 days when not given" in props["follow_up"]["description"]

        created = await c.call_tool(
            "site_visits_add",
            {
                "place": "Depot North",
                "overnight": True,
                "equipment": ["Camera", "Ladder"],
                "contact": "Ann.Lee@Example.ORG",
                "phone": "+44 20 7946 0958",
                "website": "https://Example.org/depot",
                "distance": 1250,
                "starts_at": "2026-03-05T14:30:00+01:00",
                "photo": {"filename": PHOTO.name, "content_base64": base64.b64encode(PHOTO.read_bytes()).decode()},
                "location": {"lat": 48.8584, "lon": 2.2945},
            },
        )
        assert created.is_error is False, created
        jsonschema.validate(created.structured_content, add.output_schema)
        record = created.structured_content["record"]
        assert record["overnight"] is True
        assert record["equipment"] == ["Ladder", "Camera"]  # the options' order
        assert record["contact"] == "Ann.Lee@example.org"
        assert record["phone"] == "+442079460958"
        assert record["website"] == "https://example.org/depot"
        assert record["distance"] == 1250
        assert record["starts_at"] == "2026-03-05T13:30:00Z"
        assert isinstance(record["photo"], int)
        assert record["location"] == {"lat": 48.8584, "lon": 2.2945}
        in_two_weeks = (datetime.now(timezone.utc).date() + timedelta(days=14)).isoformat()
        assert record["follow_up"] == in_two_weeks  # left out: its default, worked out now

        # The edit tool moves the place (as "lat, lon" text this time); the view reads it back.
        moved = await c.call_tool(
            "site_visits_edit",
            {"record_id": created.structured_content["record_id"], "location": "-33.8567844, 151.2152967"},
        )
        assert moved.is_error is False, moved
        jsonschema.validate(moved.structured_content, tools["site_visits_edit"].output_schema)
        page = await c.call_tool("site_visits_all", {})
        jsonschema.validate(page.structured_content, tools["site_visits_all"].output_schema)
        north = next(r for r in page.structured_content["rows"] if r["fields"]["place"] == "Depot North")
        assert north["fields"]["location"] == {"lat": -33.8567844, "lon": 151.2152967}
        assert north["fields"]["follow_up"] == in_two_weeks

        other = await c.call_tool("site_visits_add", {"place": "Depot South", "equipment": ["Drill"], "overnight": False})
        assert other.is_error is False, other

        # The view's "contains any" parameter, answered by the database.
        view = tools["site_visits_all"]
        page = await c.call_tool("site_visits_all", {"equipment": ["Drill", "Camera"]})
        jsonschema.validate(page.structured_content, view.output_schema)
        assert sorted(r["fields"]["place"] for r in page.structured_content["rows"]) == ["Depot North", "Depot South"]
        page = await c.call_tool("site_visits_all", {"equipment": ["Ladder"]})
        assert [r["fields"]["place"] for r in page.structured_content["rows"]] == ["Depot North"]

        # A bad value of each type: a tool error naming the field, and no record.
        bad_values = {
            "overnight": "maybe",
            "equipment": ["Crane"],
            "contact": "ann@example",
            "phone": "call me",
            "website": "ftp://example.org/",
            "distance": 2.5,
            "starts_at": "2026-03-05T14:30",
            "location": {"lat": 95, "lon": 2.2945},
        }
        for field, value in bad_values.items():
            bad = await c.call_tool("site_visits_add", {"place": "Bad", field: value})
            assert bad.is_error is True, (field, bad)
            assert [f["field"] for f in bad.structured_content["error"]["fields"]] == [field], bad.structured_content
        page = await c.call_tool("site_visits_all", {})
        assert "Bad" not in [r["fields"]["place"] for r in page.structured_content["rows"]]
