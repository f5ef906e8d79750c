"""The approval workflow end to end, with a real SMTP server process (aiosmtpd) and the official
Python MCP SDK: Bob files a claim over the limit through MCP, his own manager is emailed and
approves on the web, finance is emailed and approves, Bob is emailed; a rejected claim goes back to
Bob, who fixes it through MCP and submits it again."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, RECEIPTS, FormworkServer, WebSession, rows_of, start_formwork
from test_mcp_sdk import mcp_client
from test_notifications import FROM, SmtpServer, body_text, free_port, run_op, wait_for

pytestmark = pytest.mark.anyio

RECEIPT = RECEIPTS / "07_office_vancouver.jpg"


def receipt_arg() -> dict[str, str]:
    return {"filename": RECEIPT.name, "content_base64": base64.b64encode(RECEIPT.read_bytes()).decode()}


def subjects_to(smtp: SmtpServer, address: str) -> list[str]:
    return [m["Subject"] for m in smtp.messages() if m["X-Rcpt-To"] == address]


async def file_claim(server: FormworkServer, token: str, purpose: str, net: str, currency: str) -> int:
    """Bob's claim, created, filled and submitted through MCP tools; its id."""
    async with mcp_client(server, token) as c:
        created = await c.call_tool(
            "expense_claims_new_claim", {"purpose": purpose, "category": "Training", "receipt": receipt_arg()}
        )
        assert created.is_error is False, created
        claim = created.structured_content["record_id"]
        filled = await c.call_tool(
            "expense_claims_fill_receipt_fields",
            {"record_id": claim, "supplier": "Pacific Training Ltd", "expense_date": "2026-02-03", "net": net, "tax": "0", "currency": currency},
        )
        assert filled.is_error is False, filled
        submitted = await c.call_tool("expense_claims_submit", {"record_id": claim})
        assert submitted.is_error is False, submitted
        return claim


def version_of(s: WebSession, claim: int) -> int:
    page = s.get(f"/apps/expense_claims/records/{claim}").text
    return int(page.split("Version ", 1)[1].split("<", 1)[0])


async def test_a_large_claim_goes_to_the_manager_then_finance_and_everyone_is_told(tmp_path: Path):
    smtp = SmtpServer(free_port(), tmp_path / "mail")
    smtp.start()
    try:
        serve_args = ["--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--mail-from", FROM]
        with start_formwork(serve_args) as server:
            server.cli(["user", "add", "--username", "fiona", "--role", "finance", "--role", "employee"], stdin=f"{PASSWORD}\n")
            for user in ("bob", "maria", "alice", "fiona"):
                server.cli(["user", "set-email", user, f"{user}@example.com"])
            bob_token = server.token("bob")

            # 1,500 USD on 2026-02-03 (rate of 2026-01-02: 1.172 per EUR) is 1,279.86 EUR: over 1,000.
            claim = await file_claim(server, bob_token, "Cloud architecture course", "1500", "USD")
            wait_for(lambda: subjects_to(smtp, "maria@example.com"), what="the manager's email")
            assert subjects_to(smtp, "maria@example.com") == ["Submit: Cloud architecture course"]
            # Only Bob's own manager is told, not every manager.
            assert subjects_to(smtp, "alice@example.com") == []

            maria = server.sign_in("maria")
            queue = maria.get("/apps/expense_claims/views/claims_to_approve").text
            assert "Cloud architecture course" in queue
            page = maria.get(f"/apps/expense_claims/records/{claim}").text
            assert "1,279.86" in page or "1279.86" in page, page
            assert "Approve and send to finance" in page
            assert "is not available" in page
            run_op(maria, "approve_over_limit", (claim, version_of(maria, claim)), {"manager_comment": "Worth it"})

            wait_for(lambda: subjects_to(smtp, "fiona@example.com"), what="finance's email")
            assert subjects_to(smtp, "fiona@example.com") == ["Approve and send to finance: Cloud architecture course"]
            fiona = server.sign_in("fiona")
            assert "Cloud architecture course" in fiona.get("/apps/expense_claims/views/finance_review").text
            run_op(fiona, "finance_approve", (claim, version_of(fiona, claim)), {})

            wait_for(lambda: len(subjects_to(smtp, "bob@example.com")) >= 2, what="Bob's emails")
            time.sleep(1)
            # The sink's files carry no order: compare what arrived, not in which order.
            assert sorted(subjects_to(smtp, "bob@example.com")) == [
                "Approve (finance): Cloud architecture course",
                "Approve and send to finance: Cloud architecture course",
            ]
            approved = [m for m in smtp.messages() if m["Subject"] == "Approve (finance): Cloud architecture course"][0]
            plain, html = body_text(approved)
            link = f"{server.base_url}/apps/expense_claims/records/{claim}"
            assert link in plain and f'href="{link}"' in html

            # Over MCP Bob reads where it ended.
            async with mcp_client(server, bob_token) as c:
                mine = await c.call_tool("expense_claims_my_claims", {"status": "Approved"})
                assert [r["id"] for r in rows_of(mine.structured_content)] == [claim]
    finally:
        smtp.stop()


async def test_a_rejected_claim_is_fixed_and_submitted_again_through_mcp(tmp_path: Path):
    smtp = SmtpServer(free_port(), tmp_path / "mail")
    smtp.start()
    try:
        serve_args = ["--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--mail-from", FROM]
        with start_formwork(serve_args) as server:
            for user in ("bob", "maria"):
                server.cli(["user", "set-email", user, f"{user}@example.com"])
            bob_token = server.token("bob")
            claim = await file_claim(server, bob_token, "Team lunch", "90", "EUR")
            maria = server.sign_in("maria")
            run_op(maria, "reject", (claim, version_of(maria, claim)), {"manager_comment": "Net should be 80; the tip is not refundable"})
            wait_for(lambda: subjects_to(smtp, "bob@example.com"), what="Bob's rejection email")
            assert subjects_to(smtp, "bob@example.com") == ["Reject: Team lunch"]

            async with mcp_client(server, bob_token) as c:
                tools = {t.name for t in (await c.list_tools()).tools}
                rejected = await c.call_tool("expense_claims_my_claims", {"status": "Rejected"})
                row = rows_of(rejected.structured_content)[0]
                assert row["id"] == claim
                fixed = await c.call_tool(
                    "expense_claims_fill_receipt_fields",
                    {"record_id": claim, "expected_version": row["version"], "supplier": "Pacific Training Ltd", "expense_date": "2026-02-03", "net": "80", "tax": "0", "currency": "EUR"},
                )
                assert fixed.is_error is False, fixed
                again = await c.call_tool("expense_claims_submit", {"record_id": claim})
                assert again.is_error is False, again
                assert "expense_claims_approve" not in tools
            wait_for(lambda: len(subjects_to(smtp, "maria@example.com")) >= 2, what="the second submit email")
            assert subjects_to(smtp, "maria@example.com") == ["Submit: Team lunch", "Submit: Team lunch"]
            page = maria.get(f"/apps/expense_claims/records/{claim}").text
            assert "Submitted" in page and "80.00" in page
    finally:
        smtp.stop()
