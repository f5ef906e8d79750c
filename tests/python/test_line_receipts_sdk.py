"""A receipt per line, through the official Python MCP SDK, on the shipped Travel Expense Reports
app (seed-data/apps/travel_reports.toml): a report created with three receipts uploaded inside its
lines; each line's receipt read back by `record_id` + `line_id`, with what the server read from it;
the lines filled from what was printed, each sent back with its id; the report submitted. Another
employee cannot read the line's receipt; a line id the report does not have is refused by name.
"""

from __future__ import annotations

import base64
import time
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import RECEIPTS, REPO, FormworkServer, receipt_truth, rows_of

pytestmark = pytest.mark.anyio

TRAVEL = REPO / "seed-data" / "apps" / "travel_reports.toml"
PROJECTS = REPO / "seed-data" / "apps" / "projects.toml"
FILES = ["01_cafe_berlin.jpg", "09_hotel_munich.pdf", "10_taxi_lyon_scan.pdf"]


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


def upload(name: str) -> dict[str, str]:
    return {"filename": name, "content_base64": base64.b64encode((RECEIPTS / name).read_bytes()).decode()}


async def stored(c: Client, record_id: int) -> dict:
    page = (await c.call_tool("travel_reports_my_reports", {"limit": 100})).structured_content
    return next(r for r in rows_of(page) if r["id"] == record_id)["fields"]


async def test_claude_reads_each_lines_receipt_and_fills_that_line(formwork_server: FormworkServer):
    # The receipts' lines may be charged to a project: the Projects app is published first.
    formwork_server.cli(["app", "import", str(PROJECTS), "--publish"])
    formwork_server.cli(["app", "import", str(TRAVEL), "--publish"])
    time.sleep(1.1)  # the published-app cache revalidates once a second
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        read = tools["travel_reports_read_costs_receipt"]
        assert read.input_schema["required"] == ["record_id", "line_id"]
        assert read.annotations.read_only_hint is True
        new = tools["travel_reports_new_report"]
        args = {
            "purpose": "Customer workshops",
            "starts": "2024-02-08",
            "ends": "2024-03-06",
            "costs": [{"receipt": upload(f)} for f in FILES],
        }
        jsonschema.validate(args, new.input_schema)
        made = await c.call_tool("travel_reports_new_report", args)
        assert made.is_error is False, made
        record_id = made.structured_content["record_id"]
        lines = (await stored(c, record_id))["costs"]
        assert [line["id"] for line in lines] == ["l1", "l2", "l3"]
        assert all(isinstance(line["receipt"], int) for line in lines)

        # Each line's receipt, read by its line id: an image to read, and the server's reading.
        filled = []
        for line, name in zip(lines, FILES):
            got = await c.call_tool(
                "travel_reports_read_costs_receipt", {"record_id": record_id, "line_id": line["id"]}
            )
            assert got.is_error is False, got
            sc = got.structured_content
            assert sc["line_id"] == line["id"] and sc["filename"] == name
            assert sc["attachment_id"] == line["receipt"]
            # A photo or scan as an image; a PDF with a text layer (also) as its text.
            assert any(part.type == "image" for part in got.content) or sc["pdf_text"], name
            suggestions = sc["server_suggestions"]
            assert isinstance(suggestions, dict) and suggestions, f"{name}: nothing read"
            # The model fills the line from what it reads; here, what is printed on it.
            truth = receipt_truth(name)
            filled.append(
                {
                    "id": line["id"],
                    "date": truth["expense_date"],
                    "supplier": truth["supplier"],
                    "net": truth["net"],
                    "tax": truth["tax"],
                    "currency": truth["currency"],
                }
            )

        done = await c.call_tool(
            "travel_reports_edit_report",
            {"record_id": record_id, "expected_version": 1, "costs": filled},
        )
        assert done.is_error is False, done
        fields = await stored(c, record_id)
        for line, sent in zip(fields["costs"], filled):
            assert line["supplier"] == sent["supplier"] and Decimal(line["net"]) == Decimal(sent["net"])
        # The receipts stayed with their lines.
        assert [line["receipt"] for line in fields["costs"]] == [line["receipt"] for line in lines]
        assert fields["receipt_count"] == "3"
        # Totals per currency, and in the home currency (EUR here), worked out from the lines.
        assert fields["net_totals"] == {"EUR": "1222.09"}, fields["net_totals"]
        assert Decimal(fields["net_home"]) == Decimal("1222.09"), fields.get("net_home:rate")

        # A line the report does not have is refused by name, with the lines it has.
        bad = await c.call_tool("travel_reports_read_costs_receipt", {"record_id": record_id, "line_id": "l7"})
        assert bad.is_error is True
        assert "l1, l2, l3" in str(bad.structured_content)

        submitted = await c.call_tool(
            "travel_reports_submit", {"record_id": record_id, "expected_version": 2}
        )
        assert submitted.is_error is False, submitted

    # Another employee sees neither the report nor its receipts.
    async with mcp_client(formwork_server, formwork_server.token("bob")) as c:
        other = await c.call_tool("travel_reports_read_costs_receipt", {"record_id": record_id, "line_id": "l1"})
        assert other.is_error is True
        assert "01_cafe_berlin" not in str(other.content)
