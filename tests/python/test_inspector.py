"""The MCP Inspector's CLI (`@modelcontextprotocol/inspector --cli`, npm) as a client of /mcp,
with the personal access token in `--header "Authorization: Bearer …"`, and with its own OAuth
(`--client-id`/`--client-secret` of a client registered by `formwork mcp-client add`): the CLI
prints the authorization URL and listens for the redirect on loopback; the test plays the person
at the browser (signs in on Formwork's page and answers the consent page with an HTTP client) and
then follows the redirect to the CLI's listener, which exchanges the code and carries on.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conftest import JS, PASSWORD, FormworkServer, artifacts_dir, js_tool, node_bin, rows_of


def inspector(server: FormworkServer, token: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    launcher = js_tool("@modelcontextprotocol/inspector/clients/launcher/build/index.js")
    home = artifacts_dir("inspector", "home")
    cmd = [str(node_bin()), str(launcher), "--cli", server.mcp_url, "--transport", "http"]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    return subprocess.run(
        [*cmd, *args],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
        # Keep its catalog and settings out of the real home directory.
        env={**os.environ, "HOME": str(home), "MCP_CATALOG_PATH": str(home / "mcp.json"), "NO_COLOR": "1"},
    )


def ok_json(run: subprocess.CompletedProcess[str]) -> dict:
    assert run.returncode == 0, f"inspector exited {run.returncode}:\n{run.stderr}\n{run.stdout[:2000]}"
    return json.loads(run.stdout)


def test_the_inspector_cli_lists_and_calls_tools(formwork_server: FormworkServer):
    token = formwork_server.token("alice", name="inspector")

    # tools/list, with --strict: schema portability problems of error severity exit 6.
    listed = inspector(formwork_server, token, "--method", "tools/list", "--strict")
    tools = {t["name"]: t for t in ok_json(listed)["tools"]}
    assert {
        "expense_claims_my_claims",
        "expense_claims_new_claim",
        "expense_claims_fill_receipt_fields",
        "expense_claims_submit",
        "expense_claims_delete_draft",
        "expense_claims_read_receipt",
    } <= set(tools), sorted(tools)
    assert "expense_claims_claims_to_approve" not in tools
    assert tools["expense_claims_my_claims"]["annotations"]["readOnlyHint"] is True
    (artifacts_dir("inspector") / "tools-list-strict.txt").write_text(listed.stderr)

    empty = ok_json(inspector(formwork_server, token, "--method", "tools/call", "--tool-name", "expense_claims_my_claims", "--tool-arg", "status=Draft"))
    assert empty["isError"] is False
    assert empty["structuredContent"]["total"] == 0 and empty["structuredContent"]["rows"] == []

    created = ok_json(
        inspector(
            formwork_server, token,
            "--method", "tools/call", "--tool-name", "expense_claims_new_claim",
            "--tool-arg", "purpose=Train to Hamburg", "category=Travel",
        )
    )
    assert created["isError"] is False, created
    claim = created["structuredContent"]["record_id"]

    drafts = ok_json(inspector(formwork_server, token, "--method", "tools/call", "--tool-name", "expense_claims_my_claims", "--tool-arg", "status=Draft"))
    sc = drafts["structuredContent"]
    assert sc["total"] == 1 and rows_of(sc)[0]["id"] == claim and rows_of(sc)[0]["purpose"] == "Train to Hamburg"
    assert sc["next_cursor"] is None and sc["truncated"] is False
    assert "Train to Hamburg" in drafts["content"][0]["text"]



def test_the_inspector_cli_shows_a_validation_error_as_a_tool_result(formwork_server: FormworkServer):
    token = formwork_server.token("alice", name="inspector")
    created = ok_json(
        inspector(formwork_server, token, "--method", "tools/call", "--tool-name", "expense_claims_new_claim", "--tool-arg", "purpose=Taxi")
    )
    run = inspector(
        formwork_server, token,
        "--method", "tools/call", "--tool-name", "expense_claims_fill_receipt_fields",
        "--tool-arg", f"record_id={created['structuredContent']['record_id']}",
        "supplier=City Taxi", "expense_date=2024-02-30", "net=50", "currency=EUR",
    )
    # The result conforms to the tool's outputSchema (no "must have required property"), and the
    # Inspector reports the tool-level error as such.
    assert "must have required property" not in run.stderr, run.stderr[-2000:]
    if run.returncode != 0:
        assert "tool_is_error" in run.stderr, run.stderr[-2000:]
        if run.stdout.strip():
            assert "expense_date" in run.stdout, run.stdout[-2000:]
    else:
        bad = ok_json(run)
        assert bad["isError"] is True, bad
        assert "expense_date" in json.dumps(bad)


def test_the_inspector_cli_is_refused_without_a_token(formwork_server: FormworkServer):
    # --stored-auth-only: no interactive OAuth attempt (there is no browser or TTY here).
    run = inspector(formwork_server, None, "--method", "tools/list", "--stored-auth-only")
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "auth_required" in out and "invalid_token" in out, out[-2000:]


# --- the Inspector's own OAuth ------------------------------------------------------------------

INSPECTOR_CLIENT = "Inspector CLI"
# Registered without a port: a loopback redirect URI matches on any port (RFC 8252 §7.3), and the
# CLI listens on a port the system picks (--callback-url with port 0).
INSPECTOR_REDIRECT = "http://127.0.0.1/oauth/callback"
NAVIGATE = "Please navigate to: "


def hidden_fields(html: str) -> list[tuple[str, str]]:
    """The hidden inputs of a page, in order (what a browser would post)."""
    out = []
    for chunk in html.split('<input type="hidden" name="')[1:]:
        name, rest = chunk.split('"', 1)
        value = rest.split('value="', 1)[1].split('"', 1)[0]
        out.append((name, unescape(value)))
    return out


def register_inspector(server: FormworkServer) -> dict:
    info = json.loads(
        server.cli(
            ["mcp-client", "add", "--name", INSPECTOR_CLIENT, "--type", "generic", "--redirect-uri", INSPECTOR_REDIRECT,
             "--public-url", server.base_url]
        )
    )
    assert info["server_url"] == server.mcp_url, info
    return info


def inspector_with_oauth(
    server: FormworkServer, info: dict, home: Path, *args: str, user: str | None = None, decision: str = "allow"
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Runs the Inspector CLI with the client's id and secret. When it asks for a sign-in (prints
    "Please navigate to: URL"), `user` signs in at that URL and answers `decision` on the consent
    page, and the redirect is followed to the CLI's listener; with `user=None` any such request
    fails the test. Returns the finished process and what the sign-in saw (empty without one).

    The CLI starts interactive OAuth only with a TTY or MCP_AUTO_OPEN_ENABLED=true; the latter also
    makes it open the URL with the `open` package (xdg-open), which runs $BROWSER: `true` here, so
    no browser starts and the test does the browsing. Tokens are kept in a file under `home`
    (MCP_INSPECTOR_SECRET_STORE=file; there is no OS keychain here), so a later run can reuse them."""
    launcher = js_tool("@modelcontextprotocol/inspector/clients/launcher/build/index.js")
    cmd = [
        str(node_bin()), str(launcher), "--cli", server.mcp_url, "--transport", "http",
        "--client-id", info["client_id"], "--client-secret", info["client_secret"],
        "--callback-url", "http://127.0.0.1:0/oauth/callback", *args,
    ]
    # No desktop: xdg-open then runs $BROWSER, and on a developer's desktop no window opens either.
    desktop = {"DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"}
    env = {
        **{k: v for k, v in os.environ.items() if k not in desktop},
        "HOME": str(home),
        "MCP_CATALOG_PATH": str(home / "mcp.json"),
        "NO_COLOR": "1",
        "MCP_AUTO_OPEN_ENABLED": "true",
        "BROWSER": "true",
        "MCP_INSPECTOR_SECRET_STORE": "file",
    }
    proc = subprocess.Popen(cmd, cwd=JS, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    stdout: list[str] = []
    lines: queue.Queue[str | None] = queue.Queue()

    def pump_err() -> None:
        assert proc.stderr
        for line in proc.stderr:
            stderr.append(line)
            lines.put(line)
        lines.put(None)

    def pump_out() -> None:
        assert proc.stdout
        stdout.append(proc.stdout.read())

    threads = [threading.Thread(target=pump_err, daemon=True), threading.Thread(target=pump_out, daemon=True)]
    for t in threads:
        t.start()
    seen: dict = {}
    try:
        while True:
            line = lines.get(timeout=60)
            if line is None:
                break  # finished without asking for a sign-in
            if line.startswith(NAVIGATE):
                assert user, f"the Inspector asked for a sign-in:\n{''.join(stderr)}"
                seen = sign_in_and_answer(server, line.removeprefix(NAVIGATE).strip(), user, decision)
                break
        proc.wait(timeout=90)
    except BaseException as e:
        proc.kill()
        proc.wait()
        what = "no output for 60 s" if isinstance(e, queue.Empty) else f"{type(e).__name__}: {e}"
        raise AssertionError(
            f"Inspector CLI OAuth run failed ({what}); its stderr:\n{''.join(stderr)}\nserver log:\n{server.log()[-2000:]}"
        ) from e
    for t in threads:
        t.join(timeout=10)
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(stdout), "".join(stderr)), seen


