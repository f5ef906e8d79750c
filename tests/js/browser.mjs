// A person's walk through Formwork in a real browser: Debian's Chromium driven by playwright-core.
//
// Alice signs in, creates a claim with the New claim form and uploads a receipt; an assistant
// (an MCP client with her token) fills the receipt fields and misreads the date; Alice corrects
// it with the Fill receipt fields form and submits. The record page then shows the history with
// the MCP entry marked. Everything runs with JavaScript turned off in the page: Formwork ships
// none, so every step must work without it.
//
// Started by tests/python/test_browser.py, which runs the server; inputs come from the
// environment:
//   FORMWORK_URL        base URL of a running server (Expense Claims published, MCP on)
//   FORMWORK_USER       who signs in (alice)            FORMWORK_PASSWORD  her password
//   FORMWORK_MCP_TOKEN  a personal access token of hers, for the assistant's step
//   RECEIPT             path of the receipt image to upload
//   RECEIPT_TRUTH       JSON: supplier, expense_date, net, tax, currency printed on it
//   ARTIFACTS           folder for screenshots and page dumps (git-ignored)
//   SCREENSHOT          where to write the laptop-size record page screenshot (e.g. docs/screenshot.png)
//   CHROMIUM            the browser binary (default /usr/bin/chromium; never downloaded)
// Prints one JSON line with what it saw; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP, PHONE } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "alice");
const PASSWORD = env("FORMWORK_PASSWORD");
const TOKEN = env("FORMWORK_MCP_TOKEN");
const RECEIPT = env("RECEIPT");
const TRUTH = JSON.parse(env("RECEIPT_TRUTH"));
const ARTIFACTS = env("ARTIFACTS");
const SCREENSHOT = env("SCREENSHOT");

prepare(ARTIFACTS);


const seen = { pages: [], problems: [] };

/** A JSON-RPC tools/call on /mcp, the way an assistant with Alice's token makes it. */
async function mcpCall(name, args) {
  const r = await fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "Mcp-Protocol-Version": "2025-11-25",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, `tools/call ${name}: HTTP ${r.status} ${JSON.stringify(body)}`);
  assert.ok(body.result, `tools/call ${name}: ${JSON.stringify(body)}`);
  assert.equal(body.result.isError, false, `tools/call ${name}: ${JSON.stringify(body.result)}`);
  return body.result.structuredContent;
}

