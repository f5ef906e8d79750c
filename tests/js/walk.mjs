// Every screen, as each demo role sees it, on a laptop (1280 px) and a phone (390 px): Debian's
// Chromium driven by playwright-core. JavaScript is on here because axe-core needs it (its checks
// wait on timers); browser.mjs and editor.mjs show that the pages work with it off.
//
// The walk signs in as each user and follows the links it finds (navigation, tiles, rows, buttons
// that are links), so screens added later are walked too. Each screen is visited once per "kind":
// numbers in paths stand for any record, user or client (`/apps/a/records/{n}`), an App Editor's
// app slug for any app, and under one list of the editor (fields, views, operations) only the first
// two entries are opened. App pages (`/apps/…`) are walked again for every user, since what a role
// sees there differs; the other pages once. Before signing in it walks the sign-in, forgot-password,
// spent reset link and 404 pages; with AUTHORIZE_URL it also opens an MCP client's consent page (without answering).
//
// On every screen, at both widths:
//   - the page answered (no 4xx/5xx except the 404 page itself) and has no inline <script>;
//   - nothing scrolls sideways: document.documentElement.scrollWidth <= the viewport's width;
//   - axe-core (npm) finds no serious or critical violation (colour contrast of 4.5:1 is one);
//   - a full-page screenshot goes to ARTIFACTS/<user>/<screen>-<width>.png.
// axe.min.js is evaluated in the page through the DevTools protocol; the context bypasses the CSP
// for that only (the pages' own CSP forbids inline script, and they must keep working without it).
//
// Started by tests/python/test_browser_walk.py with the demo running. Environment:
//   FORMWORK_URL     base URL of the running server (`serve --demo`)
//   USERS            comma-separated users to walk as (alice,maria,ivan,fiona,admin)
//   PASSWORD         their password (the demo's)
//   AUTHORIZE_URL    optional: an /oauth/authorize URL of a registered client (consent page)
//   ARTIFACTS        folder for the screenshots (tests/artifacts/walk, git-ignored)
//   MAX_PAGES        optional cap on screens per user (default 80)
//   STYLESHEET       optional: a file served as /static/formwork.css (try CSS without a rebuild;
//                    the binary embeds static/)
// Prints one JSON line: the screens walked and every problem found; exits 1 when there is one.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { env, prepare, CHROMIUM, FLAGS, LAPTOP, PHONE } from "./chromium.mjs";

const BASE = env("FORMWORK_URL").replace(/\/$/, "");
const USERS = env("USERS", "alice,maria,ivan,fiona,admin").split(",").filter(Boolean);
const PASSWORD = env("PASSWORD");
const AUTHORIZE_URL = env("AUTHORIZE_URL", "");
const ARTIFACTS = env("ARTIFACTS");
const MAX_PAGES = Number(env("MAX_PAGES", "80"));
const STYLESHEET = env("STYLESHEET", "");
const WIDTHS = [LAPTOP, PHONE];
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

prepare(ARTIFACTS);

const seen = { screens: [], problems: [], axe_seconds: 0 };
const problem = (who, key, text) => seen.problems.push(`${who} ${key}: ${text}`);

/** Paths the walk never opens: files, exports, sign-out, the MCP and OAuth endpoints, images. */
function skipped(url) {
  if (url.origin !== BASE) return true;
  const p = url.pathname;
  return (
    /^\/(static|files|mcp|oauth|\.well-known)\b/.test(p) ||
    p === "/logout" ||
    p.startsWith("/notifications/") ||
    /\.(csv|json|svg|png|jpe?g|pdf|toml)$/.test(p) ||
    p.includes("/summaries/") ||
    p.includes("/export")
  );
}

const PAGING = new Set(["page", "offset", "limit"]);

/** The kind of screen a URL is (see the header): numbers and editor slugs stand for any. */
function kindOf(url) {
  let p = url.pathname.replace(/\/\d+(?=\/|$)/g, "/{n}");
  p = p.replace(/^\/admin\/apps\/(?!new$|import$)[^/]+/, "/admin/apps/{app}");
  // An id in the query (`?record=5`, `?user=3`) makes another screen; paging does not.
  for (const [k, v] of url.searchParams) if (/^\d+$/.test(v) && !PAGING.has(k)) p += `?${k}`;
  return p;
}

/** Under an editor list, only the first two entries are opened (`…/fields/{name}` and deeper). */
function crowded(kind, counts) {
  const m = kind.match(/^\/admin\/apps\/\{app\}\/(fields|views|operations)\/[^/]+/);
  if (!m) return false;
  const list = m[1];
  const entry = m[0];
  counts[list] ??= new Set();
  if (counts[list].has(entry)) return false;
  if (counts[list].size >= 2) return true;
  counts[list].add(entry);
  return false;
}

