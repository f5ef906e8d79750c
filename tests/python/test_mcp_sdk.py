"""The official Python MCP SDK (`mcp` on PyPI) as a real client of Formwork's /mcp.

It connects over Streamable HTTP with a personal access token in the Authorization header, the
way a user's own script or agent would, and checks what a client sees: the negotiated protocol,
the tools for the user's roles, structured results of view and operation tools, validation errors
as tool results (isError), and that one employee's token never sees another's claims.

SDK 2.x (`mcp.Client`) negotiates in one of two ways; both are exercised:
  "auto"   probes `server/discover` (the 2026-07-28 protocol) and falls back to initialize;
  "legacy" the initialize handshake of the 2025 protocol versions.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from conftest import RECEIPTS, FormworkServer, rows_of

pytestmark = pytest.mark.anyio

ALICE_TOOLS = {
    "expense_claims_my_claims",
    "expense_claims_new_claim",
    "expense_claims_upload_receipt",
    "expense_claims_fill_receipt_fields",
    "expense_claims_submit",
    "expense_claims_delete_draft",
    "expense_claims_read_receipt",
}
RECEIPT = RECEIPTS / "02_hardware_springfield.png"
# What is printed on that receipt (seed-data/receipts/manifest.json): Maple Street Hardware,
# 2024-03-14, net 45.96 + tax 4.14 = 50.10 USD.
TRUTH = next(r for r in json.loads((RECEIPTS / "manifest.json").read_text())["receipts"] if r["file"] == RECEIPT.name)


@asynccontextmanager
async def mcp_client(server: FormworkServer, token: str, mode: str = "auto") -> AsyncIterator[Client]:
    """An SDK client connected to the server's /mcp with `Authorization: Bearer <token>`."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http:
        transport = streamable_http_client(server.mcp_url, http_client=http)
        async with Client(transport, mode=mode) as client:
            yield client


def conforms(tool, result) -> None:
    """A successful result's structuredContent matches the tool's outputSchema (MUST in the spec)."""
    assert result.is_error is False, result
    jsonschema.validate(result.structured_content, tool.output_schema)


