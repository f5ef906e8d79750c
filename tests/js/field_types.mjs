// Every everyday field type in a real browser, JavaScript off: Alice (time zone Europe/Berlin)
// fills the Site visits form — Yes in a list, two checkboxes, an email, a phone number, a web
// address, a whole number, a date and time in the picker and a photo — then reads the record page
// back; a bad value of each kind comes back beside its input with the others kept.
//
// Started by tests/python/test_browser_field_types.py, which runs the server and publishes the app.
//   FORMWORK_URL, FORMWORK_USER (alice), FORMWORK_PASSWORD, ARTIFACTS, CHROMIUM
//   PHOTO   an image file for the photo input
// Prints one JSON line with what it saw; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USER = env("FORMWORK_USER", "alice");
const PASSWORD = env("FORMWORK_PASSWORD");
const ARTIFACTS = env("ARTIFACTS");
const PHOTO = env("PHOTO");
prepare(ARTIFACTS);

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    javaScriptEnabled: false,
    // A phone: the photo input is the one that opens its camera.
    viewport: { width: 390, height: 844 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));

  // First a bad value of each kind the browser lets through (type=email and type=url would stop
  // the submission before the server sees it, so those are left to the server-side tests).
  await page.goto(`${BASE}/apps/site_visits/ops/add`);
  await page.getByLabel("Place").fill("Depot North");
  await page.getByLabel("Phone").fill("call me");
  await page.getByLabel("Distance").fill("2.5");
  await page.getByLabel("Ladder").check();
  await page.getByRole("button", { name: "Add visit" }).click();
  await page.waitForLoadState();
  await page.screenshot({ path: join(ARTIFACTS, "field-types-1-refused.png"), fullPage: true });
  const refused = await page.locator("body").innerText();
  assert.match(refused, /is not a phone number/);
  assert.match(refused, /has decimals; this field takes whole numbers only/);
  assert.equal(await page.getByLabel("Ladder").isChecked(), true, "the ticked option is kept");
  assert.equal(await page.getByLabel("Place").inputValue(), "Depot North", "the other values are kept");

  // Now every input filled as a person would.
  await page.getByLabel("Overnight").selectOption("yes");
  await page.getByLabel("Camera").check();
  await page.getByLabel("Contact email").fill("Ann.Lee@Example.ORG");
  await page.getByLabel("Phone").fill("+44 20 7946 0958");
  await page.getByLabel("Website").fill("https://example.org/depot");
  await page.getByLabel("Distance").fill("1250");
  await page.getByLabel("Starts at").fill("2026-03-05T14:30");
  const photo = page.getByLabel("Photo");
  assert.equal(await photo.getAttribute("capture"), "environment");
  assert.equal(await photo.getAttribute("accept"), "image/*");
  await photo.setInputFiles(PHOTO);
  await page.screenshot({ path: join(ARTIFACTS, "field-types-2-filled.png"), fullPage: true });
  await page.getByRole("button", { name: "Add visit" }).click();
  await page.waitForURL(/\/records\/\d+/);
  await page.screenshot({ path: join(ARTIFACTS, "field-types-3-record.png"), fullPage: true });
  const record = Number(page.url().match(/records\/(\d+)/)[1]);
  const shown = {};
  for (const label of ["Overnight", "Equipment", "Contact email", "Phone", "Website", "Distance", "Starts at"]) {
    shown[label] = (await page.locator(`dt:text-is("${label}") + dd`).innerText()).trim();
  }
  assert.deepEqual(shown, {
    Overnight: "Yes",
    Equipment: "Ladder, Camera",
    "Contact email": "Ann.Lee@example.org",
    Phone: "+442079460958",
    Website: "https://example.org/depot",
    Distance: "1,250 km",
    "Starts at": "2026-03-05 14:30 CET",
  });

  // The edit form holds the stored values again, the time in Alice's zone.
  await page.goto(`${BASE}/apps/site_visits/ops/edit?record=${record}`);
  assert.equal(await page.getByLabel("Starts at").inputValue(), "2026-03-05T14:30");
  assert.equal(await page.getByLabel("Camera").isChecked(), true);
  assert.equal(await page.getByLabel("Drill").isChecked(), false);
  await page.getByLabel("Camera").uncheck();
  await page.getByLabel("Drill").check();
  await page.getByLabel("Overnight").selectOption("no");
  await page.getByRole("button", { name: "Edit visit" }).click();
  await page.waitForURL(/\/records\/\d+/);
  const after = await page.locator("body").innerText();
  assert.match(after, /Ladder, Drill/);
  await page.screenshot({ path: join(ARTIFACTS, "field-types-4-history.png"), fullPage: true });
  console.log(JSON.stringify({ ok: true, record, shown }));
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
