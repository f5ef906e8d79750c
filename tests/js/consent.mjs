// An MCP client's OAuth sign-in as a person sees it: Debian's Chromium, driven by playwright-core,
// opens the /oauth/authorize URL a client (Claude, say) would open, is sent to Formwork's own
// sign-in page, signs in, reads the consent page naming the client, and clicks Allow or Deny.
// Formwork then redirects the browser to the client's redirect URI (a listener run by the test);
// this script reports where the browser ended up. The test does the rest (token exchange, /mcp).
// JavaScript is off in the page, as in browser.mjs: Formwork's pages must work without it.
//
// Started by tests/python/test_browser_oauth.py; inputs come from the environment:
//   FORMWORK_URL        base URL of the running server
//   AUTHORIZE_URL       the full /oauth/authorize URL (PKCE S256, state, resource)
//   REDIRECT_URI        the client's redirect URI: the flow ends when the browser gets there
//   CLIENT_NAME         the registered client's name, which the consent page must show
//   FORMWORK_USER       who signs in (alice)            FORMWORK_PASSWORD  her password
//   DECISION            allow | deny: the consent button to click
//   MISTYPE_PASSWORD_FIRST  1: first sign in with a wrong password (the request must survive it)
//   ARTIFACTS           folder for screenshots (git-ignored); files are named oauth-DECISION-*.png
//   CHROMIUM            the browser binary (default /usr/bin/chromium; never downloaded)
// Prints one JSON line with what it saw; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const AUTHORIZE_URL = env("AUTHORIZE_URL");
const REDIRECT_URI = env("REDIRECT_URI");
const CLIENT_NAME = env("CLIENT_NAME");
const USER = env("FORMWORK_USER", "alice");
const PASSWORD = env("FORMWORK_PASSWORD");
const DECISION = env("DECISION", "allow");
const MISTYPE = env("MISTYPE_PASSWORD_FIRST", "") === "1";
const ARTIFACTS = env("ARTIFACTS");
assert.ok(DECISION === "allow" || DECISION === "deny", `DECISION must be allow or deny, not ${DECISION}`);

prepare(ARTIFACTS);

// Claude and other clients open the sign-in in a popup window about this size.
const POPUP = { width: 480, height: 720 };

const seen = { pages: [], problems: [], consent: {} };
const expected = []; // problems that a step causes on purpose (the 401 of a mistyped password)
const shot = (label) => join(ARTIFACTS, `oauth-${DECISION}-${label}.png`);

/** Records a page and checks it is whole: no script, no sideways scrolling; takes a screenshot. */
async function look(page, label) {
  const scripts = await page.locator("script").count();
  if (scripts > 0) seen.problems.push(`${label}: the page has ${scripts} <script> element(s)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) seen.problems.push(`${label}: scrolls sideways by ${overflow}px at ${page.viewportSize().width}px`);
  seen.pages.push({ label, url: page.url().replace(BASE, ""), title: await page.title() });
  await page.screenshot({ path: shot(label), fullPage: true });
}

const profile = mkdtempSync(join(tmpdir(), "formwork-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    javaScriptEnabled: false, // Formwork ships no JavaScript: sign-in and consent must work without it
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
    if (msg.type() === "error") seen.problems.push(`console error: ${msg.text()} (${msg.location()?.url ?? "?"})`);
  });

  // The client sends the person to the authorize endpoint; nobody is signed in yet.
  await page.goto(AUTHORIZE_URL);
  const loginUrl = new URL(page.url());
  assert.equal(loginUrl.origin, BASE, "the sign-in page is Formwork's own");
  assert.equal(loginUrl.pathname, "/login", `sent to the sign-in page, not ${page.url()}`);
  assert.ok((loginUrl.searchParams.get("next") ?? "").startsWith("/oauth/authorize?"), "and back to the request afterwards");
  assert.equal(await page.locator("h1").innerText(), "Sign in");
  await look(page, "login");
  await page.setViewportSize(POPUP);
  await look(page, "login-popup");
  await page.setViewportSize(LAPTOP);

  if (MISTYPE) {
    // A mistyped password: the error is shown and the request is not lost.
    await page.getByLabel("Username").fill(USER);
    await page.getByLabel("Password").fill(`${PASSWORD}-typo`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /incorrect/);
    assert.ok((await page.locator("input[name=next]").inputValue()).startsWith("/oauth/authorize?"), "the request survives a failed sign-in");
    await look(page, "login-failed");
    expected.push((p) => /^HTTP 401 for POST \S*\/login$/.test(p) || /status of 401 .*\/login\)$/.test(p));
  }
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === "/oauth/authorize");

  // The consent page names the client and the person, and offers Allow and Deny.
  const h1 = (await page.locator("h1").innerText()).trim();
  const text = await page.locator("section.consent").innerText();
  seen.consent = { h1, title: await page.title(), text };
  assert.equal(h1, `Allow ${CLIENT_NAME} to act as you?`);
  assert.ok(text.includes(`${CLIENT_NAME} (Generic OAuth client) asks to use Formwork on your behalf`), text);
  assert.match(text, new RegExp(`You are signed in as (${USER}|.+ \\(${USER}\\))\\.`), "the page says who is signed in");
  assert.ok(text.includes("It never sees your password."), text);
  assert.ok(text.includes(`you go back to ${new URL(REDIRECT_URI).hostname}`), "the page says where the answer goes");
  await page.getByText(`Signed in as ${USER}`, { exact: true }).waitFor({ state: "attached" });
  const allow = page.getByRole("button", { name: "Allow", exact: true });
  const deny = page.getByRole("button", { name: "Deny", exact: true });
  assert.ok((await allow.isVisible()) && (await deny.isVisible()), "Allow and Deny are both shown");
  await look(page, "consent");
  await page.setViewportSize(POPUP);
  await look(page, "consent-popup");
  assert.ok((await allow.isVisible()) && (await deny.isVisible()), "Allow and Deny fit the popup");
  await page.setViewportSize(LAPTOP);

  // The decision; Formwork redirects the browser to the client's redirect URI.
  await (DECISION === "allow" ? allow : deny).click();
  await page.waitForURL((u) => u.href.startsWith(REDIRECT_URI));
  const landed = page.url();
  await page.screenshot({ path: shot("callback"), fullPage: true });

  writeFileSync(join(ARTIFACTS, `oauth-${DECISION}.json`), JSON.stringify({ ...seen, landed }, null, 2));
  const unexpected = seen.problems.filter((p) => !expected.some((ok) => ok(p)));
  assert.deepEqual(unexpected, [], "pages load whole, without scripts, failed requests or sideways scrolling");
  console.log(JSON.stringify({ ok: true, landed, pages: seen.pages, consent: seen.consent }));
} catch (e) {
  try {
    const page = context?.pages()[0];
    if (page) {
      await page.screenshot({ path: shot("failure"), fullPage: true });
      writeFileSync(join(ARTIFACTS, `oauth-${DECISION}-failure.html`), await page.content());
    }
  } catch {}
  console.error(`OAuth walk failed: ${e.stack || e}`);
  console.error(JSON.stringify(seen, null, 2));
  process.exitCode = 1;
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
