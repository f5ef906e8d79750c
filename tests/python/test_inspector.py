"""The MCP Inspector's CLI (`@modelcontextprotocol/inspector --cli`, npm) as a client of /mcp,
with the personal access token in `--header "Authorization: Bearer …"`.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import JS, FormworkServer, artifacts_dir, js_tool, node_bin


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
    assert sc["total"] == 1 and sc["rows"][0]["id"] == claim and sc["rows"][0]["purpose"] == "Train to Hamburg"
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
