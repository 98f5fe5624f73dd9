// Cross-origin use in a real browser: a page served from another loopback
// port loads the pocketbase SDK and, through CORS, signs in, lists,
// creates and subscribes to realtime events against a server started with
// --origins naming that page's origin. A page from an origin not named is
// kept from reading any answer. Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM) is driven by playwright-core; no browser is downloaded.

import assert from "node:assert/strict";
import { access, constants, readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { dropCollections } from "./schema.js";
import { startServer, superuserClient, uniqueSuffix } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const HANG_GUARD_MS = 30_000;

const page = (title) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><script type="module">
import PocketBase from "/pocketbase.es.mjs";
window.PocketBase = PocketBase;
window.sdkReady = true;
</script></body></html>`;

/** startPageServer serves the test page and the SDK's ES module on a free loopback port. */
async function startPageServer(title) {
    const sdk = await readFile(path.join(here, "node_modules/pocketbase/dist/pocketbase.es.mjs"));
    const server = http.createServer((req, res) => {
        if (req.url === "/pocketbase.es.mjs") {
            res.writeHead(200, { "Content-Type": "text/javascript" });
            res.end(sdk);
        } else if (req.url === "/") {
            res.writeHead(200, { "Content-Type": "text/html" });
            res.end(page(title));
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

let srv;
let browser;
let allowed;
let other;
let su;
let notes;
const user = { email: `cors-${uniqueSuffix()}@example.com`, password: `pw-${uniqueSuffix()}-x` };

before(async () => {
    const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
    try {
        await access(executablePath, constants.X_OK);
    } catch {
        throw new Error(`Chromium not found at ${executablePath}; install it (apt-get install -y chromium) or set CHROMIUM`);
    }
    allowed = await startPageServer("allowed");
    other = await startPageServer("other");
    srv = await startServer({ args: ["--origins", allowed.origin] });
    su = await superuserClient(srv);
    notes = await su.collections.create({
        name: `notes_${uniqueSuffix()}`,
        fields: [{ name: "title", type: "text" }],
        listRule: "",
        viewRule: "",
        createRule: "@request.auth.id != ''",
    });
    await su.collection("users").create({ ...user, passwordConfirm: user.password, name: "Cors" });
    await su.collection(notes.name).create({ title: "first" });
    browser = await chromium.launch({
        executablePath,
        args: [
            "--no-sandbox",
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
        timeout: 60_000,
    });
});

after(async () => {
    await browser?.close();
    if (su && notes) {
        await su.collection("users").getFirstListItem(su.filter("email = {:e}", { e: user.email }))
            .then((u) => su.collection("users").delete(u.id)).catch(() => {});
        await dropCollections(su, [notes]);
    }
    await srv?.stop();
    await allowed?.close();
    await other?.close();
});

/** openPage opens origin's page in a fresh context and waits for the SDK. */
async function openPage(origin) {
    const context = await browser.newContext();
    const p = await context.newPage();
    p.setDefaultTimeout(HANG_GUARD_MS);
    await p.goto(origin + "/");
    await p.waitForFunction(() => window.sdkReady === true);
    return { page: p, close: () => context.close() };
}

/** preflights counts the CORS preflights the server logged for a path. */
function preflights(apiPath) {
    return srv.logs().split("\n").filter((l) => l.includes("method=OPTIONS") && l.includes(`path=${apiPath} `)).length;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe("CORS in Chromium", () => {
    test("a page on an allowed origin signs in, lists, creates and subscribes through the SDK", async () => {
        const { page: p, close } = await openPage(allowed.origin);
        try {
            const got = await p.evaluate(
                async ({ url, user, col }) => {
                    const pb = new window.PocketBase(url);
                    pb.autoCancellation(false);
                    const auth = await pb.collection("users").authWithPassword(user.email, user.password);
                    const list = await pb.collection(col).getList(1, 10);
                    window.events = [];
                    await pb.collection(col).subscribe("*", (e) => window.events.push({ action: e.action, title: e.record.title }));
                    const mine = await pb.collection(col).create({ title: "from the page" });
                    window.pb = pb;
                    return { email: auth.record.email, titles: list.items.map((r) => r.title), created: mine.title, connected: pb.realtime.isConnected };
                },
                { url: srv.url, user, col: notes.name },
            );
            assert.deepEqual(got, { email: user.email, titles: ["first"], created: "from the page", connected: true });

            // The browser asked before the create (a JSON body with a
            // token), and kept the answer (Access-Control-Max-Age): more
            // creates are sent without asking again.
            const recordsPath = `/api/collections/${notes.name}/records`;
            await sleep(500); // the server writes its log in batches
            const asked = preflights(recordsPath);
            assert.ok(asked >= 1, `no preflight logged:\n${srv.logs().slice(-4000)}`);
            // Without Access-Control-Max-Age Chromium keeps an answer 5 s.
            await sleep(6_000);
            await p.evaluate(async (col) => {
                await window.pb.collection(col).create({ title: "again from the page" });
                await window.pb.collection(col).create({ title: "and again" });
            }, notes.name);
            await sleep(500);
            assert.equal(preflights(recordsPath), asked, "preflights after two more creates");

            // A write by another client reaches the page's subscription.
            await su.collection(notes.name).create({ title: "from node" });
            await p.waitForFunction(() => window.events.some((e) => e.title === "from node"));
            const events = await p.evaluate(() => window.events);
            assert.deepEqual(
                events.filter((e) => e.action === "create").map((e) => e.title).sort(),
                ["again from the page", "and again", "from node", "from the page"],
            );
            await p.evaluate(() => window.pb.realtime.unsubscribe());
        } finally {
            await close();
        }
    });

    test("a page on another origin cannot read the answers", async () => {
        const { page: p, close } = await openPage(other.origin);
        p.on("console", () => {}); // Chromium reports the blocked requests there
        try {
            const got = await p.evaluate(
                async ({ url, user, col }) => {
                    const pb = new window.PocketBase(url);
                    pb.autoCancellation(false);
                    const outcome = async (f) => {
                        try {
                            await f();
                            return "answered";
                        } catch (err) {
                            return `status ${err.status}`;
                        }
                    };
                    return {
                        signIn: await outcome(() => pb.collection("users").authWithPassword(user.email, user.password)),
                        list: await outcome(() => pb.collection(col).getList(1, 10)),
                        health: await outcome(() => pb.health.check()),
                    };
                },
                { url: srv.url, user, col: notes.name },
            );
            // Status 0: the SDK got no response it may read.
            assert.deepEqual(got, { signIn: "status 0", list: "status 0", health: "status 0" });
        } finally {
            await close();
        }
    });
});