/** Records what a page shipped and checks it is whole: no script, no failed subresource. */
async function look(page, label) {
  const scripts = await page.locator("script").count();
  if (scripts > 0) seen.problems.push(`${label}: the page has ${scripts} <script> element(s)`);
  const title = await page.title();
  seen.pages.push({ label, url: page.url().replace(BASE, ""), title });
  await page.screenshot({ path: join(ARTIFACTS, `browser-${String(seen.pages.length).padStart(2, "0")}-${label}.png`), fullPage: true });
}

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    javaScriptEnabled: false, // Formwork ships no JavaScript: everything must work without it
    viewport: LAPTOP,
    deviceScaleFactor: 1,
    locale: "en-GB",
    timezoneId: "Europe/Berlin",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on("requestfailed", (req) => seen.problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (resp) => {
    if (resp.status() >= 400) seen.problems.push(`HTTP ${resp.status()} for ${resp.request().method()} ${resp.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") seen.problems.push(`console error: ${msg.text()}`);
  });

  // Sign in.
  await page.goto(`${BASE}/`);
  assert.match(page.url(), /\/login/, "signed-out visitors are sent to the sign-in page");
  await look(page, "login");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  await page.getByText(`Signed in as ${USER}`).waitFor({ state: "attached" });
  await look(page, "after-sign-in");

  // Into the app, then the New claim form with the receipt.
  await page.getByRole("link", { name: /Expense Claims/ }).first().click();
  await page.waitForLoadState();
  await look(page, "app");
  await page.getByRole("link", { name: "New claim" }).first().click();
  await page.waitForURL(/\/ops\/new_claim/);
  await page.getByLabel("Purpose").fill("Coffee with a customer, Berlin");
  await page.getByLabel("Category").selectOption("Meals");
  await page.getByLabel("Receipt").setInputFiles(RECEIPT);
  await look(page, "new-claim-form");
  await page.getByRole("button", { name: "New claim" }).click();
  await page.waitForURL(/\/apps\/expense_claims\/records\/\d+/);
  const recordUrl = page.url().split("?")[0];
  const recordId = Number(recordUrl.split("/").pop());
  await look(page, "record-created");
  assert.match(await page.locator("h1").innerText(), /Coffee with a customer, Berlin/);
  assert.match(await page.locator("p.muted", { hasText: "Version" }).innerText(), /Version 1\b/);
  const thumb = page.locator("img.thumb");
  assert.equal(await thumb.count(), 1, "the uploaded receipt shows as a thumbnail");
  const thumbWidth = await thumb.evaluate((img) => img.naturalWidth);
  assert.ok(thumbWidth > 0, "the thumbnail loads");

  // The assistant reads the receipt through MCP and fills the fields, misreading the date
  // (05.03. read the US way, as 3 May).
  const misread = TRUTH.expense_date.replace(/^(\d{4})-(\d{2})-(\d{2})$/, "$1-$3-$2");
  assert.notEqual(misread, TRUTH.expense_date, "the receipt's date must be ambiguous for this story");
  const filled = await mcpCall("expense_claims_fill_receipt_fields", {
    record_id: recordId,
    expected_version: 1,
    supplier: TRUTH.supplier,
    expense_date: misread,
    net: TRUTH.net,
    tax: TRUTH.tax,
    currency: TRUTH.currency,
  });
  assert.equal(filled.version, 2);

  // Alice sees the change, corrects the date with the form, and submits.
  await page.goto(recordUrl);
  await page.getByRole("link", { name: "Fill receipt fields" }).click();
  await page.waitForURL(/\/ops\/fill_receipt_fields/);
  assert.equal(await page.getByLabel("Supplier name").inputValue(), TRUTH.supplier, "the form shows the current values");
  assert.equal(await page.getByLabel("Expense date").inputValue(), misread);
  await page.getByLabel("Expense date").fill(TRUTH.expense_date);
  await look(page, "fill-receipt-fields-form");
  await page.getByRole("button", { name: "Fill receipt fields" }).click();
  await page.waitForURL(/\/apps\/expense_claims\/records\/\d+/);
  assert.match(await page.locator("p.muted", { hasText: "Version" }).innerText(), /Version 3\b/);

  await page.getByRole("link", { name: "Submit", exact: true }).click();
  await page.waitForURL(/\/ops\/submit/);
  await look(page, "submit-form");
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await page.waitForURL(/\/apps\/expense_claims\/records\/\d+/);

  // The record page: submitted, with the whole history and the MCP entry marked.
  await page.goto(recordUrl);
  const status = (await page.locator("h1 .badge").innerText()).trim();
  assert.equal(status, "Submitted");
  assert.match(await page.locator("p.muted", { hasText: "Version" }).innerText(), /Version 4\b/);
  const entries = await page.locator("ol.timeline > li").allInnerTexts();
  const ops = entries.map((t) => t.split("\n")[0]);
  for (const op of ["New claim", "Fill receipt fields", "Submit"]) {
    assert.ok(ops.some((t) => t.includes(op)), `history shows ${op}: ${JSON.stringify(ops)}`);
  }
  assert.equal(await page.locator("ol.timeline > li.via-mcp").count(), 1, "one change made via MCP");
  assert.equal(await page.locator("ol.timeline img.surface-icon[alt='Changed via MCP']").count(), 1);
  const fieldsText = await page.locator("dl.fields").first().innerText();
  assert.ok(fieldsText.includes(TRUTH.supplier), "supplier shown");
  assert.ok(fieldsText.includes(TRUTH.total), `total ${TRUTH.total} shown: ${fieldsText}`);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await look(page, "record-laptop");

  // Only the MCP changes.
  await page.getByRole("link", { name: "Changes made via MCP" }).click();
  await page.waitForURL(/history=mcp/);
  assert.equal(await page.locator("ol.timeline > li").count(), 1);
  await look(page, "record-history-mcp");

  // The list of claims.
  await page.goto(`${BASE}/apps/expense_claims/views/my_claims`);
  assert.ok((await page.locator("table.records").first().locator("tbody tr").count()) >= 1);
  await look(page, "my-claims");
  await page.goto(`${BASE}/apps/expense_claims/views/my_claims?status=Submitted`);
  assert.equal(await page.locator("table.records").first().locator("tbody tr").count(), 1, "the status filter works without JavaScript");

  // The same record page at phone width.
  await page.setViewportSize(PHONE);
  await page.goto(recordUrl);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) seen.problems.push(`record page at ${PHONE.width}px scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: join(ARTIFACTS, "record-phone.png"), fullPage: true });
  await page.goto(`${BASE}/apps/expense_claims/views/my_claims`);
  await page.screenshot({ path: join(ARTIFACTS, "my-claims-phone.png"), fullPage: true });

  writeFileSync(join(ARTIFACTS, "browser-walk.json"), JSON.stringify(seen, null, 2));
  const serious = seen.problems.filter((p) => !p.startsWith("record page at"));
  assert.deepEqual(serious, [], "pages load whole, without scripts or failed requests");
  console.log(JSON.stringify({ ok: true, record: recordId, status, history: ops, pages: seen.pages.length, notes: seen.problems }));
} catch (e) {
  try {
    const page = context?.pages()[0];
    if (page) {
      await page.screenshot({ path: join(ARTIFACTS, "browser-failure.png"), fullPage: true });
      writeFileSync(join(ARTIFACTS, "browser-failure.html"), await page.content());
    }
  } catch {}
  console.error(`browser walk failed: ${e.stack || e}`);
  console.error(JSON.stringify(seen, null, 2));
  process.exitCode = 1;
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