const fileName = (kind) =>
  kind.replace(/^\//, "").replace(/[{}]/g, "").replace(/[^A-Za-z0-9_-]+/g, "_").replace(/_+$/, "") || "home";

/** Checks one screen at both widths; returns the links it holds. */
async function check(page, who, kind, { expectStatus = 200 } = {}) {
  const status = page.__lastStatus;
  if (status !== expectStatus) problem(who, kind, `answered ${status}, expected ${expectStatus}`);
  const inline = await page.locator("script:not([src])").count();
  if (inline > 0) problem(who, kind, `${inline} inline <script> element(s): the CSP forbids them`);
  mkdirSync(join(ARTIFACTS, who), { recursive: true });
  const shots = [];
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    const wide = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      view: window.innerWidth,
      // The elements that stick out, to say what to fix.
      culprits: [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .filter((el) => !el.parentElement || el.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ").join(".") : ""}`),
    }));
    if (wide.scroll > wide.view) {
      problem(who, kind, `scrolls sideways at ${size.width}px (scrollWidth ${wide.scroll}; ${wide.culprits.join(", ")})`);
    }
    const started = Date.now();
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}${v.nodes.length > 3 ? `; +${v.nodes.length - 3}` : ""})`);
    });
    seen.axe_seconds += (Date.now() - started) / 1000;
    for (const v of found) problem(who, kind, `axe at ${size.width}px: ${v}`);
    const shot = join(ARTIFACTS, who, `${fileName(kind)}-${size.width}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    shots.push(shot.replace(ARTIFACTS + "/", ""));
  }
  await page.setViewportSize(LAPTOP);
  console.error(`${((Date.now() - startedAt) / 1000).toFixed(0)}s ${who} ${kind}`);
  seen.screens.push({ who, kind, url: page.url().replace(BASE, ""), title: await page.title(), shots });
  return page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.href));
}

/** Opens a URL; remembers its HTTP status for `check`, and that axe is in the page. */
async function open(page, url) {
  const resp = await page.goto(url, { waitUntil: "load" });
  page.__lastStatus = resp ? resp.status() : 0;
  await page.evaluate(AXE);
}

async function newPage(browser) {
  const context = await browser.newContext({
    viewport: LAPTOP,
    deviceScaleFactor: 1,
    javaScriptEnabled: true, // axe-core runs in the page (timers); Formwork itself ships no script
    bypassCSP: true, // only so that axe-core can be evaluated in the page
    locale: "en-GB",
    timezoneId: "Europe/Berlin",
  });
  if (STYLESHEET) {
    await context.route("**/static/formwork.css", (route) =>
      route.fulfill({ contentType: "text/css", body: readFileSync(STYLESHEET, "utf8") }),
    );
  }
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  return { context, page };
}

/** Follows the links from `starts`, breadth first, checking each new kind of screen. A kind that
 * another user's walk already checked is only opened for its links. */
async function walk(page, who, starts, checked) {
  const queue = starts.map((s) => new URL(s, BASE));
  const linkedFrom = new Map(); // url → the page that linked to it, for the problem reports
  const opened = new Set();
  const editorCounts = {};
  let n = 0;
  while (queue.length && n < MAX_PAGES) {
    const url = queue.shift();
    if (skipped(url)) continue;
    const kind = kindOf(url);
    if (opened.has(kind) || crowded(kind, editorCounts)) continue;
    opened.add(kind);
    await open(page, url.href);
    if (page.__lastStatus >= 400) {
      problem(who, kind, `${url.href.replace(BASE, "")} answered ${page.__lastStatus}; linked from ${linkedFrom.get(url.href) ?? "the start"}`);
      continue;
    }
    if (new URL(page.url()).pathname === "/login") {
      problem(who, kind, "was sent to the sign-in page");
      continue;
    }
    const mine = kind.startsWith("/apps/") ? `${who} ${kind}` : kind;
    let links;
    if (checked.has(mine)) {
      links = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.href));
    } else {
      checked.add(mine);
      n += 1;
      links = await check(page, who, kind);
    }
    for (const href of links) {
      const next = new URL(href);
      next.hash = "";
      // A list's sorting, paging and filters are the same screen; a record's operation is not.
      const ids = [...next.searchParams].filter(([k, v]) => /^\d+$/.test(v) && !PAGING.has(k));
      next.search = ids.length ? `?${new URLSearchParams(ids)}` : "";
      if (!linkedFrom.has(next.href)) linkedFrom.set(next.href, page.url().replace(BASE, ""));
      queue.push(next);
    }
  }
  if (n >= MAX_PAGES) problem(who, "", `stopped after MAX_PAGES=${MAX_PAGES} screens: raise it`);
}

async function signIn(page, user) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.getByRole("button", { name: "Sign in" }).click()]);
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
const startedAt = Date.now();
try {
  const walked = new Set();
  {
    const { context, page } = await newPage(browser);
    const pages = [
      ["/login", 200],
      ["/login/forgot", 200],
      ["/login/reset/not-a-real-token", 410], // a reset link that expired or was used
      ["/no-such-page", 404],
    ];
    for (const [path, status] of pages) {
      await open(page, `${BASE}${path}`);
      await check(page, "anonymous", path, { expectStatus: status });
    }
    await context.close();
  }
  for (const user of USERS) {
    const { context, page } = await newPage(browser);
    await signIn(page, user);
    await walk(page, user, ["/", "/profile", "/notifications"], walked);
    // The 404 page as a signed-in person (top bar with navigation).
    if (!walked.has("signed-in 404")) {
      walked.add("signed-in 404");
      await open(page, `${BASE}/apps/no-such-app/records/1`);
      await check(page, user, "/404", { expectStatus: 404 });
    }
    if (AUTHORIZE_URL && user === USERS[0]) {
      await open(page, AUTHORIZE_URL);
      await check(page, user, "/oauth/authorize");
      const consent = await page.locator("h1").innerText();
      if (!/allow|connect|access/i.test(consent + (await page.content()))) problem(user, "/oauth/authorize", "no consent page");
    }
    await context.close();
  }
} finally {
  await browser.close();
}
seen.seconds = Math.round((Date.now() - startedAt) / 1000);
seen.axe_seconds = Math.round(seen.axe_seconds);
console.log(JSON.stringify(seen));
process.exit(seen.problems.length ? 1 : 0);
