// What the browser tests share: reading their environment, and Debian's Chromium with the flags
// this machine needs (no background networking, no sandbox as root, never a downloaded browser).
import { existsSync, mkdirSync } from "node:fs";

/** An environment variable, or `fallback`; throws when neither is there. */
export const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

export const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
export const LAPTOP = { width: 1280, height: 800 };
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
