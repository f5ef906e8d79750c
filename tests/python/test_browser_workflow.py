"""Bulk decisions in Chromium (tests/js/bulk.mjs), JavaScript off: twenty claims approved at once,
one of them rejected and submitted again from other windows meanwhile, reported as changed, the
rest applied."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import JS, FormworkServer, artifacts_dir, js_tool, node_bin
from test_notifications import submitted_claim

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_bulk_approval_of_twenty_claims_reports_the_one_that_changed(formwork_server: FormworkServer):
    js_tool("playwright-core/package.json")
    alice = formwork_server.sign_in("alice")
    claims = [submitted_claim(alice, f"Client lunch {i:02}") for i in range(20)]
    out_dir = artifacts_dir("bulk")
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "maria",
        "FORMWORK_OWNER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "ARTIFACTS": str(out_dir),
        "CHROMIUM": CHROMIUM,
        "STALE_CLAIM": str(claims[5]),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run([str(node_bin()), str(JS / "bulk.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, f"bulk walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["applied"] == 19

    # The server agrees: nineteen approved, the changed one waiting again, each with its own history.
    statuses = {}
    for claim in claims:
        page = alice.get(f"/apps/expense_claims/records/{claim}").text
        statuses[claim] = "Approved" if "status-approved" in page else "Submitted" if "status-submitted" in page else "other"
    assert statuses[claims[5]] == "Submitted"
    assert sum(1 for s in statuses.values() if s == "Approved") == 19
