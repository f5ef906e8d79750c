"""Upload links through the official Python MCP SDK: the model cannot put a photo's bytes into a
tool call, so it asks `expense_claims_upload_link` for a link to the claim's receipt, the person
sends the file there (posted here the way the page's form does), and the same tool with the link's
id tells the model it arrived; the receipt's read tool returns it. Another employee gets no link
to the claim.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import RECEIPTS, FormworkServer

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
            yield client


async def test_claude_hands_out_an_upload_link_and_learns_the_receipt_arrived(formwork_server: FormworkServer):
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        tool = tools["expense_claims_upload_link"]
        assert tool.input_schema["required"] == ["record_id", "field"]
        assert tool.input_schema["properties"]["field"]["enum"] == ["receipt"]
        assert tool.annotations.read_only_hint is False

        made = await c.call_tool("expense_claims_new_claim", {"purpose": "Hotel in Paris", "category": "Lodging"})
        assert made.is_error is False, made
        claim = made.structured_content["record_id"]
        args = {"record_id": claim, "field": "receipt"}
        jsonschema.validate(args, tool.input_schema)
        got = await c.call_tool("expense_claims_upload_link", args)
        assert got.is_error is False, got
        link = got.structured_content
        assert link["url"] in got.content[0].text, "the link is in the text too, for text-only clients"
        assert link["status"] == "waiting" and link["operation"] == "upload_receipt"

        # The person opens the link (no sign-in) and sends the hotel's PDF.
        page = httpx.get(link["url"])
        assert page.status_code == 200 and 'capture="environment"' in page.text
        token = link["url"].rsplit("/", 1)[1]
        name = "04_hotel_paris.pdf"
        sent = httpx.post(
            link["url"],
            data={"token": token},
            files={"file": (name, (RECEIPTS / name).read_bytes(), "application/pdf")},
            timeout=60,
        )
        assert sent.status_code == 200, sent.text
        assert "Receipt received; you can go back to the chat." in sent.text

        status = await c.call_tool("expense_claims_upload_link", {**args, "link_id": link["link_id"]})
        assert status.is_error is False, status
        assert status.structured_content["status"] == "received"
        assert status.structured_content["read_tool"] == "expense_claims_read_receipt"
        read = await c.call_tool("expense_claims_read_receipt", {"record_id": claim})
        assert read.structured_content["filename"] == name
        assert read.structured_content["content_type"] == "application/pdf"

        # Used once: the page is gone.
        assert httpx.get(link["url"]).status_code == 410

    time.sleep(0.1)
    async with mcp_client(formwork_server, formwork_server.token("bob")) as c:
        refused = await c.call_tool("expense_claims_upload_link", {"record_id": claim, "field": "receipt"})
        assert refused.is_error is True
        assert refused.structured_content["error"]["code"] == "not_found"
