// Line columns of every entered type on the operation form, in a real browser with JavaScript
// off: Alice (her time zone Europe/Berlin) adds a visit (tests/api/fixtures/line_columns.toml)
// whose first stop chooses a project from its row's list, ticks two tags, types a moment, a
// place and a phone; the search above the table ("Find project") finds another project, which
// the second row's list then offers (what was typed kept, nothing saved); the record page shows
// the projects' titles and the moment in her zone. The form is checked with axe-core (JavaScript
// on for axe only) and seen at 1280 and 390 px; screenshots go to ARTIFACTS.
//
// Started by tests/python/test_browser_line_columns.py, which runs the server, publishes the
// apps, makes the projects and checks what was stored.
//   FORMWORK_URL, FORMWORK_USER (alice), FORMWORK_PASSWORD, ARTIFACTS, CHROMIUM
// Prints one JSON line with the visit's id; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, snapshots, CHROMIUM, FLAGS, LAPTOP } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "alice");
const PASSWORD = env("FORMWORK_PASSWORD");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const ARTIFACTS = env("ARTIFACTS");
prepare(ARTIFACTS);

const signIn = async (p) => {
  await p.goto(`${BASE}/login`);
  await p.getByLabel("Username").fill(USER);
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL((u) => !u.pathname.startsWith("/login"));
};

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
  const snap = snapshots(page, ARTIFACTS, "line-columns");
  const cell = (index, column) => page.locator(`[name="stops[${index}][${column}]"]:not([type="hidden"])`);
  const press = async (name) => {
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name, exact: true }).click()]);
  };
  await signIn(page);

  await page.goto(`${BASE}/apps/lc_visits/ops/add`);
  await page.getByLabel("Title").fill("Paris");
  await page.getByLabel("Project, new line").first().selectOption({ label: "Apollo" });
  await page.locator('[name="stops[0][tags]"][value="Billable"]').check();
  await page.locator('[name="stops[0][tags]"][value="Urgent"]').check();
  await cell(0, "arrived").fill("2026-07-05T14:30");
  await cell(0, "place").fill("48.8584, 2.2945");
  await cell(0, "phone").fill("+41 44 668 18 00");
  await cell(0, "note").fill("tower");
  await cell(1, "note").fill("office");
  // Gemini is not among the first projects offered: the search above the table finds it.
  assert.equal(await cell(1, "project").locator("option", { hasText: "Gemini" }).count(), 0);
  await page.getByLabel("Find project", { exact: true }).fill("gem");
  await press("Search project");
  assert.equal(await cell(0, "note").inputValue(), "tower", "what was typed is kept");
  assert.equal(await page.locator('[name="stops[0][tags]"][value="Billable"]').isChecked(), true);
  assert.equal(await cell(0, "arrived").inputValue(), "2026-07-05T14:30");
  assert.equal(await cell(0, "project").locator("option:checked").innerText(), "Apollo");
  await cell(1, "project").selectOption({ label: "Gemini" });
  await snap("add-typed");
  // Enter in a field sends the form as "Add visit" does (not the Search above the table).
  await Promise.all([page.waitForEvent("load"), page.getByLabel("Title").press("Enter")]);
  await page.waitForURL(/\/apps\/lc_visits\/records\/\d+/);
  out.visit = Number(page.url().match(/records\/(\d+)/)[1]);
  const shown = (await page.locator("body").innerText()).replace(/\s+/g, " ");
  for (const s of ["Apollo", "Gemini", "2026-07-05 14:30 CEST", "Urgent, Billable", "tower", "office"]) {
    assert.ok(shown.includes(s), `${s} on the record page`);
  }
  await snap("record");

  // axe-core on the add form and the record page.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const ctx = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: true, bypassCSP: true });
    const p = await ctx.newPage();
    p.setDefaultTimeout(15000);
    await signIn(p);
    const violations = [];
    for (const path of ["/apps/lc_visits/ops/add", `/apps/lc_visits/records/${out.visit}`]) {
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
    }
    await ctx.close();
    assert.deepEqual(violations, [], "axe-core");
  } finally {
    await browser.close();
  }
  out.ok = true;
  console.log(JSON.stringify(out));
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
