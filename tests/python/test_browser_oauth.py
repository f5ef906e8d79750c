"""An MCP client's OAuth sign-in through a real browser (Debian's Chromium, driven by playwright-core
from tests/js/consent.mjs), the way a person connects Claude:

1. an administrator registers a generic client with the CLI (`formwork mcp-client add`), its
   redirect URI a listener this test runs on loopback, `http://127.0.0.1:PORT/callback`;
2. the test plays the client: it builds an /oauth/authorize URL with PKCE S256, `state` and
   `resource` = the MCP URL; the browser opens it, signs in as alice on Formwork's own sign-in
   page, sees the consent page naming the client and clicks Allow (or Deny);
3. Formwork redirects the browser to the listener with `code` and `state`; the test exchanges the
   code at /oauth/token (client_secret_post) and lists alice's tools on /mcp with the access token.
   With Deny (after a mistyped password, which must not lose the request), the listener gets
   `error=access_denied` and the same `state`, and nothing is issued.

Screenshots: tests/artifacts/browser/oauth-{allow,deny}-{login,login-popup,consent,consent-popup,
callback}.png and oauth-deny-login-failed.png (the popup ones at 480 px, about the size of the
window a client such as Claude opens).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from conftest import JS, FormworkServer, artifacts_dir, js_tool, node_bin

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Quotes and an ampersand: the consent page must show the name as registered, escaped once.
CLIENT_NAME = 'Acme "Expenses" & Co'
EMPLOYEE_TOOLS = {
    "expense_claims_my_claims",
    "expense_claims_new_claim",
    "expense_claims_fill_receipt_fields",
    "expense_claims_submit",
    "expense_claims_delete_draft",
    "expense_claims_read_receipt",
}


class Callback:
    """The client's redirect URI: a loopback HTTP listener that keeps the query of each request."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                url = urlsplit(self.path)
                if url.path != "/callback":
                    self.send_error(404)
                    return
                received.append({k: v[0] for k, v in parse_qs(url.query).items()})
                body = (
                    b'<!doctype html><title>Client callback</title><link rel="icon" href="data:,">'
                    b"<h1>The client got its answer</h1>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"


@contextmanager
def callback_listener() -> Iterator[Callback]:
    cb = Callback()
    thread = threading.Thread(target=cb.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield cb
    finally:
        cb.httpd.shutdown()
        cb.httpd.server_close()


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 §4.1–4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register(server: FormworkServer, redirect_uri: str) -> dict:
    info = json.loads(
        server.cli(
            ["mcp-client", "add", "--name", CLIENT_NAME, "--type", "generic", "--redirect-uri", redirect_uri,
             "--public-url", server.base_url]
        )
    )
    assert info["server_url"] == server.mcp_url and info["redirect_uris"] == [redirect_uri], info
    return info


def walk_in_chromium(server: FormworkServer, authorize_url: str, redirect_uri: str, decision: str, mistype: bool = False) -> dict:
    """Runs tests/js/consent.mjs: sign in as alice, answer the consent page; returns its summary."""
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    out_dir = artifacts_dir("browser")
    for old in out_dir.glob(f"oauth-{decision}*"):
        old.unlink()
    env = {
        **os.environ,
        "FORMWORK_URL": server.base_url,
        "AUTHORIZE_URL": authorize_url,
        "REDIRECT_URI": redirect_uri,
        "CLIENT_NAME": CLIENT_NAME,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": server.password,
        "DECISION": decision,
        "MISTYPE_PASSWORD_FIRST": "1" if mistype else "",
        "ARTIFACTS": str(out_dir),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "consent.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, f"OAuth walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(summary, indent=1))
    for label in ("login", "login-popup", *(["login-failed"] if mistype else []), "consent", "consent-popup", "callback"):
        p = out_dir / f"oauth-{decision}-{label}.png"
        assert p.is_file() and p.stat().st_size > 2_000, f"{p} missing or blank"
    return summary


def authorize_url(server: FormworkServer, client_id: str, redirect_uri: str, challenge: str, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "scope": "mcp",
            "resource": server.mcp_url,
        }
    )
    return server.url(f"/oauth/authorize?{query}")


def tools_list(server: FormworkServer, access_token: str) -> httpx.Response:
    return httpx.post(
        server.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={
            "Authorization": f"Bearer {access_token}",
            "Accept": "application/json, text/event-stream",
            "Mcp-Protocol-Version": "2025-11-25",
        },
        timeout=30,
    )


def connected_users(server: FormworkServer) -> list[str]:
    """The "Connected users" of the only registered client, from its admin page."""
    admin = server.sign_in("admin")
    ids = set(re.findall(r'href="/admin/integration/mcp/clients/(\d+)"', admin.get("/admin/integration/mcp").text))
    assert len(ids) == 1, ids
    page = admin.get(f"/admin/integration/mcp/clients/{ids.pop()}")
    assert page.status_code == 200, page.status_code
    section = page.text.split("<h2>Connected users</h2>", 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr><td>([^<]+)</td>", section)


def test_alice_allows_a_client_in_chromium_and_it_lists_her_tools(formwork_server: FormworkServer):
    server = formwork_server
    with callback_listener() as callback:
        info = register(server, callback.url)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        summary = walk_in_chromium(server, authorize_url(server, info["client_id"], callback.url, challenge, state), callback.url, "allow")

        # The browser landed on the client's redirect URI, and the listener got the same answer.
        assert len(callback.received) == 1, callback.received
        answer = callback.received[0]
        assert {k: v[0] for k, v in parse_qs(urlsplit(summary["landed"]).query).items()} == answer
        assert answer["state"] == state
        assert answer["iss"] == server.base_url  # RFC 9207
        assert answer["code"].startswith("fwo_") and "error" not in answer, answer

    # The client exchanges the code (client_secret_post) with its PKCE verifier.
    token = httpx.post(
        server.url("/oauth/token"),
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": callback.url,
            "code_verifier": verifier,
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "resource": server.mcp_url,
        },
        timeout=30,
    )
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    tokens = token.json()
    assert tokens["token_type"].lower() == "bearer" and tokens["scope"] == "mcp", tokens
    assert tokens["expires_in"] == 3600 and tokens["refresh_token"], tokens

    # With the access token, /mcp lists alice's tools — an employee's, not a manager's.
    r = tools_list(server, tokens["access_token"])
    assert r.status_code == 200, r.text
    body = r.json() if r.headers["content-type"].startswith("application/json") else json.loads(
        next(line[5:] for line in r.text.splitlines() if line.startswith("data:"))
    )
    tools = {t["name"] for t in body["result"]["tools"]}
    assert EMPLOYEE_TOOLS <= tools, sorted(tools)
    assert "expense_claims_claims_to_approve" not in tools

    # The administrator sees alice connected through the client.
    assert connected_users(server) == ["alice"]

    # The code works once; presenting it again revokes what it issued (README: reused codes).
    again = httpx.post(
        server.url("/oauth/token"),
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": callback.url,
            "code_verifier": verifier,
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
        },
        timeout=30,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text
    assert tools_list(server, tokens["access_token"]).status_code == 401
    assert connected_users(server) == []


def test_alice_denies_a_client_in_chromium_and_it_gets_access_denied(formwork_server: FormworkServer):
    server = formwork_server
    with callback_listener() as callback:
        info = register(server, callback.url)
        _, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        summary = walk_in_chromium(server, authorize_url(server, info["client_id"], callback.url, challenge, state), callback.url, "deny", mistype=True)
        assert len(callback.received) == 1, callback.received
        answer = callback.received[0]
    assert {k: v[0] for k, v in parse_qs(urlsplit(summary["landed"]).query).items()} == answer
    assert answer["error"] == "access_denied", answer
    assert answer["state"] == state and answer["iss"] == server.base_url
    assert "code" not in answer, answer
    assert answer.get("error_description"), answer

    # Nothing was issued: nobody is connected through the client.
    assert connected_users(server) == []
