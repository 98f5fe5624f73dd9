// The browser side of the end-to-end tests: one Chromium for the run, a
// fresh context per test, the superuser's token, REST calls, and the
// problems (console errors, uncaught exceptions, 5xx answers) seen so far.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { expect, inject } from "vitest";

/** HANG_GUARD_MS bounds every wait on the page; it measures nothing. */
export const HANG_GUARD_MS = 30_000;

/** VIEWPORT is the size of every page. */
export const VIEWPORT = { width: 1280, height: 800 };

/** superuser is the account the first test creates through the setup screen. */
export const superuser = {
  email: `e2e-${randomBytes(4).toString("hex")}@example.com`,
  password: `pw-${randomBytes(8).toString("hex")}`,
};

/** uniqueName returns a collection name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(3).toString("hex")}`;
}

/** server is the run's lumbung serve. */
export function server() {
  return inject("e2e");
}

/** Problem is something that went wrong in a page without a test asking for it. */
export interface Problem {
  test: string;
  kind: "console" | "pageerror" | "5xx";
  text: string;
}

/** problems collects every Problem of the run; the last test asserts it is empty. */
export const problems: Problem[] = [];

/** clientErrors collects every 4xx answer a page got, as "METHOD path: status". */
export const clientErrors: { test: string; text: string }[] = [];

const expectedClientErrors: { test: string; pattern: RegExp }[] = [];

/** expectClientError declares a 4xx answer the current test provokes on
 * purpose ("METHOD path: status"; test "*" is any test). */
export function expectClientError(pattern: RegExp, test = currentTest) {
  expectedClientErrors.push({ test, pattern });
}

/** unexpectedClientErrors are the 4xx answers no test declared. */
export function unexpectedClientErrors(): string[] {
  return clientErrors
    .filter((e) => !expectedClientErrors.some((x) => (x.test === "*" || x.test === e.test) && x.pattern.test(e.text)))
    .map((e) => `[${e.test}] ${e.text}`);
}

// Chromium reports every failed request as a console error. The tests
// provoke 4xx answers on purpose (a wrong password, a bad filter), so those
// are left out; 5xx answers are caught from the responses themselves.
const expectedConsole = /^Failed to load resource: the server responded with a status of 4\d\d/;

let browser: Browser | null = null;
let currentTest = "(setup)";

/** setCurrentTest names the test problems are charged to. */
export function setCurrentTest(name: string) {
  currentTest = name;
}

/** launch starts the run's Chromium. */
export async function launch(): Promise<void> {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
    timeout: 60_000,
  });
}

/** close stops the run's Chromium. */
export async function close(): Promise<void> {
  const b = browser;
  browser = null;
  await b?.close();
}

/** watch charges page's console errors, exceptions and 5xx answers to the current test. */
function watch(page: Page) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    if (expectedConsole.test(text)) return;
    problems.push({ test: currentTest, kind: "console", text: `${text} (at ${msg.location().url || page.url()})` });
  });
  page.on("pageerror", (err) => {
    problems.push({ test: currentTest, kind: "pageerror", text: `${err.name}: ${err.message}\n${err.stack ?? ""}` });
  });
  page.on("response", (res) => {
    if (res.status() >= 400 && res.status() < 500) {
      const u = new URL(res.url());
      clientErrors.push({ test: currentTest, text: `${res.request().method()} ${u.pathname}${u.search}: ${res.status()}` });
    }
    if (res.status() >= 500) {
      problems.push({ test: currentTest, kind: "5xx", text: `${res.request().method()} ${res.url()}: ${res.status()}` });
    }
  });
}

/** PageOptions choose how a new page starts. */
export interface PageOptions {
  /** signedIn puts the superuser's token where the dashboard keeps it. */
  signedIn?: boolean;
  theme?: "light" | "dark";
  /** server is another server than the run's, with the token to sign in there (signedIn). */
  server?: { url: string; auth: { token: string; record: Record<string, unknown> } };
}

