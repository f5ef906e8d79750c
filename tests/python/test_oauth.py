"""The official Python MCP SDK's `OAuthClientProvider` against Formwork's OAuth 2.1 authorization
server, headlessly, the whole way a connector such as Claude's goes:

1. the first request to /mcp is answered 401 with `WWW-Authenticate: Bearer resource_metadata=…`;
   the SDK discovers the protected resource metadata (RFC 9728; it checks that `resource` is the
   MCP URL) and the authorization server metadata (RFC 8414; it checks the issuer);
2. it sends the user to /oauth/authorize with PKCE S256, `state` and `resource`: the
   `redirect_handler` below gets that URL and acts as the browser — it signs in on Formwork's own
   login page and allows on the consent page — and reads `code`, `state` and `iss` from the
   redirect's Location, which `callback_handler` returns (the SDK checks `state` and `iss`);
3. it exchanges the code at /oauth/token with the client id and secret registered by the CLI
   (`formwork mcp-client add`), which the token storage returns, so no dynamic registration;
4. it lists and calls tools as the user, and refreshes when the access token expires (rotation:
   the old refresh token is then refused, and presenting it again revokes the family).
"""

from __future__ import annotations

import json
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from conftest import PASSWORD, FormworkServer, rows_of

pytestmark = pytest.mark.anyio

# Registered as a loopback URI without a port; the client uses a port of its own (RFC 8252 §7.3).
REGISTERED_REDIRECT = "http://127.0.0.1/callback"
CLIENT_REDIRECT = "http://127.0.0.1:47321/callback"


class MemoryStorage(TokenStorage):
    """Token storage holding the pre-registered client's information."""

    def __init__(self, client_info: OAuthClientInformationFull):
        self.client_info = client_info
        self.tokens: OAuthToken | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        raise AssertionError("the client is pre-registered: the SDK must not register it again")


def hidden_fields(html: str) -> list[tuple[str, str]]:
    """The hidden inputs of a page, in order (what a browser would post)."""
    out = []
    for chunk in html.split('<input type="hidden" name="')[1:]:
        name, rest = chunk.split('"', 1)
        value = rest.split('value="', 1)[1].split('"', 1)[0]
        out.append((name, unescape(value)))
    return out


