"""Over-size receipts through the official Python MCP SDK: a client gets a tool result it can
show, in the web's words ("the receipt is 2.0 MB; the largest accepted is 1 MB", code
`too_large`), whether the tool call sees the file or the request body is over /mcp's HTTP limit;
and nothing is stored either way."""

from __future__ import annotations

import base64
import sqlite3

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import FormworkServer

pytestmark = pytest.mark.anyio


def b64(n: int) -> str:
    return base64.b64encode(bytes(n)).decode()


@pytest.mark.formwork(serve_args=("--max-upload-bytes", "1000000"))
async def test_over_size_receipts_get_the_size_tool_error_through_the_sdk(formwork_server: FormworkServer):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {formwork_server.token('alice')}"}, timeout=60)
    async with http, Client(streamable_http_client(formwork_server.mcp_url, http_client=http)) as c:
        cases = [
            # Inside the HTTP limit (1.3 MB of base64 for a 1 MB limit): the tool refuses it.
            (1_030_000, "the receipt is 1.0 MB; the largest accepted is 1 MB"),
            # Over the HTTP limit (about 2.7 MB of JSON): refused by the body's size.
            (2_000_000, "the receipt is 2.0 MB; the largest accepted is 1 MB"),
        ]
        for size, words in cases:
            r = await c.call_tool(
                "expense_claims_new_claim",
                {"purpose": "Big", "receipt": {"filename": "big.png", "content_base64": b64(size)}},
            )
            assert r.is_error is True, r
            assert r.content[0].text.startswith(words), r.content[0].text
            assert r.structured_content["error"]["code"] == "too_large", r.structured_content
        # The session is still usable after a refused body.
        ok = await c.call_tool("expense_claims_my_claims", {"limit": 1})
        assert ok.is_error is False, ok
    out = formwork_server.cli(["blobs", "gc", "--min-age-secs", "0", "--dry-run"])
    assert "would remove 0 unreferenced" in out, out