def receipt_arg() -> dict[str, str]:
    return {"filename": RECEIPT.name, "content_base64": base64.b64encode(RECEIPT.read_bytes()).decode()}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_claim_from_creation_to_filled_receipt_fields(formwork_server: FormworkServer, mode: str):
    async with mcp_client(formwork_server, formwork_server.token("alice"), mode) as c:
        # The handshake: who answers, in which protocol, with which capabilities.
        assert c.server_info is not None and c.server_info.name == "formwork"
        if mode == "legacy":
            assert c.protocol_version.startswith("2025-"), c.protocol_version
        assert c.server_capabilities.tools is not None
        assert c.instructions and "operations change records" in c.instructions

        # Tools for an employee: her views and operations, nothing of a manager's or admin's.
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert ALICE_TOOLS <= set(tools), sorted(tools)
        for not_hers in ("expense_claims_claims_to_approve", "expense_claims_all_claims", "expense_claims_approve"):
            assert not_hers not in tools
        my_claims = tools["expense_claims_my_claims"]
        assert my_claims.annotations and my_claims.annotations.read_only_hint is True
        assert set(my_claims.input_schema["properties"]) >= {"status", "supplier", "date_from", "date_to", "limit", "cursor"}
        assert my_claims.output_schema and "rows" in my_claims.output_schema["properties"]
        assert tools["expense_claims_delete_draft"].annotations.destructive_hint is True

        # Create a claim with its receipt.
        created = await c.call_tool(
            "expense_claims_new_claim",
            {"purpose": "Shelving for the office", "category": "Office supplies", "receipt": receipt_arg()},
        )
        conforms(tools["expense_claims_new_claim"], created)
        sc = created.structured_content
        assert sc["applied"] is True and sc["version"] == 1, sc
        claim = sc["record_id"]
        assert isinstance(claim, int)

        # A second, empty draft so the filters have something to leave out.
        other = await c.call_tool("expense_claims_new_claim", {"purpose": "Taxi to the airport", "category": "Travel"})
        assert other.is_error is False, other

        # Read the receipt back: an image the model can look at, plus the record's version.
        read = await c.call_tool("expense_claims_read_receipt", {"record_id": claim})
        assert read.is_error is False, read
        assert read.structured_content["version"] == 1
        assert read.structured_content["content_type"] == "image/png"
        assert any(block.type == "image" and block.mime_type == "image/jpeg" for block in read.content)

        # A validation error is a tool result with isError, naming the field, and changes nothing.
        bad = await c.call_tool(
            "expense_claims_fill_receipt_fields",
            {"record_id": claim, "supplier": TRUTH["supplier"], "expense_date": "2024-02-30", "net": TRUTH["net"], "currency": "USD"},
        )
        assert bad.is_error is True, bad
        assert bad.structured_content["error"]["fields"][0]["field"] == "expense_date", bad.structured_content
        assert bad.content and bad.content[0].type == "text" and bad.content[0].text

        # Fill the receipt fields: the version goes up and the total is computed.
        filled = await c.call_tool(
            "expense_claims_fill_receipt_fields",
            {
                "record_id": claim,
                "expected_version": 1,
                "supplier": TRUTH["supplier"],
                "expense_date": TRUTH["expense_date"],
                "net": TRUTH["net"],
                "tax": TRUTH["tax"],
                "currency": TRUTH["currency"],
            },
        )
        conforms(tools["expense_claims_fill_receipt_fields"], filled)
        assert filled.structured_content["version"] == 2
        # The operation's record carries stored decimals ("50.1"); views format money ("50.10").
        assert Decimal(filled.structured_content["record"]["total"]) == Decimal(TRUTH["total"]), filled.structured_content
        changed = {ch["field"] for ch in filled.structured_content["changes"]}
        assert changed >= {"supplier", "expense_date", "net", "tax", "total", "currency"}, changed

        # A stale expected_version is refused.
        stale = await c.call_tool(
            "expense_claims_fill_receipt_fields",
            {"record_id": claim, "expected_version": 1, "supplier": "X", "expense_date": "2026-03-05", "net": "1", "currency": "USD"},
        )
        assert stale.is_error is True
        assert stale.structured_content["error"]["code"] == "stale_version"

        # "My claims" with parameters.
        drafts = await c.call_tool("expense_claims_my_claims", {"status": "Draft", "supplier": "maple street"})
        conforms(my_claims, drafts)
        page = drafts.structured_content
        assert page["total"] == 1 and page["returned"] == 1, page
        assert page["next_cursor"] is None and page["truncated"] is False
        row = rows_of(page)[0]
        assert row["id"] == claim and row["version"] == 2
        assert row["supplier"] == TRUTH["supplier"] and row["total"] == TRUTH["total"] and row["status"] == "Draft"
        assert row["expense_date"] and row["currency"] == TRUTH["currency"]

        everything = (await c.call_tool("expense_claims_my_claims", {"status": "Draft"})).structured_content
        assert everything["total"] == 2

        first = (await c.call_tool("expense_claims_my_claims", {"limit": 1})).structured_content
        assert first["returned"] == 1 and first["total"] == 2 and isinstance(first["next_cursor"], str)
        second = (await c.call_tool("expense_claims_my_claims", {"limit": 1, "cursor": first["next_cursor"]})).structured_content
        assert second["returned"] == 1 and second["next_cursor"] is None
        assert {rows_of(first)[0]["id"], rows_of(second)[0]["id"]} == {claim, other.structured_content["record_id"]}

        none = (await c.call_tool("expense_claims_my_claims", {"status": "Submitted"})).structured_content
        assert none["total"] == 0 and none["rows"] == []

        # An out-of-range parameter is a tool error too.
        bad_status = await c.call_tool("expense_claims_my_claims", {"status": "Pending"})
        assert bad_status.is_error is True

        # An unknown tool is a protocol error, which the SDK raises.
        with pytest.raises(MCPError):
            await c.call_tool("expense_claims_approve", {"record_id": claim})

    # The change shows in the record's history as made through MCP.
    alice = formwork_server.sign_in("alice")
    page = alice.get(f"/apps/expense_claims/records/{claim}")
    assert page.status_code == 200
    assert "Changed via MCP" in page.text


