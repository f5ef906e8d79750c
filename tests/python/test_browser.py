"""A real browser (Debian's Chromium, driven by playwright-core from tests/js/browser.mjs) walks
through a claim as a person would, with JavaScript off, and takes the screenshots:

* tests/artifacts/browser/record-laptop.png — the record page at 1280 px, also copied to
  docs/screenshot.png (the README's picture) when that file is missing or when
  FORMWORK_UPDATE_SCREENSHOT=1;
* tests/artifacts/browser/record-phone.png — the same page at 390 px, and one per step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from conftest import JS, RECEIPTS, REPO, FormworkServer, artifacts_dir, js_tool, node_bin, receipt_truth

RECEIPT = "01_cafe_berlin.jpg"  # 05.03.2024: a date that reads differently in the US
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_a_person_creates_fills_and_submits_a_claim_in_chromium(formwork_server: FormworkServer):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install -y chromium"
    js_tool("playwright-core/package.json")
    out_dir = artifacts_dir("browser")
    for old in out_dir.glob("*"):
        old.unlink()
    laptop = out_dir / "record-laptop.png"
    env = {
        **os.environ,
        "FORMWORK_URL": formwork_server.base_url,
        "FORMWORK_USER": "alice",
        "FORMWORK_PASSWORD": formwork_server.password,
        "FORMWORK_MCP_TOKEN": formwork_server.token("alice", name="Claude"),
        "RECEIPT": str(RECEIPTS / RECEIPT),
        "RECEIPT_TRUTH": json.dumps(receipt_truth(RECEIPT)),
        "ARTIFACTS": str(out_dir),
        "SCREENSHOT": str(laptop),
        "CHROMIUM": CHROMIUM,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    run = subprocess.run(
        [str(node_bin()), str(JS / "browser.mjs")], cwd=JS, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, f"browser walk failed:\n{run.stderr}\n{run.stdout}\nserver log:\n{formwork_server.log()[-3000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(summary, indent=1))
    assert summary["ok"] and summary["status"] == "Submitted"
    for p in (laptop, out_dir / "record-phone.png"):
        assert p.is_file() and p.stat().st_size > 10_000, f"{p} missing or blank"

    # The server agrees with what the browser saw.
    alice = formwork_server.sign_in("alice")
    page = alice.get(f"/apps/expense_claims/records/{summary['record']}").text
    assert re.search(r"Version 4\b", page) and "Changed via MCP" in page and 'token "Claude"' in page.replace("&#34;", '"').replace("&quot;", '"')

    readme_picture = REPO / "docs" / "screenshot.png"
    if os.environ.get("FORMWORK_UPDATE_SCREENSHOT") == "1" or not readme_picture.exists():
        readme_picture.parent.mkdir(exist_ok=True)
        shutil.copyfile(laptop, readme_picture)