/** newPage opens a page in a fresh context (no shared storage). Close its context when done. */
export async function newPage(opts: PageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  if (!browser) throw new Error("the browser is not running");
  const url = opts.server?.url ?? server().url;
  const theme: "light" | "dark" = opts.theme ?? "light";
  const localStorage: { name: string; value: string }[] = [{ name: "lumbung_theme", value: theme }];
  if (opts.signedIn) {
    const auth = opts.server?.auth ?? (await superuserAuth());
    localStorage.push({ name: "lumbung_auth", value: JSON.stringify(auth) });
  }
  const context = await browser.newContext({
    baseURL: url,
    viewport: VIEWPORT,
    colorScheme: theme,
    storageState: { cookies: [], origins: [{ origin: url, localStorage }] },
  });
  context.setDefaultTimeout(HANG_GUARD_MS);
  context.setDefaultNavigationTimeout(HANG_GUARD_MS);
  const page = await context.newPage();
  watch(page);
  // E2E_CPU_THROTTLE=4 slows the page's CPU four times, to shake out waits
  // that only hold on a fast machine.
  const throttle = Number(process.env.E2E_CPU_THROTTLE || 0);
  if (throttle > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  }
  return { context, page };
}

/** visible waits until locator shows and returns it. */
export async function visible(locator: Locator): Promise<Locator> {
  await locator.waitFor({ state: "visible", timeout: HANG_GUARD_MS });
  return locator;
}

/** gone waits until locator is hidden or detached. */
export async function gone(locator: Locator): Promise<void> {
  await locator.waitFor({ state: "hidden", timeout: HANG_GUARD_MS });
}

/** eventually polls fn until its value matches want (deep equality). */
export async function eventually<T>(fn: () => Promise<T> | T, want: T, message?: string): Promise<void> {
  await expect.poll(fn, { timeout: HANG_GUARD_MS, interval: 100, message }).toEqual(want);
}

/** open goes to a dashboard hash route, e.g. "#/settings". */
export async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/_/${hash}`);
}

// --- REST -----------------------------------------------------------------

/** api calls the server's REST API and returns the JSON answer; a status
 * other than want fails. */
export async function api<T = Record<string, any>>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  want = 200,
): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  const res = await fetch(server().url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  const text = await res.text();
  if (res.status !== want) {
    throw new Error(`${method} ${path}: status ${res.status}, want ${want}: ${text}`);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

let cachedAuth: { token: string; record: Record<string, unknown> } | null = null;

/** superuserAuth signs in as the run's superuser. When the first test did
 * not create it (it failed, or was filtered out), it is created here with
 * the setup token, so that the other tests still run. */
export async function superuserAuth(): Promise<{ token: string; record: Record<string, unknown> }> {
  if (cachedAuth) return cachedAuth;
  const body = { identity: superuser.email, password: superuser.password };
  const res = await fetch(server().url + "/api/collections/_superusers/auth-with-password", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  if (res.status === 200) {
    cachedAuth = (await res.json()) as typeof cachedAuth;
    return cachedAuth!;
  }
  await res.arrayBuffer();
  const token = server().setupLink.split("/setup/")[1];
  cachedAuth = await api("POST", "/api/setup", { token, email: superuser.email, password: superuser.password });
  return cachedAuth!;
}

/** token is the superuser's token. */
export async function token(): Promise<string> {
  return (await superuserAuth()).token;
}

/** createCollection creates a collection through the API. */
export async function createCollection(body: Record<string, unknown>): Promise<Record<string, any>> {
  return api("POST", "/api/collections", body, await token());
}

/** createRecord creates a record through the API. */
export async function createRecord(collection: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  return api("POST", `/api/collections/${collection}/records`, body, await token());
}

/** listRecords lists a collection's records through the API. */
export async function listRecords(collection: string, query = ""): Promise<Record<string, any>[]> {
  const res = await api<{ items: Record<string, any>[] }>(
    "GET",
    `/api/collections/${collection}/records?perPage=200${query ? "&" + query : ""}`,
    undefined,
    await token(),
  );
  return res.items;
}

// --- screenshots ----------------------------------------------------------

/** screenshot saves the viewport as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(server().screenshots, `${name}.png`), animations: "disabled" });
}

/** horizontalOverflow returns what scrolls sideways on page: the document,
 * or the main area. */
export async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push(`document: scrollWidth ${doc.scrollWidth} > clientWidth ${doc.clientWidth}`);
    const main = document.getElementById("main");
    if (main && main.scrollWidth > main.clientWidth) out.push(`main: scrollWidth ${main.scrollWidth} > clientWidth ${main.clientWidth}`);
    return out;
  });
}
