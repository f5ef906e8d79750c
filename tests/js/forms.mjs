// Conditional fields, the lookup picker, read-only fields and deleting a referenced record, in a
// real browser with JavaScript off: Alice fills the Trip costs form (tests/api/fixtures/
// trip_costs.toml), picks projects for tasks (lookup_projects.toml, lookup_tasks.toml), tries a
// read-only field and another person's project through a tampered form, and deletes projects that
// tasks refer to. Every page is also seen at 390 px; screenshots go to ARTIFACTS.
//
// Started by tests/python/test_browser_forms.py, which runs the server, publishes the apps, makes
// Bob's project and checks what was stored.
//   FORMWORK_URL, FORMWORK_USER (alice), FORMWORK_PASSWORD, ARTIFACTS, CHROMIUM
//   SECRET_PROJECT   the id of a project of Bob's, which Alice may not read
//   FORMWORK_ADMIN   an administrator (admin), whose top bar is checked at 390 px
// Prints one JSON line with the ids it made; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, snapshots, CHROMIUM, FLAGS, LAPTOP, PHONE } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "alice");
const PASSWORD = env("FORMWORK_PASSWORD");
const ARTIFACTS = env("ARTIFACTS");
const SECRET = env("SECRET_PROJECT");
const ADMIN = env("FORMWORK_ADMIN", "admin");
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
  const snap = snapshots(page, ARTIFACTS, "forms");
  const text = async () => (await page.locator("body").innerText()).replace(/\s+/g, " ");
  const fieldError = (name) => page.locator(`.field:has(#f-${name}) .error-text`);
  /** Submits the page's operation form and waits for the answer (a new page, or the same URL). */
  const press = async (name) => {
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name, exact: true }).click()]);
  };

  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));

  // --- a) Conditional fields --------------------------------------------------------------------
  // Without the script every field is there, each conditional one saying when it applies.
  await page.goto(`${BASE}/apps/trip_costs/ops/add`);
  for (const name of ["purpose", "category", "nights", "hotel", "attendees", "amount"]) {
    assert.ok(await page.locator(`#f-${name}`).isVisible(), `${name} is shown`);
  }
  assert.match(await page.locator("#note-nights").innerText(), /Only when Category is Lodging; required when Category is Lodging/);
  assert.match(await page.locator("#note-hotel").innerText(), /Only when Category is Lodging and Nights is at least 1/);
  assert.match(await page.locator("#note-attendees").innerText(), /Only when Category is Meals; required then/);
  // Category is required here and has no value yet: the empty choice is offered.
  assert.equal(await page.locator('#f-category option[value=""]').count(), 1);
  await snap("conditional-form");

  // Lodging without nights: refused beside Nights, what was typed kept, nothing saved.
  await page.getByLabel("Purpose").fill("Fair in Lyon");
  await page.getByLabel("Category").selectOption("Lodging");
  await page.getByLabel("Amount").fill("240.00");
  await press("Add cost");
  assert.match(page.url(), /\/apps\/trip_costs\/ops\/add$/, "the form comes back");
  assert.match(await fieldError("nights").innerText(), /required when Category is Lodging/);
  assert.equal(await page.getByLabel("Purpose").inputValue(), "Fair in Lyon");
  assert.equal(await page.getByLabel("Category").inputValue(), "Lodging");
  // Now chosen, the required Category can no longer be set back to empty on this form.
  assert.equal(await page.locator('#f-category option[value=""]').count(), 0, "no empty choice once chosen");
  await snap("conditional-refused");

  // Travel with Nights empty: saved; the record has no nights.
  await page.getByLabel("Purpose").fill("Train to Lyon");
  await page.getByLabel("Category").selectOption("Travel");
  await press("Add cost");
  assert.match(page.url(), /\/records\/\d+/, await text());
  out.travel = Number(page.url().match(/records\/(\d+)/)[1]);
  assert.equal(await page.locator('dt:text-is("Nights")').count(), 0, "a hidden field is not on the record page");
  await snap("conditional-travel-record");

  // A lodging cost, then turned into travel on the edit form: the hidden nights and hotel, sent
  // back as they were, stay unchanged and are shown neither on the record nor in the list.
  await page.goto(`${BASE}/apps/trip_costs/ops/add`);
  await page.getByLabel("Purpose").fill("Fair in Lyon");
  await page.getByLabel("Category").selectOption("Lodging");
  await page.getByLabel("Nights").fill("2");
  await page.getByLabel("Hotel").fill("Hôtel du Parc");
  await page.getByLabel("Amount").fill("240.00");
  await press("Add cost");
  assert.match(page.url(), /\/records\/\d+/, await text());
  out.lodging = Number(page.url().match(/records\/(\d+)/)[1]);
  assert.match(await text(), /Hôtel du Parc/);
  await page.goto(`${BASE}/apps/trip_costs/ops/edit?record=${out.lodging}`);
  // Category is not required by the edit operation: its empty choice stays (as the engine allows).
  assert.equal(await page.locator('#f-category option[value=""]').count(), 1);
  await page.getByLabel("Category").selectOption("Travel");
  await press("Edit cost");
  assert.match(page.url(), new RegExp(`/records/${out.lodging}`), await text());
  const fields = await page.locator("dl.fields").first().innerText();
  assert.doesNotMatch(fields, /Hôtel du Parc/);
  await page.goto(`${BASE}/apps/trip_costs/views/mine`);
  const row = page.locator("tr", { hasText: "Fair in Lyon" });
  assert.equal(await row.locator('td[data-label="Nights"]').innerText(), "", "hidden nights not listed");
  assert.equal(await row.locator('td[data-label="Hotel"]').innerText(), "", "hidden hotel not listed");
  assert.doesNotMatch(await text(), /Hôtel du Parc/);
  // The summary's table: no word is broken across lines at either width.
  for (const size of [LAPTOP, PHONE]) {
    await page.setViewportSize(size);
    const broken = await page.evaluate(() => {
      const bad = [];
      for (const td of document.querySelectorAll(".summary table td, .summary table th")) {
        const node = td.firstChild;
        if (!node || node.nodeType !== 3) continue;
        const s = node.textContent;
        for (const m of s.matchAll(/\S+/g)) {
          const r = document.createRange();
          r.setStart(node, m.index);
          r.setEnd(node, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
          if (tops.size > 1) bad.push(m[0]);
        }
      }
      return bad;
    });
    assert.deepEqual(broken, [], `words broken in a summary table at ${size.width}px`);
  }
  assert.ok(await page.locator(".summary table td").count() > 0, "the summary has rows");
  await snap("conditional-list");

  // --- c) Read-only fields ----------------------------------------------------------------------
  await page.goto(`${BASE}/apps/trip_costs/ops/edit?record=${out.lodging}`);
  const readOnly = page.locator(".field.read-only", { hasText: "Purpose" });
  assert.match(await readOnly.innerText(), /Fair in Lyon.*read-only here/s);
  assert.equal(await page.locator('form [name="purpose"]').count(), 0, "no input for a read-only field");
  await snap("read-only-form");
  // A tampered form: an input for Purpose added (the automation edits the DOM; the page's own
  // script is off). Refused by name, nothing written.
  const added = await page.locator('form[method="post"][enctype]').evaluate((form) => {
    const i = document.createElement("input");
    i.type = "hidden";
    i.name = "purpose";
    i.value = "Holiday";
    form.appendChild(i);
    return form.querySelectorAll('[name="purpose"]').length;
  });
  assert.equal(added, 1, "the tampered input is in the form");
  await press("Edit cost");
  assert.match(await text(), /read-only in/);
  await snap("read-only-refused");
  await page.goto(`${BASE}/apps/trip_costs/records/${out.lodging}`);
  assert.match(await page.locator("dl.fields").first().innerText(), /Fair in Lyon/);
  assert.doesNotMatch(await text(), /Holiday/, "neither the record nor its history has the value");

  // --- b) The lookup picker ---------------------------------------------------------------------
  const projects = {};
  for (const [name, status] of [["Apollo", "Active"], ["Gemini", "Active"], ["Archive", "Closed"]]) {
    await page.goto(`${BASE}/apps/lk_projects/ops/add`);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Status").selectOption(status);
    await press("Add project");
    assert.match(page.url(), /\/records\/\d+/, await text());
    projects[name] = Number(page.url().match(/records\/(\d+)/)[1]);
  }
  out.projects = projects;
  await page.goto(`${BASE}/apps/lk_tasks/ops/add`);
  await page.getByLabel("Title").fill("Write the plan");
  await page.locator(`input[name="backup"][value="${projects.Gemini}"]`).check();
  await snap("lookup-form");
  // Search: the same form comes back with the title and the backup kept, nothing saved.
  await page.locator("#f-project").fill("apo");
  await Promise.all([page.waitForEvent("load"), page.locator('button[name="_find"][value="project"]').click()]);
  assert.equal(await page.getByLabel("Title").inputValue(), "Write the plan", "the title survives the search");
  assert.ok(await page.locator(`input[name="backup"][value="${projects.Gemini}"]`).isChecked(), "the backup survives the search");
  assert.equal(await page.locator("#f-project").inputValue(), "apo");
  const offered = await page.locator('input[name="project"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(offered, [String(projects.Apollo), ""], "only Apollo (and None) is offered");
  assert.equal(await page.locator(`input[name="project"][value="${SECRET}"]`).count(), 0);
  await snap("lookup-searched");
  await page.locator(`input[name="project"][value="${projects.Apollo}"]`).check();
  await press("Add task");
  assert.match(page.url(), /\/records\/\d+/, await text());
  out.task = Number(page.url().match(/records\/(\d+)/)[1]);
  const taskFields = await page.locator("dl.fields").first().innerText();
  assert.match(taskFields, /Project\s+Apollo/);
  assert.match(taskFields, /Backup project\s+Gemini/);
  await snap("lookup-record");

  // A project Alice may not read, sent through a tampered radio button: refused beside the field.
  await page.goto(`${BASE}/apps/lk_tasks/ops/add`);
  await page.getByLabel("Title").fill("Sneaky");
  const radio = await page.locator(`input[name="project"][value="${projects.Apollo}"]`).elementHandle();
  await radio.evaluate((el, id) => {
    el.value = id;
  }, SECRET);
  assert.equal(await page.locator(`input[name="project"][value="${SECRET}"]`).count(), 1, "the tampered value is in the form");
  await radio.check();
  await press("Add task");
  assert.match(page.url(), /\/ops\/add$/, "no record made");
  assert.match(await fieldError("project").innerText(), /that you can open/);
  assert.doesNotMatch(await text(), /secret/i);
  await snap("lookup-refused");

  // --- d) Deleting a referenced record ----------------------------------------------------------
  // A second task refers to Apollo; Gemini is the backup of both.
  await page.goto(`${BASE}/apps/lk_tasks/ops/add`);
  await page.getByLabel("Title").fill("Review the plan");
  await page.locator(`input[name="project"][value="${projects.Apollo}"]`).check();
  await page.locator(`input[name="backup"][value="${projects.Gemini}"]`).check();
  await press("Add task");
  assert.match(page.url(), /\/records\/\d+/, await text());
  out.task2 = Number(page.url().match(/records\/(\d+)/)[1]);
  // `project` refuses: the count on the page, nothing deleted.
  await page.goto(`${BASE}/apps/lk_projects/records/${projects.Apollo}`);
  await page.getByRole("link", { name: "Delete project" }).click();
  await page.waitForURL(/\/ops\/remove/);
  assert.match(await text(), /This cannot be undone/);
  await press("Delete project");
  assert.match(await text(), /2 records of Tasks refer to it/);
  await snap("delete-refused");
  await page.goto(`${BASE}/apps/lk_projects/records/${projects.Apollo}`);
  assert.match(await page.locator("h1").innerText(), /Apollo/, "Apollo is still there");
  // `backup` clears: Gemini goes, and each task shows it emptied, with a history entry.
  await page.goto(`${BASE}/apps/lk_projects/ops/remove?record=${projects.Gemini}`);
  await press("Delete project");
  assert.doesNotMatch(page.url(), /\/records\//, "away from the deleted record");
  await page.goto(`${BASE}/apps/lk_tasks/records/${out.task2}`);
  const cleared = await page.locator("dl.fields").first().innerText();
  assert.match(cleared, /Backup project\s+—/);
  assert.match(cleared, /Project\s+Apollo/);
  assert.match(await text(), /Delete project \(Projects\)/);
  await snap("delete-cleared");

  // --- The top bar of an administrator on a phone --------------------------------------------
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Sign out" }).click()]);
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  await page.goto(`${BASE}/admin/apps`);
  for (const size of [LAPTOP, PHONE]) {
    await page.setViewportSize(size);
    const bar = await page.evaluate(() => {
      const box = (el) => el.getBoundingClientRect();
      const items = [...document.querySelectorAll(".topbar .nav > a, .topbar .nav > form button")];
      return {
        brand: box(document.querySelector(".topbar .brand")),
        nav: box(document.querySelector(".topbar .nav")),
        items: items.map((el) => {
          // Where the item's words are drawn (an icon beside them must not push them down).
          const rects = [];
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (!n.textContent.trim()) continue;
            const words = document.createRange();
            words.selectNodeContents(n);
            rects.push(...[...words.getClientRects()].filter((r) => r.width > 0));
          }
          const top = Math.min(...rects.map((r) => r.top));
          const text = { top, height: Math.max(...rects.map((r) => r.bottom)) - top };
          return { text: el.textContent.trim(), lines: new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size, box: text };
        }),
      };
    });
    for (const i of bar.items) assert.equal(i.lines, 1, `"${i.text}" is on one line at ${size.width}px`);
    // Items on one row share their middle: none sits lower than its neighbours.
    const rows = new Map();
    for (const i of bar.items) {
      const mid = i.box.top + i.box.height / 2;
      const row = [...rows.keys()].find((m) => Math.abs(m - mid) < i.box.height / 2);
      if (row === undefined) rows.set(mid, [i]);
      else rows.get(row).push(i);
    }
    for (const [mid, items] of rows) {
      for (const i of items) {
        assert.ok(Math.abs(i.box.top + i.box.height / 2 - mid) <= 2, `"${i.text}" is out of line at ${size.width}px: ${JSON.stringify(bar.items.map((x) => [x.text, x.box]))}`);
      }
    }
    if (size === PHONE) {
      // The links start under the brand, across the whole bar, in at most three rows.
      assert.ok(Math.abs(bar.nav.left - bar.brand.left) <= 1, `the links start under the brand (${bar.nav.left} vs ${bar.brand.left})`);
      assert.ok(rows.size <= 3, `the links take ${rows.size} rows at 390px`);
    }
  }
  await page.setViewportSize(LAPTOP);
  await snap("admin-top-bar");

  out.ok = true;
  console.log(JSON.stringify(out));
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
