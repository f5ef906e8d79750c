// Bulk decisions in a real browser, JavaScript off: Maria opens Claims to approve, ticks every
// claim and approves them at once with one comment; meanwhile (in a second window) she rejects one
// of them and its owner submits it again (a third window), so that one is refused as changed
// since the page was read and the rest are approved.
//
// Started by tests/python/test_browser_workflow.py, which runs the server and files the claims.
//   FORMWORK_URL, FORMWORK_USER (maria), FORMWORK_OWNER (alice), FORMWORK_PASSWORD, ARTIFACTS,
//   CHROMIUM
//   STALE_CLAIM   the id of the claim rejected from the second window
// Prints one JSON line with what it saw; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "maria");
const PASSWORD = env("FORMWORK_PASSWORD");
const ARTIFACTS = env("ARTIFACTS");
const STALE = env("STALE_CLAIM");
const OWNER = env("FORMWORK_OWNER", "alice");
prepare(ARTIFACTS);

async function signIn(page, user = USER) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
const other = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
const owners = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context, second, third;
try {
  const options = { executablePath: CHROMIUM, headless: true, args: FLAGS, javaScriptEnabled: false, viewport: LAPTOP };
  context = await chromium.launchPersistentContext(profile, options);
  second = await chromium.launchPersistentContext(other, options);
  third = await chromium.launchPersistentContext(owners, options);
  const window3 = third.pages()[0] ?? (await third.newPage());
  window3.setDefaultTimeout(15000);
  const page = context.pages()[0] ?? (await context.newPage());
  const window2 = second.pages()[0] ?? (await second.newPage());
  page.setDefaultTimeout(15000);
  window2.setDefaultTimeout(15000);
  await signIn(page);
  await signIn(window2);
  await signIn(window3, OWNER);

  await page.goto(`${BASE}/apps/expense_claims/views/claims_to_approve`);
  const boxes = page.locator('input[type="checkbox"][name="pick"]');
  const count = await boxes.count();
  assert.equal(count, 20, "the twenty submitted claims are listed with a checkbox each");
  for (let i = 0; i < count; i++) await boxes.nth(i).check();
  await page.getByLabel(/Manager comment/).fill("Approved together");
  await page.screenshot({ path: join(ARTIFACTS, "bulk-1-chosen.png"), fullPage: true });

  // Meanwhile, in the second window, one claim is rejected.
  await window2.goto(`${BASE}/apps/expense_claims/ops/reject?record=${STALE}`);
  await window2.getByLabel(/Manager comment/).fill("Duplicate of another claim");
  await window2.getByRole("button", { name: "Reject" }).click();
  await window2.waitForLoadState();
  await window2.screenshot({ path: join(ARTIFACTS, "bulk-0-rejected.png"), fullPage: true });
  // Once rejected the claim is back with its owner: Maria lands on a list, told it is done.
  assert.match(await window2.locator("body").innerText(), /Rejected\./);
  // Its owner submits it again at once: it is waiting again, but not as Maria's page saw it.
  await window3.goto(`${BASE}/apps/expense_claims/ops/submit?record=${STALE}`);
  await window3.getByRole("button", { name: "Submit" }).click();
  await window3.waitForLoadState();
  assert.match(await window3.locator("body").innerText(), /Submitted/);

  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await page.waitForLoadState();
  await page.screenshot({ path: join(ARTIFACTS, "bulk-2-result.png"), fullPage: true });
  const applied = await page.locator("ul.bulk-applied li").count();
  const failed = await page.locator("ul.bulk-failed li").allInnerTexts();
  assert.equal(applied, 19, "nineteen are approved");
  assert.equal(failed.length, 1, "one is listed as not applied");
  assert.match(failed[0], /changed since/, failed[0]);
  assert.match(await page.locator("body").innerText(), /Approve applied to 19 records/);

  // Back in the list, only the claim that changed is left to decide.
  await page.getByRole("link", { name: /Back to Claims to approve/ }).click();
  assert.equal(await page.locator('input[name="pick"]').count(), 1, "the changed claim still waits");
  console.log(JSON.stringify({ ok: true, applied, failed }));
} finally {
  await context?.close();
  await second?.close();
  await third?.close();
  rmSync(owners, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
}
