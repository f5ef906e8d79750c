// An upload link's page in a real browser: on a phone (390 px) with JavaScript off, the person
// chooses the receipt in the page's file input (which would open the camera) and sends it; the
// page says it is done. axe-core then checks a second, unused link's page at 1280 and 390 px (in
// a context with scripts on, only for axe, and the CSP bypassed only to evaluate it).
//
// Started by tests/python/test_browser_upload_link.py, which runs the server, makes the links
// over MCP and checks what was stored.
//   UPLOAD_URL, AXE_URL, RECEIPT (a file to send), ARTIFACTS, CHROMIUM
// Prints one JSON line; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP, PHONE } from "./chromium.mjs";

const UPLOAD_URL = env("UPLOAD_URL");
const AXE_URL = env("AXE_URL");
const RECEIPT = env("RECEIPT");
const ARTIFACTS = env("ARTIFACTS");
prepare(ARTIFACTS);
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
const out = { ok: false, axe: [] };
let browser;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });

  // The phone, no scripts.
  const phone = await browser.newContext({ javaScriptEnabled: false, viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  page.setDefaultTimeout(15000);
  const first = await page.goto(UPLOAD_URL);
  assert.equal(first.status(), 200);
  const input = page.getByLabel(/Receipt/);
  assert.equal(await input.getAttribute("capture"), "environment");
  assert.match(await input.getAttribute("accept"), /^image\/\*/);
  assert.equal(await page.locator(".upload-qr").isVisible(), false, "no QR code on a phone");
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= PHONE.width, `the page scrolls sideways at ${PHONE.width}px (${wide})`);
  await page.screenshot({ path: join(ARTIFACTS, "upload-link-01-form-390.png"), fullPage: true });
  await input.setInputFiles(RECEIPT);
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Send" }).click()]);
  const done = await page.getByRole("status").innerText();
  assert.match(done, /Receipt received; you can go back to the chat\./);
  await page.screenshot({ path: join(ARTIFACTS, "upload-link-02-done-390.png"), fullPage: true });
  // The link is spent.
  const again = await page.goto(UPLOAD_URL);
  assert.equal(again.status(), 410);
  await phone.close();

  // axe-core on a fresh link's page, at both widths; the QR code shows on the computer.
  const desk = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: LAPTOP });
  const axePage = await desk.newPage();
  const resp = await axePage.goto(AXE_URL);
  assert.equal(resp.status(), 200);
  assert.equal(await axePage.locator(".upload-qr img").isVisible(), true, "a QR code on a computer");
  await axePage.evaluate(AXE);
  for (const size of [LAPTOP, PHONE]) {
    await axePage.setViewportSize(size);
    const found = await axePage.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
    });
    out.axe.push(...found.map((f) => `${size.width}px ${f}`));
    await axePage.screenshot({ path: join(ARTIFACTS, `upload-link-03-axe-${size.width}.png`), fullPage: true });
  }
  assert.deepEqual(out.axe, [], `axe-core found: ${out.axe.join("\n")}`);
  await desk.close();
  out.ok = true;
  console.log(JSON.stringify(out));
} finally {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
}
