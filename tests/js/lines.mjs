// Line items (a `lines` field) on the operation form, in a real browser with JavaScript off: Alice
// creates a trip report (tests/api/fixtures/travel_report.toml) with two lines typed into the blank
// rows, asks for more rows ("Add rows": what was typed kept, nothing saved), sends a bad amount
// (refused beside its cell, what was typed kept), then edits the report: one line removed with its
// checkbox, one changed, one added; then moves the last line up ("Move line 3 up": the form comes
// back in the new order, nothing saved) and saves that order. Every page is also seen at 390 px;
// screenshots go to ARTIFACTS. Last, an administrator's App Editor pages of the lines field (its
// columns, one column's form) and Alice's edit form with its move buttons are checked with
// axe-core: no serious or critical violation (JavaScript on for axe only, as in walk.mjs).
//
// Started by tests/python/test_browser_lines.py, which runs the server, publishes the app and
// checks what was stored.
//   FORMWORK_URL, FORMWORK_USER (alice), FORMWORK_ADMIN (admin), FORMWORK_PASSWORD, ARTIFACTS,
//   CHROMIUM
// Prints one JSON line with the report's id; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, snapshots, CHROMIUM, FLAGS, LAPTOP } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "alice");
const ADMIN = env("FORMWORK_ADMIN", "admin");
const PASSWORD = env("FORMWORK_PASSWORD");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const ARTIFACTS = env("ARTIFACTS");
prepare(ARTIFACTS);

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context;
const out = { ok: false };
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    javaScriptEnabled: false,
    viewport: LAPTOP,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const snap = snapshots(page, ARTIFACTS, "lines");
  const cell = (index, column) => page.locator(`[name="items[${index}][${column}]"]`);
  /** Types a line into the row `index` of the table. */
  const fillRow = async (index, line) => {
    await cell(index, "date").fill(line.date);
    await cell(index, "description").fill(line.description);
    await cell(index, "category").selectOption(line.category);
    await cell(index, "net").fill(line.net);
  };
  /** Presses a button of the form and waits for the answer (a new page, or the same URL). */
  const press = async (name) => {
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name, exact: true }).click()]);
  };

  /** Signs `user` in on `p`. */
  const signIn = async (p, user) => {
    await p.goto(`${BASE}/login`);
    await p.getByLabel("Username").fill(user);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL((u) => !u.pathname.startsWith("/login"));
  };
  await signIn(page, USER);

  // The create form: three blank rows, each cell labelled with its column and row, the default
  // currency prefilled.
  await page.goto(`${BASE}/apps/trip_reports/ops/create`);
  assert.equal(await page.locator("table.lines-table tbody tr").count(), 3);
  assert.equal(await page.getByLabel("Net, new line").count(), 3);
  assert.equal(await cell(0, "currency").inputValue(), "EUR");
  await page.getByLabel("Purpose").fill("Fair in Lyon");
  await fillRow(0, { date: "2026-04-01", description: "Train to Lyon", category: "Transport", net: "89.00" });
  await fillRow(1, { date: "2026-04-01", description: "Hotel", category: "Lodging", net: "abc" });
  await snap("create-typed");

  // "Add rows": three more blank rows, what was typed kept, nothing saved.
  await press("Add rows");
  assert.equal(await page.locator("table.lines-table tbody tr").count(), 6);
  assert.equal(await cell(0, "description").inputValue(), "Train to Lyon");
  assert.equal(await cell(1, "net").inputValue(), "abc");
  assert.equal(await page.getByLabel("Purpose").inputValue(), "Fair in Lyon");

  // A bad amount: refused beside its cell, everything typed kept.
  await press("New trip report");
  const refused = page.locator("#f-items-1-net-e");
  assert.match(await refused.innerText(), /abc/);
  assert.equal(await cell(1, "net").getAttribute("aria-invalid"), "true");
  assert.equal(await cell(0, "description").inputValue(), "Train to Lyon");
  await snap("create-refused");
  await cell(1, "net").fill("120.00");
  await fillRow(2, { date: "2026-04-02", description: "Taxi", category: "Transport", net: "18.50" });
  await press("New trip report");
  await page.waitForURL(/\/apps\/trip_reports\/records\/\d+/);
  out.report = Number(page.url().match(/records\/(\d+)/)[1]);
  const shown = (await page.locator("body").innerText()).replace(/\s+/g, " ");
  assert.match(shown, /Train to Lyon/);
  assert.match(shown, /227\.50 EUR/);
  await snap("record");

  // The edit form: a row per line with a Remove box, then blank rows. Line 2 removed, line 1's
  // amount changed, a line added.
  await page.goto(`${BASE}/apps/trip_reports/ops/edit?record=${out.report}`);
  assert.equal(await cell(1, "description").inputValue(), "Hotel");
  await page.getByLabel("Remove line 2").check();
  await cell(0, "net").fill("79.00");
  await fillRow(3, { date: "2026-04-03", description: "Lunch", category: "Meals", net: "14.00" });
  await snap("edit-typed");
  await press("Edit trip report");
  await page.waitForURL(/\/apps\/trip_reports\/records\/\d+/);
  const after = (await page.locator("body").innerText()).replace(/\s+/g, " ");
  assert.match(after, /line 2 removed/);
  assert.match(after, /111\.50 EUR/);
  await snap("record-edited");

  // Move the last line up: the form comes back with lines 2 and 3 swapped and nothing saved;
  // sending it saves that order.
  await page.goto(`${BASE}/apps/trip_reports/ops/edit?record=${out.report}`);
  assert.equal(await page.getByRole("button", { name: "Move line 1 up" }).isDisabled(), true);
  assert.equal(await page.getByRole("button", { name: "Move line 3 down" }).isDisabled(), true);
  await cell(0, "description").fill("Train to Lyon and back");
  await press("Move line 3 up");
  assert.equal(await cell(1, "description").inputValue(), "Lunch");
  assert.equal(await cell(2, "description").inputValue(), "Taxi");
  assert.equal(await cell(0, "description").inputValue(), "Train to Lyon and back", "what was typed is kept");
  assert.equal(await page.getByLabel("Description, line 2").inputValue(), "Lunch");
  await snap("edit-moved");
  await press("Edit trip report");
  await page.waitForURL(/\/apps\/trip_reports\/records\/\d+/);
  const moved = (await page.locator("body").innerText()).replace(/\s+/g, " ");
  assert.match(moved, /lines reordered/);
  assert.ok(moved.indexOf("Lunch") < moved.indexOf("Taxi"), "the record shows the new order");
  await snap("record-moved");

  // axe-core on the App Editor's lines pages and on the edit form with its move buttons.
  const axeContext = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const violations = [];
    for (const [user, paths] of [
      [ADMIN, ["/admin/apps/trip_reports/fields/items", "/admin/apps/trip_reports/fields/items/columns/net"]],
      [USER, [`/apps/trip_reports/ops/edit?record=${out.report}`]],
    ]) {
      const ctx = await axeContext.newContext({ viewport: LAPTOP, javaScriptEnabled: true, bypassCSP: true });
      const p = await ctx.newPage();
      p.setDefaultTimeout(15000);
      await signIn(p, user);
      for (const path of paths) {
        const resp = await p.goto(`${BASE}${path}`);
        assert.equal(resp.status(), 200, `GET ${path}`);
        await p.evaluate(AXE);
        const found = await p.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ["violations"] });
          return r.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")})`);
        });
        violations.push(...found.map((v) => `${path}: ${v}`));
        const name = path.replace(/\?.*$/, "").split("/").filter(Boolean).slice(-2).join("-");
        await p.screenshot({ path: join(ARTIFACTS, `lines-axe-${name}.png`), fullPage: true });
      }
      await ctx.close();
    }
    assert.deepEqual(violations, [], "axe-core");
  } finally {
    await axeContext.close();
  }

  out.ok = true;
  console.log(JSON.stringify(out));
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
