"""Every screen of the demo, as each role sees it, at 1280 px and 390 px, in a real browser
(Debian's Chromium driven by playwright-core from tests/js/walk.mjs; JavaScript on, for axe-core).

The server runs `serve --demo` (its users, both sample apps, the seeded claims with receipts); an
MCP client is registered with the CLI so that the walk can open its consent page too. The walk
follows the links it finds as alice (employee), maria (manager), ivan (IT), fiona (finance) and
admin, and on every screen at both widths asserts that nothing scrolls sideways, that axe-core
finds no serious or critical violation (text contrast of 4.5:1 included) and that the page
answered; screenshots go to tests/artifacts/walk/<user>/<screen>-<width>.png. About a minute.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from urllib.parse import urlencode

from conftest import JS, artifacts_dir, js_tool, node_bin, start_formwork

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "formwork-demo"
USERS = ["alice", "maria", "ivan", "fiona", "admin"]  # employee, manager, IT, finance, admin
# Screens the walk must reach (it finds them through links; these prove the links are there).
MUST_SEE = {
    "/",
    "/profile",
    "/notifications",
    "/login",
    "/login/forgot",
    "/login/reset/not-a-real-token",
    "/no-such-page",
    "/404",
    "/admin/users",
    "/admin/users?user",
    "/admin/apps",
    "/admin/integration/mcp",
    "/admin/outbox",
    "/oauth/authorize",
}


def test_every_screen_fits_a_phone_and_passes_axe_for_every_demo_role():
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    js_tool("axe-core/axe.min.js")
    out_dir = artifacts_dir("walk")
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    with start_formwork(["--demo"], mcp=False, seed_data=False) as server:
        redirect_uri = "http://127.0.0.1:9/callback"  # never reached: the walk does not answer
        info = json.loads(
            server.cli(
                ["mcp-client", "add", "--name", "Walk Client", "--type", "generic", "--redirect-uri", redirect_uri,
                 "--public-url", server.base_url]
            )
        )
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        authorize = server.url(
            "/oauth/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": info["client_id"],
                    "redirect_uri": redirect_uri,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "state": "walk",
                    "scope": "mcp",
                    "resource": server.mcp_url,
                }
            )
        )
        env = {
            **os.environ,
            "FORMWORK_URL": server.base_url,
            "USERS": ",".join(USERS),
            "PASSWORD": DEMO_PASSWORD,
            "AUTHORIZE_URL": authorize,
            "ARTIFACTS": str(out_dir),
            "CHROMIUM": CHROMIUM,
            "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        }
        run = subprocess.run(
            [str(node_bin()), str(JS / "walk.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=400
        )
        log = server.log()
    lines = run.stdout.strip().splitlines()
    assert lines, f"the walk printed nothing:\n{run.stderr}\nserver log:\n{log[-3000:]}"
    summary = json.loads(lines[-1])
    print(json.dumps({k: v for k, v in summary.items() if k != "screens"}, indent=1))
    for s in summary["screens"]:
        print(f"{s['who']:9} {s['kind']:55} {s['title']}")
    kinds = {s["kind"] for s in summary["screens"]}
    assert MUST_SEE <= kinds, f"screens not reached: {sorted(MUST_SEE - kinds)}"
    assert any(k.startswith("/admin/apps/{app}/") for k in kinds), "no App Editor tab"
    assert any(k.startswith("/apps/") and "/views/" in k for k in kinds), "no view"
    assert any("/records/{n}" in k for k in kinds), "no record page"
    assert any("/ops/" in k for k in kinds), "no operation form"
    for s in summary["screens"]:
        for shot in s["shots"]:
            p = out_dir / shot
            assert p.is_file() and p.stat().st_size > 2_000, f"{p} missing or blank"
    assert run.returncode == 0 and not summary["problems"], "problems found:\n" + "\n".join(summary["problems"])