def sign_in_and_answer(server: FormworkServer, authorize_url: str, user: str, decision: str) -> dict:
    """The person at the browser, with a cookie-carrying HTTP client: opens the authorization URL,
    signs in on Formwork's page, answers the consent page, follows the redirect to the CLI."""
    request = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    with httpx.Client(follow_redirects=False, timeout=30) as web:
        r = web.get(authorize_url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (r.status_code, r.headers)
        page = web.get(server.url(r.headers["location"]))
        r = web.post(server.url("/login"), data=dict(hidden_fields(page.text) + [("username", user), ("password", PASSWORD)]))
        assert r.status_code == 303 and r.headers["location"].startswith("/oauth/authorize?"), (r.status_code, r.text[:300])
        consent = web.get(server.url(r.headers["location"]))
        assert consent.status_code == 200 and f"Allow {INSPECTOR_CLIENT} to act as you?" in consent.text, consent.text[:500]
        fields = dict(hidden_fields(consent.text))
        fields["decision"] = decision
        r = web.post(server.url("/oauth/authorize"), data=fields)
        assert r.status_code == 303, (r.status_code, r.text[:300])
        redirect = r.headers["location"]
        assert redirect.startswith(request["redirect_uri"] + "?"), (redirect, request["redirect_uri"])
        # The CLI's listener exchanges the code before it answers.
        landed = web.get(redirect)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    return {"request": request, "answer": answer, "callback_status": landed.status_code}


def test_the_inspector_cli_signs_in_with_its_own_oauth_and_reuses_the_tokens(formwork_server: FormworkServer, tmp_path: Path):
    server = formwork_server
    info = register_inspector(server)
    home = tmp_path / "home"
    home.mkdir()

    # First run: no tokens, so the CLI sends alice to sign in, then lists her tools.
    run, seen = inspector_with_oauth(server, info, home, "--method", "tools/list", user="alice")
    tools = {t["name"] for t in ok_json(run)["tools"]}
    assert {"expense_claims_my_claims", "expense_claims_new_claim"} <= tools and "expense_claims_claims_to_approve" not in tools
    assert "Authorization complete." in run.stderr, run.stderr[-2000:]
    sent, answer = seen["request"], seen["answer"]
    assert sent["client_id"] == info["client_id"] and sent["response_type"] == "code"
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"]
    assert sent["resource"] == server.mcp_url and sent["state"]
    redirect = urlsplit(sent["redirect_uri"])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1", "/oauth/callback") and redirect.port
    assert answer["state"] == sent["state"] and answer["iss"] == server.base_url and answer["code"].startswith("fwo_")
    assert seen["callback_status"] == 200

    # Second run: the stored tokens are used; no sign-in, and --stored-auth-only forbids one.
    run, seen = inspector_with_oauth(
        server, info, home, "--stored-auth-only",
        "--method", "tools/call", "--tool-name", "expense_claims_new_claim", "--tool-arg", "purpose=Ferry to Sylt", "category=Travel",
    )
    assert seen == {} and NAVIGATE not in run.stderr
    created = ok_json(run)
    assert created["isError"] is False, created
    claim = created["structuredContent"]["record_id"]

    # The change is alice's, made through the Inspector's client.
    page = server.sign_in("alice").get(f"/apps/expense_claims/records/{claim}").text
    assert f"via MCP · {INSPECTOR_CLIENT}" in page


def test_the_inspector_cli_reports_a_denied_consent(formwork_server: FormworkServer, tmp_path: Path):
    server = formwork_server
    info = register_inspector(server)
    home = tmp_path / "home"
    home.mkdir()
    run, seen = inspector_with_oauth(server, info, home, "--method", "tools/list", user="alice", decision="deny")
    assert seen["answer"]["error"] == "access_denied" and seen["answer"]["state"] == seen["request"]["state"]
    assert "code" not in seen["answer"]
    assert seen["callback_status"] == 400  # the CLI's listener shows the error
    assert run.returncode != 0
    assert "the user denied the request" in run.stdout + run.stderr, (run.stdout + run.stderr)[-2000:]