async def test_an_employee_token_never_sees_another_employees_claims(formwork_server: FormworkServer):
    async with mcp_client(formwork_server, formwork_server.token("alice")) as alice:
        mine = await alice.call_tool("expense_claims_new_claim", {"purpose": "Alice's hotel", "category": "Lodging"})
        alice_claim = mine.structured_content["record_id"]
    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        await bob.call_tool("expense_claims_new_claim", {"purpose": "Bob's lunch", "category": "Meals"})
        rows = rows_of((await bob.call_tool("expense_claims_my_claims", {})).structured_content)
        assert [r["purpose"] for r in rows] == ["Bob's lunch"]
        assert all(r["id"] != alice_claim for r in rows)
        for tool, args in [
            ("expense_claims_read_receipt", {"record_id": alice_claim}),
            (
                "expense_claims_fill_receipt_fields",
                {"record_id": alice_claim, "supplier": "x", "expense_date": "2026-01-01", "net": "1", "currency": "EUR"},
            ),
            ("expense_claims_submit", {"record_id": alice_claim}),
        ]:
            r = await bob.call_tool(tool, args)
            assert r.is_error is True, (tool, r)
            assert r.structured_content["error"]["code"] == "not_found", (tool, r.structured_content)
            assert "Alice" not in str(r.content)
    async with mcp_client(formwork_server, formwork_server.token("alice")) as alice:
        rows = rows_of((await alice.call_tool("expense_claims_my_claims", {})).structured_content)
        assert [(r["id"], r["version"]) for r in rows] == [(alice_claim, 1)], "bob changed nothing"


def leaves(e: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(e, BaseExceptionGroup):
        return [leaf for sub in e.exceptions for leaf in leaves(sub)]
    return [e]


async def test_a_bad_token_is_refused_before_the_handshake(formwork_server: FormworkServer):
    with pytest.raises(BaseException) as failure:
        async with mcp_client(formwork_server, "fwp_not-a-token", mode="legacy") as c:
            await c.list_tools()
    assert any(isinstance(leaf, MCPError) for leaf in leaves(failure.value)), failure.value
    # What the SDK saw: 401 with a challenge pointing at the resource metadata (RFC 9728).
    r = formwork_server.client().post(
        "/mcp",
        headers={"Authorization": "Bearer fwp_not-a-token", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert r.status_code == 401
    assert 'resource_metadata="' in r.headers["www-authenticate"]
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


async def test_the_summary_tool_totals_a_view_in_one_call(formwork_server: FormworkServer):
    """`expense_claims_my_claims_summary`: sums per category and currency, counted over exactly the
    caller's records, conforming to its output schema."""
    amounts = [("Travel", "12.40", "EUR"), ("Travel", "7.60", "EUR"), ("Meals", "3", "JPY")]
    async with mcp_client(formwork_server, formwork_server.token("alice")) as c:
        for i, (category, net, currency) in enumerate(amounts):
            made = await c.call_tool("expense_claims_new_claim", {"purpose": f"sum {i}", "category": category})
            claim = made.structured_content["record_id"]
            filled = await c.call_tool(
                "expense_claims_fill_receipt_fields",
                {"record_id": claim, "expected_version": 1, "supplier": "Shop", "expense_date": "2026-05-0%d" % (i + 1), "net": net, "tax": "0", "currency": currency},
            )
            assert filled.is_error is False, filled.structured_content
        tools = {t.name: t for t in (await c.list_tools()).tools}
        tool = tools["expense_claims_my_claims_summary"]
        assert "instead of paging" in tool.description
        result = await c.call_tool("expense_claims_my_claims_summary", {"summary": "by_category"})
        conforms(tool, result)
        assert result.structured_content["columns"] == ["Category", "Currency", "records", "Sum of Total"]
        groups = {(g[0], g[1]): {"count": g[2], "value": g[3]} for g in result.structured_content["groups"]}
        expected: dict[tuple[str, str], Decimal] = {}
        for category, net, currency in amounts:
            expected[(category, currency)] = expected.get((category, currency), Decimal(0)) + Decimal(net)
        mine = {k: v for k, v in groups.items() if k in expected}
        assert {k: Decimal(v["value"]) for k, v in mine.items()} == expected
        assert groups[("Travel", "EUR")]["count"] == 2
    async with mcp_client(formwork_server, formwork_server.token("bob")) as bob:
        theirs = await bob.call_tool("expense_claims_my_claims_summary", {"summary": "by_category"})
        assert all(g[1] != "JPY" for g in theirs.structured_content["groups"]), "alice's claims are not bob's"
