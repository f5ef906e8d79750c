"""Forgot password with email configured, through a real SMTP server process (aiosmtpd): the
reset email reaches the account's address with a link; the link sets a new password once, ends
the account's sessions, and stops working when used or expired. Unknown names get the same answer
and no email."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from conftest import PASSWORD, _psql, csrf_of, start_formwork
from test_notifications import FROM, SmtpServer, body_text, free_port, wait_for

NEW_PASSWORD = "a-brand-new-password-7"


def ask_for_link(server, who: str) -> str:
    c = server.client()
    page = c.get("/login/forgot")
    assert page.status_code == 200 and "Email me a link" in page.text, page.text[:500]
    r = c.post("/login/forgot", data={"csrf": csrf_of(page.text), "who": who})
    assert r.status_code == 200, f"{r.status_code} {r.text[:500]}"
    return r.text


def reset_link(message) -> str:
    plain, html = body_text(message)
    links = re.findall(r"https?://\S+/login/reset/fwr_[A-Za-z0-9_-]+", plain)
    assert len(links) == 1, plain
    assert f'href="{links[0]}"' in html
    return links[0]


def expire_reset_links(server) -> None:
    """Moves every reset link's expiry back to its creation (the 30 minutes are over)."""
    sql = "UPDATE tokens SET expires_at = created_at WHERE kind = 'reset'"
    if server.db.is_postgres:
        _psql(server.database_url, sql)
    else:
        with sqlite3.connect(Path(server.data_dir) / "formwork.db") as db:
            db.execute(sql)


def test_a_reset_link_arrives_by_email_works_once_and_expires(tmp_path: Path):
    smtp = SmtpServer(free_port(), tmp_path / "mail")
    smtp.start()
    try:
        serve_args = ["--smtp-url", f"smtp://127.0.0.1:{smtp.port}", "--mail-from", FROM]
        with start_formwork(serve_args, mcp=False) as server:
            server.cli(["user", "set-email", "alice", "alice@example.com"])
            signed_in = server.sign_in("alice")

            # An unknown name: the same answer, no email.
            unknown = ask_for_link(server, "nobody@example.com")
            assert "a link to choose a new password is on its way" in unknown
            time.sleep(1.5)
            assert smtp.messages() == []

            answer = ask_for_link(server, "alice@example.com")
            assert answer.replace("alice@example.com", "X") == unknown.replace("nobody@example.com", "X")
            msgs = wait_for(lambda: smtp.messages(), what="the reset email")
            assert len(msgs) == 1
            m = msgs[0]
            assert m["X-Rcpt-To"] == "alice@example.com"
            assert m["Subject"] == "Reset your Formwork password"
            link = reset_link(m)
            assert link.startswith(server.base_url)
            path = link.removeprefix(server.base_url)

            browser = server.client()
            form = browser.get(path)
            assert form.status_code == 200, form.text[:500]
            assert "alice" in form.text
            csrf = csrf_of(form.text)
            # A refused password leaves the link usable.
            r = browser.post(path, data={"csrf": csrf, "new": "short", "repeat": "short"})
            assert r.status_code == 400
            csrf = csrf_of(r.text)
            r = browser.post(path, data={"csrf": csrf, "new": NEW_PASSWORD, "repeat": "different-password-1"})
            assert r.status_code == 400
            assert "differ" in r.text
            csrf = csrf_of(r.text)
            r = browser.post(path, data={"csrf": csrf, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
            assert r.status_code == 303, r.text[:500]
            assert r.headers["location"] == "/login?done=reset"
            assert "Your new password is set" in browser.get("/login?done=reset").text

            # Every session of the account ended; the new password works, the old one does not.
            assert signed_in.get("/profile").status_code == 303
            server.sign_in("alice", NEW_PASSWORD)
            c = server.client()
            login = c.get("/login")
            r = c.post(
                "/login",
                data={"username": "alice", "password": PASSWORD, "csrf": csrf_of(login.text), "next": "/"},
            )
            assert r.status_code == 401

            # Used once: the link is gone.
            again = server.client().get(path)
            assert again.status_code == 410
            assert "invalid, already used or expired" in again.text

            # A new link that waits past its 30 minutes does not work either.
            ask_for_link(server, "alice")
            msgs = wait_for(lambda: len(smtp.messages()) >= 2 and smtp.messages(), what="the second email")
            second = [reset_link(x) for x in msgs if reset_link(x) != link]
            assert len(second) == 1
            expire_reset_links(server)
            late = server.client()
            r = late.get(second[0].removeprefix(server.base_url))
            assert r.status_code == 410
            server.sign_in("alice", NEW_PASSWORD)
    finally:
        smtp.stop()
