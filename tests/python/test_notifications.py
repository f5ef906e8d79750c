"""Notification emails through a real SMTP server process (aiosmtpd): the right recipient, the
subject and the record link; and, with the SMTP server down for a while, delivery exactly once."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import RECEIPTS, FormworkServer, WebSession, start_formwork

HERE = Path(__file__).resolve().parent
FROM = "Formwork <forms@example.com>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """`python -m aiosmtpd` on a fixed port, keeping messages as files in `dir`."""

    def __init__(self, port: int, dir: Path):
        self.port, self.dir = port, dir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, SMTP_SINK_DIR=str(self.dir), PYTHONPATH=str(HERE))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", "-c", "smtp_sink.Sink"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"aiosmtpd exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
                time.sleep(0.1)
        raise RuntimeError("aiosmtpd did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def messages(self) -> list[EmailMessage]:
        out = []
        for f in sorted(self.dir.glob("*.eml")):
            out.append(email.message_from_bytes(f.read_bytes(), policy=email.policy.default))
        return out


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def run_op(s: WebSession, op: str, record: tuple[int, int] | None, fields: dict[str, str], file=None) -> int | None:
    """Runs an operation form; returns the record id it redirects to (None for a list page)."""
    data = {"csrf": s.csrf, **fields}
    if record:
        data["_record"], data["_version"] = str(record[0]), str(record[1])
    files = {file[0]: (file[1], file[2])} if file else {"_none": ("", b"")}
    r = s.post(f"/apps/expense_claims/ops/{op}", data=data, files=files)
    assert r.status_code == 303, f"{op}: {r.status_code} {r.text[:500]}"
    last = r.headers["location"].split("?")[0].rsplit("/", 1)[1]
    return int(last) if last.isdigit() else None


def submitted_claim(alice: WebSession, purpose: str) -> int:
    rid = run_op(alice, "new_claim", None, {"purpose": purpose, "category": "Travel"})
    assert rid is not None
    receipt = RECEIPTS / "03_taxi_london.jpg"
    run_op(alice, "upload_receipt", (rid, 1), {}, ("receipt", receipt.name, receipt.read_bytes()))
    run_op(
        alice,
        "fill_receipt_fields",
        (rid, 2),
        {"supplier": "Addison Lee", "expense_date": "2026-03-02", "net": "40", "tax": "8", "currency": "GBP"},
    )
    run_op(alice, "submit", (rid, 3), {})
    return rid


def body_text(m: EmailMessage) -> tuple[str, str]:
    plain = m.get_body(preferencelist=("plain",))
    html = m.get_body(preferencelist=("html",))
    assert plain is not None and html is not None, "a multipart/alternative with plain text and HTML"
    return plain.get_content(), html.get_content()


def test_a_submit_emails_the_manager_once_even_when_the_mail_server_was_down(tmp_path: Path):
    smtp = SmtpServer(free_port(), tmp_path / "mail")
    smtp.start()
    try:
        serve_args = ["--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--mail-from", FROM]
        with start_formwork(serve_args, mcp=False) as server:
            server.cli(["user", "set-email", "maria", "maria@example.com"])
            server.cli(["user", "set-email", "alice", "alice@example.com"])
            alice = server.sign_in("alice")
            maria = server.sign_in("maria")

            rid = submitted_claim(alice, "Taxi to Heathrow")
            msgs = wait_for(lambda: smtp.messages(), what="the submit email")
            time.sleep(1.5)  # nothing else arrives
            msgs = smtp.messages()
            assert len(msgs) == 1, [m["Subject"] for m in msgs]
            m = msgs[0]
            assert m["X-Rcpt-To"] == "maria@example.com"
            assert m["To"] == "maria@example.com"
            assert m["Subject"] == "Submit: Taxi to Heathrow"
            link = f"{server.base_url}/apps/expense_claims/records/{rid}"
            plain, html = body_text(m)
            assert link in plain and f'href="{link}"' in html
            assert "alice" in plain and "Submit" in plain

            # The mail server goes away; maria approves; the email waits in the outbox.
            smtp.stop()
            run_op(maria, "approve", (rid, 4), {"manager_comment": "Fine"})
            admin = server.sign_in("admin")
            wait_for(
                lambda: "alice@example.com" in admin.get("/admin/outbox?status=queued").text,
                what="the approval email queued",
            )
            time.sleep(3)  # a few failed attempts with backoff
            outbox = admin.get("/admin/outbox?status=queued").text
            assert "Approve: Taxi to Heathrow" in outbox

            # It comes back: the email is delivered, exactly once.
            smtp.start()
            wait_for(lambda: len(smtp.messages()) >= 2, timeout=60, what="the approval email after the restart")
            time.sleep(3)
            msgs = smtp.messages()
            approvals = [m for m in msgs if m["Subject"] == "Approve: Taxi to Heathrow"]
            assert len(approvals) == 1, [m["Subject"] for m in msgs]
            assert approvals[0]["X-Rcpt-To"] == "alice@example.com"
            assert len(msgs) == 2
            sent = admin.get("/admin/outbox?status=sent").text
            assert "Approve: Taxi to Heathrow" in sent and "Submit: Taxi to Heathrow" in sent
    finally:
        smtp.stop()


def test_an_email_queued_before_a_restart_is_sent_once_after_it(tmp_path: Path):
    smtp = SmtpServer(free_port(), tmp_path / "mail")
    serve_args = ["--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--mail-from", FROM]
    try:
        with start_formwork(serve_args, mcp=False) as server:
            server.cli(["user", "set-email", "maria", "maria@example.com"])
            alice = server.sign_in("alice")
            # No mail server yet: the submit's email waits in the outbox.
            rid = submitted_claim(alice, "Hotel in Leeds")
            time.sleep(1.5)
            server.stop()
            smtp.start()
            time.sleep(1)
            assert smtp.messages() == [], "nothing is sent while Formwork is down"
            server.start(serve_args)
            wait_for(lambda: smtp.messages(), timeout=60, what="the email after the restart")
            time.sleep(3)
            msgs = smtp.messages()
            assert [m["Subject"] for m in msgs] == ["Submit: Hotel in Leeds"]
            assert msgs[0]["X-Rcpt-To"] == "maria@example.com"
            plain, _ = body_text(msgs[0])
            assert f"{server.base_url}/apps/expense_claims/records/{rid}" in plain
    finally:
        smtp.stop()
