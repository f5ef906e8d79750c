// The App Editor in a real browser: Debian's Chromium driven by playwright-core, JavaScript off.
//
// An administrator builds a "Site Visits" app from a blank app — text, number, date, choice (the
// state field) and user (the owner) fields, the roles staff and admin, a "My visits" view of own
// records with a Status parameter, a create operation and a transition — enables the view and the
// create operation for MCP on their Integration tabs, and publishes with a note. Then two employees
// with the role staff use it on the web: Erin plans a visit with the create form, finds it in the
// view (also through its Status parameter) and marks it done with the transition; Frank plans one
// of his own and sees only his. Finally the administrator previews the view as staff/erin.
//
// Started by tests/python/test_browser_editor.py, which runs the server, adds the users and does
// the MCP part with the Python SDK afterwards. Inputs come from the environment:
//   FORMWORK_URL        base URL of a running server (MCP on)
//   ADMIN_USER          an administrator (admin)          PASSWORD  everyone's password
//   STAFF_USER          an employee with the role staff (erin)
//   OTHER_STAFF_USER    another one (frank)
//   ARTIFACTS           folder for the screenshots (tests/artifacts/editor, git-ignored)
//   CHROMIUM            the browser binary (default /usr/bin/chromium; never downloaded)
// Prints one JSON line with what it saw; exits non-zero on the first failed check.
//
// axe-core is not among tests/js's packages, so the pages get a small built-in check instead
// (`a11y` below): every form control has an accessible name, ids are unique, one h1, lang set,
// images have alt text, and text contrast. Contrast under 3:1 (unreadable) is a defect; between
// 3:1 and the AA 4.5:1 a warning.
//
// A failed step of the scenario stops the walk (exit 1). Defects that do not block it — the
// accessibility findings and editor behaviour checked along the way — are collected in
// `defects` instead, so the walk (and the MCP part after it) still runs; the Python test asserts
// the list is empty at the end. `warnings` are reported, not asserted.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const ADMIN = env("ADMIN_USER", "admin");
const STAFF = env("STAFF_USER", "erin");
const OTHER = env("OTHER_STAFF_USER", "frank");
const PASSWORD = env("PASSWORD");
const ARTIFACTS = env("ARTIFACTS");

prepare(ARTIFACTS);

const APP = "site_visits";
const ERIN_VISIT = "Visit to the Hamburg plant";
const FRANK_VISIT = "Frank's private visit to Lyon";
const seen = { screenshots: [], pages: [], problems: [], defects: [], warnings: [] };

/** A defect that does not block the scenario: recorded, asserted by the Python test at the end. */
const defect = (ok, message) => {
  if (!ok) seen.defects.push(message);
};

/** Where the page is, without the base URL. */
const here = (page) => page.url().replace(BASE, "");

/** The small accessibility check (see the header): returns findings for this page. */
async function a11y(page, label) {
  const found = await page.evaluate(() => {
    const out = [];
    if (!document.documentElement.getAttribute("lang")) out.push("<html> has no lang");
    const h1 = document.querySelectorAll("h1").length;
    if (h1 !== 1) out.push(`${h1} h1 elements`);
    const ids = new Map();
    for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, n] of ids) if (n > 1) out.push(`id "${id}" used ${n} times`);
    for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) out.push(`img ${img.src} has no alt`);
    for (const el of document.querySelectorAll("input, select, textarea, button")) {
      if (el.type === "hidden") continue;
      const named =
        (el.labels && [...el.labels].some((l) => l.textContent.trim())) ||
        el.getAttribute("aria-label")?.trim() ||
        el.getAttribute("aria-labelledby") ||
        el.getAttribute("title")?.trim() ||
        (el.tagName === "BUTTON" && el.textContent.trim());
      if (!named) out.push(`${el.tagName.toLowerCase()}[name=${el.getAttribute("name")}] has no accessible name`);
      // A label wrapping two controls names the first; the second must carry its own name.
      const wrap = el.closest("label");
      if (wrap && !wrap.htmlFor) {
        const inside = wrap.querySelectorAll("input:not([type=hidden]), select, textarea");
        if (inside.length > 1 && inside[0] !== el && !el.getAttribute("aria-label")) {
          out.push(`${el.tagName.toLowerCase()}[name=${el.getAttribute("name")}] shares a label with another control`);
        }
      }
    }
    // Text contrast (WCAG 2 AA, 4.5:1) of visible text against the background it is drawn on.
    const rgba = (c) => (c.match(/[\d.]+/g) ?? ["0", "0", "0", "0"]).map(Number).concat([1]).slice(0, 4);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) return c;
      }
      return [255, 255, 255, 1];
    };
    for (const el of document.querySelectorAll("body *")) {
      const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
      if (!text || !el.getClientRects().length || el.closest(".sr-only") || el.disabled) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
      const [a, b] = [lum(rgba(style.color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) {
        const what = `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : ""}`;
        out.push(`${ratio < 3 ? "" : "warning: "}${what} "${text.slice(0, 40)}" has a text contrast of ${ratio.toFixed(2)}:1 (AA needs 4.5:1)`);
      }
    }
    return [...new Set(out)];
  });
  for (const f of found) {
    if (f.startsWith("warning: ")) seen.warnings.push(`${label}: ${f.slice(9)}`);
    else seen.defects.push(`${label}: accessibility: ${f}`);
  }
}