class Browser:
    """Plays the person at the browser: signs in as `user` and answers the consent page."""

    def __init__(self, server: FormworkServer, user: str, decision: str = "allow"):
        self.server, self.user, self.decision = server, user, decision
        self.authorize_urls: list[str] = []
        self.result: AuthorizationCodeResult | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorize_urls.append(authorization_url)
        async with httpx.AsyncClient(follow_redirects=False, timeout=30) as web:
            r = await web.get(authorization_url)
            assert r.status_code == 303, f"authorize: {r.status_code} {r.text[:300]}"
            login_path = r.headers["location"]
            assert login_path.startswith("/login?next="), login_path
            page = await web.get(self.server.url(login_path))
            form = hidden_fields(page.text) + [("username", self.user), ("password", PASSWORD)]
            r = await web.post(self.server.url("/login"), data=dict(form))
            assert r.status_code == 303, f"sign-in: {r.status_code}"
            back = r.headers["location"]
            assert back.startswith("/oauth/authorize?"), back
            consent = await web.get(self.server.url(back))
            assert consent.status_code == 200 and "Allow" in consent.text, consent.text[:500]
            fields = dict(hidden_fields(consent.text))  # the sign-out form's csrf equals the consent form's
            fields["decision"] = self.decision
            r = await web.post(self.server.url("/oauth/authorize"), data=fields)
            assert r.status_code == 303, f"consent: {r.status_code} {r.text[:300]}"
            location = r.headers["location"]
        assert location.startswith(CLIENT_REDIRECT + "?"), location
        q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        self.result = AuthorizationCodeResult(code=q.get("code", ""), state=q.get("state"), iss=q.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.result is not None, "the redirect handler ran first"
        return self.result


def register(server: FormworkServer, name: str) -> dict:
    """`formwork mcp-client add` as an administrator's script would run it."""
    out = server.cli(
        ["mcp-client", "add", "--name", name, "--type", "generic", "--redirect-uri", REGISTERED_REDIRECT,
         "--public-url", server.base_url]
    )
    info = json.loads(out)
    assert info["server_url"] == server.mcp_url
    return info


def provider(server: FormworkServer, info: dict, browser: Browser, auth_method: str) -> tuple[OAuthClientProvider, MemoryStorage]:
    storage = MemoryStorage(
        OAuthClientInformationFull(
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            redirect_uris=[CLIENT_REDIRECT],
            token_endpoint_auth_method=auth_method,
            grant_types=["authorization_code", "refresh_token"],
        )
    )
    metadata = OAuthClientMetadata(
        client_name="Formwork SDK test",
        redirect_uris=[CLIENT_REDIRECT],
        token_endpoint_auth_method=auth_method,
        grant_types=["authorization_code", "refresh_token"],
    )
    auth = OAuthClientProvider(
        server_url=server.mcp_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    return auth, storage


@pytest.mark.parametrize("auth_method", ["client_secret_post", "client_secret_basic"])
async def test_the_sdk_connects_with_oauth_lists_and_calls_tools_and_refreshes(formwork_server: FormworkServer, auth_method: str):
    server = formwork_server
    info = register(server, "SDK client")
    browser = Browser(server, "alice")
    auth, storage = provider(server, info, browser, auth_method)
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http), mode="legacy") as c:
            tools = {t.name for t in (await c.list_tools()).tools}
            assert "expense_claims_my_claims" in tools and "expense_claims_claims_to_approve" not in tools
            created = await c.call_tool("expense_claims_new_claim", {"purpose": "Train to Lyon", "category": "Travel"})
            assert created.is_error is False, created
            claim = created.structured_content["record_id"]

            # The browser was sent to our authorize endpoint with PKCE S256 and the MCP URL as resource.
            assert len(browser.authorize_urls) == 1
            sent = {k: v[0] for k, v in parse_qs(urlsplit(browser.authorize_urls[0]).query).items()}
            assert browser.authorize_urls[0].startswith(server.url("/oauth/authorize?"))
            assert sent["code_challenge_method"] == "S256" and sent["resource"] == server.mcp_url
            assert sent["client_id"] == info["client_id"] and sent["redirect_uri"] == CLIENT_REDIRECT
            first = storage.tokens
            assert first is not None and first.refresh_token and first.scope == "mcp"

            # The access token runs out: the SDK refreshes before the next call.
            auth.context.token_expiry_time = time.time() - 1
            mine = await c.call_tool("expense_claims_my_claims", {})
            assert mine.is_error is False, mine
            assert [r["purpose"] for r in rows_of(mine.structured_content)] == ["Train to Lyon"]
            assert storage.tokens.refresh_token != first.refresh_token, "refresh tokens rotate"
            assert storage.tokens.access_token != first.access_token
            assert len(browser.authorize_urls) == 1, "no second sign-in"

    # History names the client.
    page = server.sign_in("alice").get(f"/apps/expense_claims/records/{claim}").text
    assert "via MCP · SDK client" in page

    # The spent refresh token is refused, and presenting it revoked the current tokens too.
    with httpx.Client(timeout=30) as plain:
        r = plain.post(
            server.url("/oauth/token"),
            data={"grant_type": "refresh_token", "refresh_token": first.refresh_token},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
        assert r.headers["cache-control"] == "no-store"
        r = plain.post(
            server.mcp_url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {storage.tokens.access_token}", "Accept": "application/json, text/event-stream"},
        )
        assert r.status_code == 401, r.text


async def test_the_sdk_reports_a_denied_consent_and_a_wrong_secret(formwork_server: FormworkServer):
    server = formwork_server
    info = register(server, "Denied client")
    browser = Browser(server, "bob", decision="deny")
    auth, storage = provider(server, info, browser, "client_secret_post")
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        with pytest.raises(Exception):
            async with Client(streamable_http_client(server.mcp_url, http_client=http), mode="legacy") as c:
                await c.list_tools()
    assert browser.result is not None and browser.result.code == "", "denied: no code"
    assert storage.tokens is None

    info["client_secret"] = "fwcs_wrong"
    browser = Browser(server, "bob")
    auth, storage = provider(server, info, browser, "client_secret_basic")
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        with pytest.raises(Exception) as failed:
            async with Client(streamable_http_client(server.mcp_url, http_client=http), mode="legacy") as c:
                await c.list_tools()
    assert "invalid_client" in repr(failed.value) or "invalid_client" in str(failed.value.__cause__), failed.value
    assert storage.tokens is None
