// What the browser tests share: reading their environment, and Debian's Chromium with the flags
// this machine needs (no background networking, no sandbox as root, never a downloaded browser).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

/** An environment variable, or `fallback`; throws when neither is there. */
export const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

export const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

/** Exits with a clear message when Chromium is missing; makes the artifacts folder. */
export function prepare(artifacts) {
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    process.exit(2);
  }
  mkdirSync(artifacts, { recursive: true });
}

/**
 * `snap(name)`: screenshots of the page as it is at 1280 and at 390 px, numbered in order and
 * named `<prefix>-NN-<name>-<width>.png` in `artifacts`; the page itself may not scroll sideways
 * at either width (a table may, inside its own frame). The page is left at 1280 px.
 */
export function snapshots(page, artifacts, prefix) {
  let shot = 0;
  return async (name) => {
    shot += 1;
    for (const size of [LAPTOP, PHONE]) {
      await page.setViewportSize(size);
      await page.screenshot({ path: join(artifacts, `${prefix}-${String(shot).padStart(2, "0")}-${name}-${size.width}.png`), fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= size.width, `${name} scrolls sideways at ${size.width}px (${wide})`);
    }
    await page.setViewportSize(LAPTOP);
  };
}
