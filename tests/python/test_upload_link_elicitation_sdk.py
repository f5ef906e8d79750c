"""Upload links offered as URL-mode elicitation, through the official Python MCP SDK.

A client that declares URL-mode elicitation on a 2026-07-28 connection (the SDK does when it is
given an elicitation callback) is not handed the link as text: `expense_claims_upload_link`
answers `input_required` with one URL elicitation, the SDK passes it to the callback (the
client's "open this page?" prompt), and retries with the person's answer. Here the callback plays
the person: it opens the page and sends the file, or declines, or opens it and sends nothing.
The retry reports the file without making a second link; a declined link stops working; a
2025 client (the initialize handshake, whose capabilities a stateless server never sees) gets
the link as a result; another user cannot redeem a request state that names someone else's link.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult, InputRequiredResult

from conftest import RECEIPTS, FormworkServer

pytestmark = pytest.mark.anyio

RECEIPT = "04_hotel_paris.pdf"
TOOL = "expense_claims_upload_link"


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str, elicitation=None, mode: str = "auto") -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http:
        transport = streamable_http_client(server.mcp_url, http_client=http)
        async with Client(transport, mode=mode, elicitation_callback=elicitation) as client:
            yield client


def send_file(url: str) -> None:
    """What the person does on the page: send the receipt (the form's fields, as the page posts them)."""
    token = url.rsplit("/", 1)[1]
    sent = httpx.post(
        url,
        data={"token": token},
        files={"file": (RECEIPT, (RECEIPTS / RECEIPT).read_bytes(), "application/pdf")},
        timeout=60,
    )
    assert sent.status_code == 200, sent.text


async def new_claim(c: Client) -> int:
    made = await c.call_tool("expense_claims_new_claim", {"purpose": "Hotel in Paris", "category": "Lodging"})
    assert made.is_error is False, made
    return made.structured_content["record_id"]


async def test_the_client_shows_the_link_and_the_retry_reports_the_file(formwork_server: FormworkServer):
    asked = []

    async def person_sends_the_file(_ctx, params):
        asked.append(params)
        send_file(params.url)
        return ElicitResult(action="accept")

    async with mcp_client(formwork_server, formwork_server.token("alice"), person_sends_the_file) as c:
        assert c.protocol_version >= "2026-07-28", c.protocol_version
        claim = await new_claim(c)
        done = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt"})
        assert done.is_error is False, done
        assert len(asked) == 1, "one elicitation, one link: the retry made no second one"
        shown = asked[0]
        assert shown.mode == "url"
        assert shown.url.startswith(formwork_server.url("/upload/fwu_")), shown.url
        assert f"record {claim}" in shown.message and "only for you" in shown.message
        got = done.structured_content
        assert got["status"] == "received", got
        assert got["filename"] == RECEIPT and got["read_tool"] == "expense_claims_read_receipt"
        assert RECEIPT in done.content[0].text
        read = await c.call_tool("expense_claims_read_receipt", {"record_id": claim})
        assert read.structured_content["filename"] == RECEIPT
    # Used once: the page is gone.
    assert httpx.get(shown.url).status_code == 410


async def test_a_declined_link_stops_working(formwork_server: FormworkServer):
    asked = []

    async def person_declines(_ctx, params):
        asked.append(params)
        return ElicitResult(action="decline")

    async with mcp_client(formwork_server, formwork_server.token("alice"), person_declines) as c:
        claim = await new_claim(c)
        done = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt"})
        assert done.is_error is False, done
        assert done.structured_content["status"] == "withdrawn"
        assert done.structured_content["answer"] == "decline"
        assert "declined" in done.content[0].text
        link_id = done.structured_content["link_id"]
        page = httpx.get(asked[0].url)
        assert page.status_code == 410 and "expired" in page.text
        # Asking about it later says so too; nothing was attached.
        later = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt", "link_id": link_id})
        assert later.structured_content["status"] == "expired"
        read = await c.call_tool("expense_claims_read_receipt", {"record_id": claim})
        assert read.is_error is True


@pytest.mark.formwork(serve_args=("--upload-link-wait-seconds", "1"))
async def test_a_link_opened_but_not_used_is_reported_waiting_then_arrives(formwork_server: FormworkServer):
    asked = []

    async def person_opens_the_page_only(_ctx, params):
        asked.append(params)
        return ElicitResult(action="accept")

    async with mcp_client(formwork_server, formwork_server.token("alice"), person_opens_the_page_only) as c:
        claim = await new_claim(c)
        waiting = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt"})
        assert waiting.is_error is False, waiting
        assert waiting.structured_content["status"] == "waiting", waiting
        link_id = waiting.structured_content["link_id"]
        # The person sends it a little later; the model asks with the link's id.
        send_file(asked[0].url)
        arrived = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt", "link_id": link_id})
        assert arrived.structured_content["status"] == "received", arrived
        assert len(asked) == 1


async def test_a_2025_client_gets_the_link_as_a_result(formwork_server: FormworkServer):
    asked = []

    async def never_called(_ctx, params):
        asked.append(params)
        return ElicitResult(action="decline")

    async with mcp_client(formwork_server, formwork_server.token("alice"), never_called, mode="legacy") as c:
        assert c.protocol_version.startswith("2025-"), c.protocol_version
        claim = await new_claim(c)
        got = await c.call_tool(TOOL, {"record_id": claim, "field": "receipt"})
        assert got.is_error is False, got
        assert got.structured_content["status"] == "waiting"
        assert got.structured_content["url"] in got.content[0].text
        assert asked == []


async def test_a_request_state_redeems_only_its_own_users_link(formwork_server: FormworkServer):
    async def unused(_ctx, _params):
        return ElicitResult(action="cancel")

    async with mcp_client(formwork_server, formwork_server.token("alice"), unused) as alice:
        claim = await new_claim(alice)
        # Alice's client stops at the input request (the session call does not drive rounds).
        first = await alice.session.call_tool(
            TOOL, {"record_id": claim, "field": "receipt"}, allow_input_required=True
        )
        assert isinstance(first, InputRequiredResult), first
        state = first.request_state
        assert state and state.startswith("upload-link:"), state
        (asked,) = first.input_requests.values()
        assert asked.params.mode == "url"
    accept = {"upload": {"action": "accept"}}
    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        stolen = await bob.session.call_tool(
            TOOL,
            {"record_id": claim, "field": "receipt"},
            input_responses=accept,
            request_state=state,
            allow_input_required=True,
        )
        assert stolen.is_error is True, stolen
        assert stolen.structured_content["error"]["code"] == "not_found"
        forged = await bob.session.call_tool(
            TOOL,
            {"record_id": claim, "field": "receipt"},
            input_responses=accept,
            request_state="upload-link:not-a-number",
            allow_input_required=True,
        )
        assert forged.is_error is True
        assert forged.structured_content["error"]["code"] == "invalid_input"
    async with mcp_client(formwork_server, formwork_server.token("alice")) as alice:
        # The owner's retry without an answer is refused, and the link is still hers to use.
        unanswered = await alice.session.call_tool(
            TOOL,
            {"record_id": claim, "field": "receipt"},
            request_state=state,
            allow_input_required=True,
        )
        assert unanswered.is_error is True
        assert unanswered.structured_content["error"]["code"] == "invalid_input"
