// A place filled by the browser's position, JavaScript on: Alice's phone shares where it is (a
// fixed position granted to this page), "Use my location" fills the Location input as the server
// reads it, and the record page shows the place with its map link. Then the same form refuses a
// place typed out of range, beside its input.
//
// Started by tests/python/test_browser_geolocation.py, which runs the server and publishes the app.
//   FORMWORK_URL, FORMWORK_USER (alice), FORMWORK_PASSWORD, ARTIFACTS, CHROMIUM
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
prepare(ARTIFACTS);

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 390, height: 844 },
    geolocation: { latitude: -33.85678449, longitude: 151.2152967, accuracy: 12.34 },
    permissions: ["geolocation"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const problems = [];
  // The refused submission's 422 is expected; anything else (a script error, a blocked script) is not.
  page.on("console", (m) => m.type() === "error" && !/status of 422/.test(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));

  await page.goto(`${BASE}/apps/site_visits/ops/add`);
  await page.getByLabel("Place").fill("Opera House");
  await page.getByRole("button", { name: "Use my location" }).click();
  const location = page.getByLabel("Location");
  await page.waitForFunction(() => document.querySelector("input[name=location]").value !== "");
  const filled = await location.inputValue();
  assert.equal(filled, "-33.8567845, 151.2152967 ± 12.3 m");
  assert.match(await page.locator("body").innerText(), /Location filled in/);
  await page.screenshot({ path: join(ARTIFACTS, "geolocation-1-filled.png"), fullPage: true });
  await page.getByRole("button", { name: "Add visit" }).click();
  await page.waitForURL(/\/records\/\d+/);
  const record = Number(page.url().match(/\/records\/(\d+)/)[1]);
  const shown = await page.locator("body").innerText();
  assert.match(shown, /-33\.8567845, 151\.2152967/);
  const map = await page.getByRole("link", { name: "Map" }).getAttribute("href");
  assert.equal(map, "https://www.openstreetmap.org/?mlat=-33.8567845&mlon=151.2152967#map=17/-33.8567845/151.2152967");
  await page.screenshot({ path: join(ARTIFACTS, "geolocation-2-record.png"), fullPage: true });

  // Typed by hand, out of range: refused beside the input, the text kept to be corrected.
  await page.goto(`${BASE}/apps/site_visits/ops/add`);
  await page.getByLabel("Place").fill("Nowhere");
  await location.fill("95, 10");
  await page.getByRole("button", { name: "Add visit" }).click();
  await page.waitForLoadState();
  assert.match(await page.locator("body").innerText(), /latitude must be between -90 and 90/);
  assert.equal(await location.inputValue(), "95, 10");
  await page.screenshot({ path: join(ARTIFACTS, "geolocation-3-refused.png"), fullPage: true });
  assert.deepEqual(problems, [], "no script errors, nothing the Content-Security-Policy blocked");
  console.log(JSON.stringify({ ok: true, record, filled }));
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
