// The SDK's all-in-one OAuth2 flow in a real browser:
// pb.collection("users").authWithOAuth2({ provider }) opens the provider's
// page in a popup, the provider (a fake OpenID Connect provider on
// loopback, below) sends the popup back to /api/oauth2-redirect, the code
// reaches the page over the realtime @oauth2 topic, and the SDK completes
// auth-with-oauth2. Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) is
// driven by playwright-core; no browser is downloaded.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { access, constants, readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer, superuserClient, uniqueSuffix } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const HANG_GUARD_MS = 30_000;

/**
 * startProvider runs a fake OAuth2 / OpenID Connect provider on a free
 * loopback port. /authorize signs in the one user at once and sends the
 * browser to redirect_uri with a code and the state (as a query, or as a
 * POSTed form when response_mode=form_post, as Apple does); client
 * "client-deny" is refused with error=access_denied. /token checks the
 * client, the redirect URI and the PKCE verifier; /userinfo answers the
 * user for the access token.
 */
async function startProvider(user) {
    const codes = new Map(); // code -> {challenge, redirectURI, clientId}
    const tokens = new Map(); // access token -> user
    const seen = { authorize: [], token: [], codes: [] };
    const server = http.createServer(async (req, res) => {
        const u = new URL(req.url, "http://x");
        if (req.method === "GET" && u.pathname === "/authorize") {
            const q = u.searchParams;
            seen.authorize.push(Object.fromEntries(q));
            const redirect = q.get("redirect_uri");
            const answer = { state: q.get("state") };
            if (q.get("client_id") === "client-deny") {
                answer.error = "access_denied";
            } else {
                answer.code = randomBytes(12).toString("hex");
                seen.codes.push(answer.code);
                codes.set(answer.code, { challenge: q.get("code_challenge"), redirectURI: redirect, clientId: q.get("client_id") });
            }
            if (q.get("response_mode") === "form_post") {
                const inputs = Object.entries(answer)
                    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
                    .join("");
                res.writeHead(200, { "Content-Type": "text/html" });
                res.end(`<!doctype html><form method="post" action="${redirect}">${inputs}</form><script>document.forms[0].submit()</script>`);
                return;
            }
            const to = new URL(redirect);
            for (const [k, v] of Object.entries(answer)) to.searchParams.set(k, v);
            res.writeHead(302, { Location: to.toString() }).end();
            return;
        }
        if (req.method === "POST" && u.pathname === "/token") {
            let body = "";
            for await (const chunk of req) body += chunk;
            const form = new URLSearchParams(body);
            seen.token.push(Object.fromEntries(form));
            const grant = codes.get(form.get("code"));
            codes.delete(form.get("code"));
            const challenge = createHash("sha256").update(form.get("code_verifier") || "").digest("base64url");
            if (!grant || form.get("client_secret") !== "secret-1" || form.get("client_id") !== grant.clientId ||
                form.get("redirect_uri") !== grant.redirectURI || challenge !== grant.challenge) {
                res.writeHead(400, { "Content-Type": "application/json" }).end(`{"error":"invalid_grant"}`);
                return;
            }
            const token = randomBytes(12).toString("hex");
            tokens.set(token, user);
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }));
            return;
        }
        if (req.method === "GET" && u.pathname === "/userinfo") {
            const who = tokens.get((req.headers.authorization || "").replace(/^Bearer /, ""));
            if (!who) {
                res.writeHead(401).end();
                return;
            }
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(who));
            return;
        }
        res.writeHead(404).end();
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    return { origin, seen, close: () => new Promise((r) => server.close(r)) };
}

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>app</title></head>
<body><script type="module">
import PocketBase from "/pocketbase.es.mjs";
window.PocketBase = PocketBase;
window.sdkReady = true;
</script></body></html>`;

/** startPageServer serves the app's page and the SDK on a free loopback port. */
async function startPageServer() {
    const sdk = await readFile(path.join(here, "node_modules/pocketbase/dist/pocketbase.es.mjs"));
    const server = http.createServer((req, res) => {
        if (req.url === "/pocketbase.es.mjs") {
            res.writeHead(200, { "Content-Type": "text/javascript" }).end(sdk);
        } else if (req.url === "/") {
            res.writeHead(200, { "Content-Type": "text/html" }).end(page);
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

let srv;
let browser;
let app;
let provider;
let su;
let oldOAuth2;
const person = {
    sub: `sub-${uniqueSuffix()}`,
    email: `popup-${uniqueSuffix()}@example.com`,
    email_verified: true,
    name: "Popup Person",
    preferred_username: "popup",
};

before(async () => {
    const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
    try {
        await access(executablePath, constants.X_OK);
    } catch {
        throw new Error(`Chromium not found at ${executablePath}; install it (apt-get install -y chromium) or set CHROMIUM`);
    }
    provider = await startProvider(person);
    app = await startPageServer();
    srv = await startServer({ args: ["--origins", app.origin] });
    su = await superuserClient(srv);
    const users = await su.collections.getOne("users");
    oldOAuth2 = users.oauth2;
    const endpoints = {
        authURL: `${provider.origin}/authorize`,
        tokenURL: `${provider.origin}/token`,
        userInfoURL: `${provider.origin}/userinfo`,
    };
    await su.collections.update("users", {
        oauth2: {
            enabled: true,
            mappedFields: { name: "name" },
            providers: [
                { name: "x", displayName: "X Identity", clientId: "client-1", clientSecret: "secret-1", ...endpoints },
                // The answer comes back as a POSTed form, as Apple sends it.
                {
                    name: "x_post", clientId: "client-1", clientSecret: "secret-1", ...endpoints,
                    authURL: `${provider.origin}/authorize?response_mode=form_post`,
                },
                { name: "x_deny", clientId: "client-deny", clientSecret: "secret-1", ...endpoints },
            ],
        },
    });
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
    if (su) {
        await su.collection("users").getFirstListItem(su.filter("email = {:e}", { e: person.email }))
            .then((u) => su.collection("users").delete(u.id)).catch(() => {});
        if (oldOAuth2) await su.collections.update("users", { oauth2: oldOAuth2 }).catch(() => {});
    }
    await srv?.stop();
    await app?.close();
    await provider?.close();
});

/**
 * signIn opens the app's page in a fresh browser context and runs
 * authWithOAuth2 with the named provider there, opening the provider's
 * page in a popup from urlCallback. It returns what the page saw, and
 * whether the popup closed itself.
 */
async function signIn(providerName) {
    const context = await browser.newContext();
    try {
        const p = await context.newPage();
        p.setDefaultTimeout(HANG_GUARD_MS);
        await p.goto(app.origin + "/");
        await p.waitForFunction(() => window.sdkReady === true);
        const result = await p.evaluate(
            async ({ url, providerName }) => {
                const pb = new window.PocketBase(url);
                try {
                    const auth = await pb.collection("users").authWithOAuth2({
                        provider: providerName,
                        urlCallback: (authURL) => {
                            window.popup = window.open(authURL, "oauth2", "width=500,height=600");
                        },
                    });
                    return {
                        ok: true,
                        token: auth.token,
                        record: { email: auth.record.email, name: auth.record.name, verified: auth.record.verified, collectionName: auth.record.collectionName },
                        meta: { id: auth.meta.id, email: auth.meta.email, isNew: auth.meta.isNew },
                        storeValid: pb.authStore.isValid,
                        storeToken: pb.authStore.token === auth.token,
                    };
                } catch (err) {
                    return { ok: false, status: err.status, message: String(err.originalError?.message || err.message) };
                }
            },
            { url: srv.url, providerName },
        );
        // The popup showed the provider's page, then ours, which closes it.
        const popupState = () => p.evaluate(() => (!window.popup ? "never opened" : window.popup.closed ? "closed" : "open"));
        let popup = await popupState();
        for (let i = 0; i < 50 && popup === "open"; i++) {
            await new Promise((r) => setTimeout(r, 100));
            popup = await popupState();
        }
        return { result, popup };
    } finally {
        await context.close();
    }
}

describe("authWithOAuth2 in Chromium", () => {
    test("the popup flow signs up, then signs in again, with the code sent over realtime", async () => {
        const first = await signIn("x");
        assert.equal(first.result.ok, true, JSON.stringify(first.result));
        assert.equal(first.popup, "closed");
        assert.deepEqual(first.result.record, { email: person.email, name: person.name, verified: true, collectionName: "users" });
        assert.deepEqual(first.result.meta, { id: person.sub, email: person.email, isNew: true });
        assert.ok(first.result.storeValid && first.result.storeToken);
        // The token is the server's: it reads the record back.
        const me = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
            method: "POST",
            headers: { Authorization: first.result.token },
        }).then((r) => r.json());
        assert.equal(me.record.email, person.email);

        // The provider saw the client id as state, PKCE and our redirect.
        const asked = provider.seen.authorize.at(-1);
        assert.equal(asked.redirect_uri, `${srv.url}/api/oauth2-redirect`);
        assert.equal(asked.code_challenge_method, "S256");
        assert.match(asked.state, /^[0-9a-f]{30}$/);

        const again = await signIn("x");
        assert.equal(again.result.ok, true, JSON.stringify(again.result));
        assert.equal(again.result.meta.isNew, false);
        assert.equal(again.result.record.email, person.email);
    });

    test("a provider answering with response_mode=form_post (as Apple does)", async () => {
        const got = await signIn("x_post");
        assert.equal(got.result.ok, true, JSON.stringify(got.result));
        assert.equal(got.popup, "closed");
        assert.equal(got.result.record.email, person.email);
        assert.equal(provider.seen.authorize.at(-1).response_mode, "form_post");
    });

    test("a refusal at the provider reaches the SDK as an error", async () => {
        const got = await signIn("x_deny");
        assert.equal(got.result.ok, false);
        assert.match(got.result.message, /access_denied/);
        assert.equal(got.popup, "closed");
    });

    test("the server's log names no code or secret", async () => {
        await new Promise((r) => setTimeout(r, 500)); // the server writes its log in batches
        const logs = srv.logs();
        assert.ok(logs.includes("/api/oauth2-redirect"), "the redirects are logged");
        for (const secret of [...provider.seen.codes, "secret-1"]) {
            assert.ok(!logs.includes(secret), `the log holds ${secret}`);
        }
    });
});