/** Checks a page is whole (no script) and accessible enough; optionally takes a screenshot. */
async function look(page, label, screenshot) {
  const scripts = await page.locator("script").count();
  if (scripts > 0) seen.problems.push(`${label}: the page has ${scripts} <script> element(s)`);
  seen.pages.push({ label, url: here(page), title: await page.title() });
  await a11y(page, label);
  if (screenshot) {
    const path = join(ARTIFACTS, `${screenshot}.png`);
    await page.screenshot({ path, fullPage: true });
    seen.screenshots.push(path);
  }
}

/** Clicks a submit button and waits for the page it leads to; the page must show no refusal. */
async function submit(page, button, expectUrl, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), button.click()]);
  const refusals = await page.locator(".error-box, .error-text").allInnerTexts();
  assert.deepEqual(refusals, [], `${label}: the form was refused at ${here(page)}`);
  assert.match(here(page), expectUrl, `${label}: where the form led`);
}

/** Goes to a path and checks it answers 200. */
async function open(page, path) {
  const resp = await page.goto(`${BASE}${path}`);
  assert.equal(resp.status(), 200, `GET ${path}: ${resp.status()}`);
}

async function signIn(browser, user) {
  const context = await browser.newContext({
    javaScriptEnabled: false, // Formwork ships no JavaScript: everything must work without it
    viewport: LAPTOP,
    deviceScaleFactor: 1,
    locale: "en-GB",
    timezoneId: "Europe/Berlin",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("requestfailed", (req) => seen.problems.push(`${user}: request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (resp) => {
    if (resp.status() >= 400) seen.problems.push(`${user}: HTTP ${resp.status()} for ${resp.request().method()} ${resp.url()}`);
  });
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PASSWORD);
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
  await page.getByText(`Signed in as ${user}`).waitFor({ state: "attached" });
  return page;
}

/** Adds a field on the Fields tab; lands on its edit page. */
async function addField(page, label, name, type) {
  await open(page, `/admin/apps/${APP}/fields`);
  const form = page.locator("form", { has: page.getByRole("button", { name: "Add field" }) });
  await form.getByLabel("Label").fill(label);
  await form.getByLabel(/^Name/).fill(name);
  await form.getByLabel("Type").selectOption(type);
  await submit(page, form.getByRole("button", { name: "Add field" }), new RegExp(`^/admin/apps/${APP}/fields/${name}\\?saved=1$`), `add field ${name}`);
  assert.equal(await page.locator("#c-type").inputValue(), type, `${name} has the type ${type}`);
}

/** Fills controls of a field's edit page (by control name) and saves it. */
async function editField(page, name, values, checks = {}) {
  for (const [control, value] of Object.entries(values)) {
    const el = page.locator(`[name="${control}"]`).first();
    // A choice field's default is picked from its options.
    if ((await el.evaluate((e) => e.tagName)) === "SELECT") {
      await el.selectOption(value);
    }
    else await el.fill(value);
  }
  for (const [control, on] of Object.entries(checks)) await page.locator(`input[type=checkbox][name="${control}"]`).setChecked(on);
  await submit(page, page.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/fields/${name}\\?saved=1$`), `save field ${name}`);
}

/** The row of a checkbox table (operation inputs) for a field. */
const inputRow = (page, field) => page.locator("table.grid tbody tr", { has: page.locator(`code:text-is("${field}")`) });

let browser;
const pages = [];
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });

  // ---- The administrator builds the app ------------------------------------------------------
  const admin = await signIn(browser, ADMIN);
  pages.push(admin);
  await open(admin, "/admin/apps");
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "New app" }).click()]);
  assert.equal(here(admin), "/admin/apps/new");
  await admin.getByLabel("Name").fill("Site Visits");
  await admin.getByLabel("Description").fill("Staff plan visits to customers and plants, and mark them done.");
  const blank = admin.getByRole("radio", { name: /A blank app/ });
  assert.ok(await blank.isChecked(), "a blank app is the default template");
  assert.ok((await admin.getByRole("radio").count()) >= 2, "sample apps are offered as templates");
  await look(admin, "new-app", "01-new-app");
  await submit(admin, admin.getByRole("button", { name: "Create app" }), new RegExp(`^/admin/apps/${APP}/fields\\?saved=1$`), "create app");
  assert.match(await admin.locator("h1").innerText(), /Site Visits\s+site_visits/);
  assert.match(await admin.locator("p.muted", { hasText: "Published:" }).innerText(), /not published/);
  // The blank app's one field, its title, shown as the user will see it.
  assert.equal(await admin.locator("table.records tbody tr").count(), 1);
  assert.equal(await admin.locator("td.preview").getByLabel("Title").count(), 1, "the list shows the Title input");
  const types = await admin.locator("#a-type option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(types, [
    "text", "long_text", "number", "money", "date", "currency", "choice", "user", "file",
    "yesno", "multichoice", "email", "phone", "url", "integer", "datetime", "photo", "geolocation",
    "lookup", "computed", "converted", "lines",
  ]);

  // A refusal comes back with its message beside the control, and nothing is added.
  await admin.getByLabel("Type").selectOption("number");
  await Promise.all([admin.waitForNavigation(), admin.getByRole("button", { name: "Add field" }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/fields`);
  assert.match(await admin.locator(".field.has-error", { has: admin.locator("#a-label") }).innerText(), /give the field a label/);
  assert.equal(await admin.locator("table.records tbody tr").count(), 1, "nothing was added");
  seen.problems = seen.problems.filter((p) => !p.includes("HTTP 422"));

  // Fields: a number, a date, a choice (the state field), a user (the owner).
  await addField(admin, "Visitors", "visitors", "number");
  await editField(admin, "visitors", { min: "1", max: "20", help: "How many people go, from 1 to 20." });
  await addField(admin, "Visit date", "visit_date", "date");
  await editField(admin, "visit_date", { help: "The day of the visit." }, { required: true });
  await addField(admin, "Status", "status", "choice");
  assert.equal(await admin.locator("#c-options").inputValue(), "Option 1\nOption 2", "a new choice field starts with two options");
  await editField(admin, "status", { options: "Planned\nDone\nCancelled" });
  await editField(admin, "status", { default: "Planned" });
  assert.deepEqual(
    await admin.locator("aside.preview-box select option").allInnerTexts(),
    ["—", "Planned", "Done", "Cancelled"],
    "the preview shows the options as the user sees them",
  );
  assert.equal(await admin.locator("aside.preview-box select").inputValue(), "Planned", "…with the default selected");
  await look(admin, "field-edit", "04-field-edit");
  await addField(admin, "Visited by", "owner", "user");
  await editField(admin, "owner", { default: "$me" });

  // Reorder: the owner moves up above Status.
  await open(admin, `/admin/apps/${APP}/fields`);
  await submit(admin, admin.getByRole("button", { name: "Move Visited by up" }), new RegExp(`^/admin/apps/${APP}/fields\\?saved=1$`), "move a field up");
  const order = await admin.locator("table.records tbody tr td:first-child code").allInnerTexts();
  assert.deepEqual(order, ["title", "visitors", "visit_date", "owner", "status"]);
  assert.equal(await admin.locator("td.preview").getByLabel("Visit date").getAttribute("type"), "date");
  await look(admin, "fields", "03-fields");

  // General: title, owner and state fields; the roles.
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "General" }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}`);
  assert.deepEqual(await admin.getByLabel("Owner field").locator("option").allInnerTexts(), ["— none —", "Visited by (owner)"], "only user fields");
  assert.deepEqual(await admin.getByLabel("State field").locator("option").allInnerTexts(), ["— none —", "Status (status)"], "only choice fields");
  await admin.getByLabel("Title field").selectOption("title");
  await admin.getByLabel("Owner field").selectOption("owner");
  await admin.getByLabel("State field").selectOption("status");
  await admin.getByLabel("Roles").fill("staff\nadmin");
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}\\?saved=1$`), "save General");
  assert.equal(await admin.getByLabel("Owner field").inputValue(), "owner");
  assert.equal(await admin.getByLabel("State field").inputValue(), "status");
  assert.equal(await admin.getByLabel("Roles").inputValue(), "staff\nadmin");
  assert.match(await admin.locator(".flash").innerText(), /Saved to the draft/);
  await look(admin, "general", "02-general");

  // A view of one's own visits, with a Status parameter.
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "Views", exact: true }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/views`);
  await admin.getByLabel("Title").fill("My visits");
  await submit(admin, admin.getByRole("button", { name: "Add" }), new RegExp(`^/admin/apps/${APP}/views/my_visits/edit\\?saved=1$`), "add view");
  assert.ok(await admin.locator('input[name=roles][value=staff]').isChecked(), "the first role is granted by default");
  assert.equal(await admin.getByLabel("Rows").inputValue(), "own");
  await admin.getByLabel("Description").fill("Your own visits, the latest first.");
  for (const [field, pos] of [["title", "1"], ["visit_date", "2"], ["visitors", "3"], ["status", "4"]]) {
    await admin.locator(`input[name=columns][value=${field}]`).check();
    await admin.locator(`input[name=pos_${field}]`).fill(pos);
  }
  await admin.getByLabel("Sort").fill("-visit_date");
  await admin.locator("input[name=param_name]").last().fill("status");
  await admin.locator("select[name=param_field]").last().selectOption("status");
  await admin.locator("select[name=param_op]").last().selectOption("eq");
  await admin.locator("input[name=param_label]").last().fill("Status");
  await admin.getByLabel("Records per page").fill("25");
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/views/my_visits/edit\\?saved=1$`), "save view");
  const columns = await admin.locator("input[name=columns]:checked").evaluateAll((cs) => cs.map((c) => c.value));
  assert.deepEqual(columns, ["title", "visit_date", "visitors", "status"], "the columns in their order");
  assert.equal(await admin.locator("input[name=param_name]").first().inputValue(), "status");
  assert.equal(await admin.locator("select[name=param_field]").first().inputValue(), "status");
  // The preview, as staff/erin: no record yet.
  await admin.getByLabel(/First page of the saved draft, as/).selectOption("staff");
  await admin.getByLabel("Preview user").fill(STAFF);
  await submit(admin, admin.getByRole("button", { name: "Show" }), new RegExp(`^/admin/apps/${APP}/views/my_visits/edit\\?as=staff&user=${STAFF}`), "preview");
  assert.match(await admin.locator("#preview p.muted").innerText(), new RegExp(`As ${STAFF} with the role staff: 0 record`));
  await look(admin, "view-edit-empty-preview");

  // A create operation and a transition.
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "Operations", exact: true }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/operations`);
  await admin.getByLabel("Title").fill("Plan a visit");
  await admin.getByLabel(/^Name/).fill("plan_visit");
  await admin.getByLabel("Kind").selectOption("create");
  await submit(admin, admin.getByRole("button", { name: "Add" }), new RegExp(`^/admin/apps/${APP}/operations/plan_visit/edit\\?saved=1$`), "add create operation");
  // The owner is set to the person acting ($me), not typed in.
  await inputRow(admin, "owner").locator("input[name=inputs]").uncheck();
  for (const f of ["title", "visit_date"]) await inputRow(admin, f).locator("input[name=required]").check();
  assert.ok(await admin.locator("input[name=roles][value=staff]").isChecked());
  await admin.getByLabel("Description").fill("Plans a visit: where, when and how many people go.");
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/operations/plan_visit/edit\\?saved=1$`), "save create operation");
  const inputs = await admin.locator("input[name=inputs]:checked").evaluateAll((cs) => cs.map((c) => c.value));
  assert.deepEqual(inputs, ["title", "visitors", "visit_date"]);
  await look(admin, "operation-edit", "06-operation-edit");

  await open(admin, `/admin/apps/${APP}/operations`);
  await admin.getByLabel("Title").fill("Mark done");
  await admin.getByLabel(/^Name/).fill("mark_done");
  await admin.getByLabel("Kind").selectOption("transition");
  await submit(admin, admin.getByRole("button", { name: "Add" }), new RegExp(`^/admin/apps/${APP}/operations/mark_done/edit\\?saved=1$`), "add transition");
  await admin.locator("input[name=from][value=Planned]").check();
  await admin.getByLabel("To state").selectOption("Done");
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/operations/mark_done/edit\\?saved=1$`), "save transition");
  assert.equal(await admin.getByLabel("Kind").inputValue(), "transition");
  assert.equal(await admin.getByLabel("To state").inputValue(), "Done");
  assert.ok(await admin.locator("input[name=from][value=Planned]").isChecked());
  await look(admin, "transition-edit", "06b-transition-edit");

  // MCP for the view and the create operation, on their Integration tabs (reached from the lists).
  await open(admin, `/admin/apps/${APP}/views`);
  await Promise.all([admin.waitForNavigation(), admin.locator("tr", { hasText: "My visits" }).getByRole("link", { name: "Integration" }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/views/my_visits`);
  assert.match(await admin.locator("p", { hasText: "MCP tool name" }).innerText(), /site_visits_my_visits/);
  defect(
    (await admin.locator(".tabs").getByRole("link", { name: "General" }).getAttribute("href").catch(() => null)) === `/admin/apps/${APP}/views/my_visits/edit`,
    "view Integration tab: its General tab is not a link back to the view's edit page",
  );
  await admin.getByRole("checkbox", { name: /access this view through MCP/ }).check();
  await admin.getByRole("radio", { name: /View Columns/ }).check();
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/views/my_visits(\\?saved=1)?$`), "view Integration");
  assert.ok(await admin.getByRole("checkbox", { name: /access this view through MCP/ }).isChecked());
  await look(admin, "view-integration", "05b-view-integration");

  await open(admin, `/admin/apps/${APP}/operations`);
  await Promise.all([admin.waitForNavigation(), admin.locator("tr", { hasText: "Plan a visit" }).getByRole("link", { name: "Integration" }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/operations/plan_visit`);
  await admin.getByRole("checkbox", { name: /invoke this operation through MCP/ }).check();
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/operations/plan_visit(\\?saved=1)?$`), "operation Integration");
  assert.ok(await admin.getByRole("checkbox", { name: /invoke this operation through MCP/ }).isChecked());
  await look(admin, "operation-integration");
  await open(admin, `/admin/apps/${APP}/operations`);
  const mcpColumn = await admin.locator("table.records tbody tr").evaluateAll((rs) => rs.map((r) => [r.cells[0].innerText, r.cells[3].innerText]));
  assert.deepEqual(mcpColumn.map(([, m]) => m), ["enabled", "—"], `MCP column of the operations: ${JSON.stringify(mcpColumn)}`);
  await look(admin, "operations");

  // A field in use cannot be removed: the refusal names its uses.
  await open(admin, `/admin/apps/${APP}/fields`);
  const remove = admin.getByRole("button", { name: "Remove Status" });
  defect(await remove.isVisible(), "fields list: the Remove button of a field is not visible");
  await Promise.all([admin.waitForNavigation(), remove.click()]);
  const refusal = await admin.locator(".error-box").innerText();
  assert.match(refusal, /Nothing was saved[\s\S]*still used by[\s\S]*state_field/, refusal);
  assert.equal(await admin.locator("table.records tbody tr").count(), 5, "the field stays");
  seen.problems = seen.problems.filter((p) => !p.includes("HTTP 422"));

  // Versions: the diff against nothing published, then publish with a note.
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "Review and publish" }).click()]);
  assert.equal(here(admin), `/admin/apps/${APP}/versions`);
  const diff = await admin.locator("ul.diff").innerText();
  for (const item of ["my_visits", "plan_visit", "mark_done", "status", "owner"]) assert.ok(diff.includes(item), `the diff names ${item}: ${diff}`);
  await admin.getByLabel("Note for this version").fill("First version: site visits for staff");
  await look(admin, "versions", "07-versions-diff");
  await submit(admin, admin.getByRole("button", { name: "Publish" }), new RegExp(`^/admin/apps/${APP}/versions\\?published=1$`), "publish");
  assert.match(await admin.locator(".flash").innerText(), /Published as version 1/);
  const v1 = await admin.locator("table.records tbody tr").first().innerText();
  assert.match(v1, /^1\s+in force/);
  assert.match(v1, /First version: site visits for staff/);
  assert.match(v1, new RegExp(ADMIN));
  assert.match(await admin.locator("p.muted", { hasText: "Published:" }).innerText(), /version 1 · the draft is published/);
  await look(admin, "versions-published", "07b-versions-published");

  // ---- Erin (staff) uses it on the web ------------------------------------------------------
  const erin = await signIn(browser, STAFF);
  pages.push(erin);
  // Her only app and its only view: the home page leads straight there.
  await open(erin, "/");
  assert.equal(here(erin), `/apps/${APP}/views/my_visits`);
  assert.equal(await erin.locator("table.records tbody tr").count(), 0);
  await look(erin, "erin-empty-view");
  await Promise.all([erin.waitForNavigation(), erin.getByRole("link", { name: "Plan a visit" }).first().click()]);
  assert.match(here(erin), new RegExp(`^/apps/${APP}/ops/plan_visit`));
  assert.equal(await erin.getByLabel("Visited by").count(), 0, "the owner is not an input");
  await erin.getByLabel("Title").fill(ERIN_VISIT);
  await erin.getByLabel("Visitors").fill("3");
  await erin.getByLabel("Visit date").fill("2026-06-15");
  await look(erin, "erin-create-form", "08-staff-create-form");
  await submit(erin, erin.getByRole("button", { name: "Plan a visit" }), new RegExp(`^/apps/${APP}/records/\\d+`), "create a visit");
  const erinRecord = Number(here(erin).split("?")[0].split("/").pop());
  assert.match(await erin.locator("h1").innerText(), new RegExp(ERIN_VISIT));
  assert.equal((await erin.locator("h1 .badge").innerText()).trim(), "Planned", "the state starts at the default");
  const fields = await erin.locator("dl.fields").first().innerText();
  assert.match(fields, new RegExp(`Visited by\\s+${STAFF}`), `the owner is the person acting: ${fields}`);
  await look(erin, "erin-record");

  // The view shows it, and its Status parameter filters.
  await Promise.all([erin.waitForNavigation(), erin.locator("nav.crumbs").getByRole("link", { name: "Site Visits" }).click()]);
  assert.equal(here(erin), `/apps/${APP}/views/my_visits`);
  assert.deepEqual(
    await erin.locator("table.records thead th").allTextContents().then((t) => t.map((s) => s.replace(/[↑↓▲▼]/g, "").trim())),
    ["Title", "Visit date", "Visitors", "Status"],
  );
  assert.equal(await erin.locator("table.records tbody tr").count(), 1);
  assert.match(await erin.locator("table.records tbody tr").first().innerText(), new RegExp(`${ERIN_VISIT}[\\s\\S]*3[\\s\\S]*Planned`));
  await erin.getByLabel("Status").selectOption("Done");
  await submit(erin, erin.getByRole("button", { name: "Apply" }), /status=Done/, "filter Done");
  assert.equal(await erin.locator("table.records tbody tr").count(), 0);
  await erin.getByLabel("Status").selectOption("Planned");
  await submit(erin, erin.getByRole("button", { name: "Apply" }), /status=Planned/, "filter Planned");
  assert.equal(await erin.locator("table.records tbody tr").count(), 1);
  await look(erin, "erin-view", "09-staff-view");

  // The transition on the web.
  await Promise.all([erin.waitForNavigation(), erin.getByRole("link", { name: ERIN_VISIT }).click()]);
  await Promise.all([erin.waitForNavigation(), erin.getByRole("link", { name: "Mark done" }).click()]);
  assert.match(here(erin), new RegExp(`^/apps/${APP}/ops/mark_done`));
  await submit(erin, erin.getByRole("button", { name: "Mark done" }), new RegExp(`^/apps/${APP}/records/${erinRecord}`), "mark done");
  assert.equal((await erin.locator("h1 .badge").innerText()).trim(), "Done");
  assert.equal(await erin.getByRole("link", { name: "Mark done" }).count(), 0, "no transition from Done");

  // ---- Frank (staff) has his own -------------------------------------------------------------
  const frank = await signIn(browser, OTHER);
  pages.push(frank);
  await open(frank, `/apps/${APP}/ops/plan_visit`);
  await frank.getByLabel("Title").fill(FRANK_VISIT);
  await frank.getByLabel("Visit date").fill("2026-07-01");
  await submit(frank, frank.getByRole("button", { name: "Plan a visit" }), new RegExp(`^/apps/${APP}/records/\\d+`), "frank creates a visit");
  await open(frank, `/apps/${APP}/views/my_visits`);
  const frankRows = await frank.locator("table.records tbody tr").allInnerTexts();
  assert.equal(frankRows.length, 1, `frank sees his own visit only: ${JSON.stringify(frankRows)}`);
  assert.ok(frankRows[0].includes(FRANK_VISIT));
  const erinPage = await frank.goto(`${BASE}/apps/${APP}/records/${erinRecord}`);
  assert.equal(erinPage.status(), 404, "frank cannot open erin's record");
  seen.problems = seen.problems.filter((p) => !p.includes(`/records/${erinRecord}`));

  // ---- The administrator previews the view as erin ------------------------------------------
  await open(admin, `/admin/apps/${APP}/views/my_visits/edit?as=staff&user=${STAFF}`);
  const note = await admin.locator("#preview p.muted").innerText();
  assert.match(note, new RegExp(`As ${STAFF} with the role staff: 1 record`), note);
  const previewRows = await admin.locator("#preview table.records tbody tr").allInnerTexts();
  assert.equal(previewRows.length, 1);
  assert.ok(previewRows[0].includes(ERIN_VISIT) && previewRows[0].includes("Done"), previewRows[0]);
  assert.ok(!previewRows.join(" ").includes(FRANK_VISIT), "the preview keeps to erin's own records");
  await look(admin, "view-edit", "05-view-edit-preview");

  // A second version, then a rollback to the first: the draft becomes version 1 again.
  await admin.getByLabel("Description").fill("Your own visits.");
  await submit(admin, admin.getByRole("button", { name: "Save" }), new RegExp(`^/admin/apps/${APP}/views/my_visits/edit\\?saved=1$`), "edit the view again");
  await Promise.all([admin.waitForNavigation(), admin.getByRole("link", { name: "Review and publish" }).click()]);
  assert.match(await admin.locator("ul.diff").innerText(), /my_visits/);
  await admin.getByLabel("Note for this version").fill("Shorter description");
  await submit(admin, admin.getByRole("button", { name: "Publish" }), new RegExp(`^/admin/apps/${APP}/versions\\?published=2$`), "publish version 2");
  const v1row = admin.locator("table.records tbody tr", { hasText: "First version" });
  await submit(admin, v1row.getByRole("button", { name: "Roll back to this version" }), new RegExp(`^/admin/apps/${APP}/versions\\?restored=1$`), "roll back");
  assert.match(await admin.locator("p.muted", { hasText: "Published:" }).innerText(), /version 2 · the draft has unpublished changes/);
  assert.match(await admin.locator("ul.diff").innerText(), /my_visits/, "the diff shows what the rollback changes");
  await look(admin, "versions-rolled-back", "07c-versions-rolled-back");
  await open(admin, `/admin/apps/${APP}/views/my_visits/edit`);
  assert.equal(await admin.getByLabel("Description").inputValue(), "Your own visits, the latest first.");

  writeFileSync(join(ARTIFACTS, "editor-walk.json"), JSON.stringify(seen, null, 2));
  assert.deepEqual(seen.problems, [], "pages load whole, without scripts, errors or failed requests");
  console.log(
    JSON.stringify({
      ok: true,
      erin_record: erinRecord,
      pages: seen.pages.length,
      screenshots: seen.screenshots,
      defects: seen.defects,
      warnings: seen.warnings,
    }),
  );
} catch (e) {
  try {
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: join(ARTIFACTS, `failure-${i}.png`), fullPage: true });
      writeFileSync(join(ARTIFACTS, `failure-${i}.html`), await page.content());
    }
  } catch {}
  writeFileSync(join(ARTIFACTS, "editor-walk.json"), JSON.stringify(seen, null, 2));
  console.error(`editor walk failed: ${e.stack || e}`);
  console.error(JSON.stringify(seen, null, 2));
  process.exitCode = 1;
} finally {
  await browser?.close();
}
