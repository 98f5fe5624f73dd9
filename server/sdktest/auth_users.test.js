// Users of the default "users" auth collection through the SDK: sign-in,
// refresh, email verification, password reset, email change and
// impersonation, with the emails caught by a small SMTP server started
// here and configured through pb.settings.

import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";
import { apiError, RECORD_ID } from "./expect.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

const MAIL_DEADLINE_MS = 10_000; // hang guard only: nothing measures speed
const APP_URL = "http://app.test";

/**
 * startSmtpSink runs a minimal SMTP server on 127.0.0.1 that accepts every
 * message and hands it to next(): { to, raw, subject, text }.
 */
function startSmtpSink() {
    const inbox = [];
    const waiters = [];
    const deliver = (msg) => {
        const w = waiters.shift();
        if (w) {
            w(msg);
        } else {
            inbox.push(msg);
        }
    };
    const server = net.createServer((socket) => {
        socket.setEncoding("utf8");
        let buffer = "";
        let inData = false;
        let data = "";
        let to = [];
        const reply = (line) => socket.write(line + "\r\n");
        reply("220 localhost ESMTP sink");
        socket.on("data", (chunk) => {
            buffer += chunk;
            for (;;) {
                if (inData) {
                    const end = buffer.indexOf("\r\n.\r\n");
                    if (end < 0) {
                        return;
                    }
                    data += buffer.slice(0, end + 2);
                    buffer = buffer.slice(end + 5);
                    inData = false;
                    deliver(parseMessage(to, data.replace(/^\.\./gm, ".")));
                    data = "";
                    to = [];
                    reply("250 OK");
                    continue;
                }
                const nl = buffer.indexOf("\r\n");
                if (nl < 0) {
                    return;
                }
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 2);
                const verb = line.slice(0, 4).toUpperCase();
                if (verb === "EHLO" || verb === "HELO") {
                    reply("250 localhost");
                } else if (verb === "RCPT") {
                    to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1"));
                    reply("250 OK");
                } else if (verb === "DATA") {
                    inData = true;
                    reply("354 End data with <CR><LF>.<CR><LF>");
                } else if (verb === "QUIT") {
                    reply("221 Bye");
                    socket.end();
                } else {
                    reply("250 OK"); // MAIL, RSET, NOOP
                }
            }
        });
        socket.on("error", () => {});
    });
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            resolve({
                port: server.address().port,
                close: () => new Promise((r) => server.close(() => r())),
                next: () =>
                    new Promise((resolve, reject) => {
                        if (inbox.length > 0) {
                            resolve(inbox.shift());
                            return;
                        }
                        const timer = setTimeout(() => reject(new Error("no email arrived")), MAIL_DEADLINE_MS);
                        waiters.push((msg) => {
                            clearTimeout(timer);
                            resolve(msg);
                        });
                    }),
                count: () => inbox.length,
            });
        });
    });
}

// parseMessage undoes quoted-printable in every part; enough to read links.
function parseMessage(to, raw) {
    const [head] = raw.split("\r\n\r\n");
    const subject = (head.match(/^Subject: (.*)$/m) || [])[1] || "";
    const text = raw
        .replace(/=\r\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return { to, raw, subject, text };
}

function tokenFrom(msg, page) {
    const m = msg.text.match(new RegExp(`${APP_URL}/_/#/auth/${page}/([\\w-]+\\.[\\w-]+\\.[\\w-]+)`));
    assert.ok(m, `no ${page} link in:\n${msg.text}`);
    return m[1];
}

function jwtPayload(token) {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

let su;
let sink;

const srv = useServer(async () => {
    su = await superuserClient(srv);
    sink = await startSmtpSink();
    srv.defer(() => sink.close());
    await su.settings.update({
        meta: { appName: "SDK Test", appURL: APP_URL, senderName: "Support", senderAddress: "support@sdk.test" },
        smtp: { enabled: true, host: "127.0.0.1", port: sink.port, tlsMode: "none" },
    });
    srv.defer(() => su.settings.update({ smtp: { enabled: false } }));
});

async function newUser(password) {
    const email = `user-${uniqueSuffix()}@example.com`;
    const rec = await su.collection("users").create({ email, password, passwordConfirm: password, name: "Ann" });
    srv.defer(() => su.collection("users").delete(rec.id).catch(() => {}));
    return { email, password, id: rec.id };
}

describe("users sign in", () => {
    test("authWithPassword returns the user without secrets, and authRefresh renews it", async () => {
        const user = await newUser("first password");
        const pb = newClient(srv);
        const auth = await pb.collection("users").authWithPassword(user.email, user.password);
        assert.equal(auth.record.id, user.id);
        assert.match(auth.record.id, RECORD_ID);
        assert.equal(auth.record.email, user.email);
        assert.equal(auth.record.collectionName, "users");
        assert.equal(auth.record.verified, false);
        for (const secret of ["password", "tokenKey"]) {
            assert.equal(secret in auth.record, false, `record exposes ${secret}`);
        }
        assert.equal(pb.authStore.isValid, true);
        assert.equal(pb.authStore.isSuperuser, false);
        const claims = jwtPayload(auth.token);
        assert.equal(claims.type, "auth");
        assert.equal(claims.refreshable, true);

        const refreshed = await pb.collection("users").authRefresh();
        assert.equal(refreshed.record.id, user.id);
        assert.equal(pb.authStore.token, refreshed.token);
    });

    test("a wrong password is a 400 like an unknown email", async () => {
        const user = await newUser("first password");
        const pb = newClient(srv);
        const wrong = await apiError(pb.collection("users").authWithPassword(user.email, "not the password"), 400);
        const unknown = await apiError(pb.collection("users").authWithPassword(`nobody-${uniqueSuffix()}@example.com`, "x"), 400);
        assert.deepEqual(unknown.response, wrong.response);
    });

    test("a guest signs up through the default create rule and signs in", async () => {
        const pb = newClient(srv);
        const email = `signup-${uniqueSuffix()}@example.com`;
        const rec = await pb.collection("users").create({ email, password: "sign-up password", passwordConfirm: "sign-up password", name: "New" });
        srv.defer(() => su.collection("users").delete(rec.id).catch(() => {}));
        const auth = await pb.collection("users").authWithPassword(email, "sign-up password");
        assert.equal(auth.record.id, rec.id);
        assert.equal(auth.record.verified, false);
        const own = await pb.collection("users").getOne(rec.id);
        assert.equal(own.email, email, "the owner sees its email");
    });

    test("listAuthMethods names the email identity", async () => {
        const methods = await newClient(srv).collection("users").listAuthMethods();
        assert.equal(methods.password.enabled, true);
        assert.deepEqual(methods.password.identityFields, ["email"]);
    });
});

describe("email verification", () => {
    test("requestVerification emails a link whose token confirmVerification accepts", async () => {
        const user = await newUser("first password");
        const pb = newClient(srv);
        await pb.collection("users").authWithPassword(user.email, user.password);

        assert.equal(await pb.collection("users").requestVerification(user.email), true);
        const msg = await sink.next();
        assert.deepEqual(msg.to, [user.email]);
        assert.equal(msg.subject, "Verify your SDK Test email");
        const token = tokenFrom(msg, "confirm-verification");

        assert.equal(await pb.collection("users").confirmVerification(token), true);
        assert.equal(pb.authStore.record.verified, true, "the SDK marks its stored record verified");
        assert.equal((await su.collection("users").getOne(user.id)).verified, true);
    });

    test("an unknown email answers the same and sends nothing", async () => {
        const pb = newClient(srv);
        assert.equal(await pb.collection("users").requestVerification(`nobody-${uniqueSuffix()}@example.com`), true);
        await apiError(pb.collection("users").confirmVerification("not.a.token"), 400);
    });
});

describe("password reset", () => {
    test("confirmPasswordReset sets the password and ends old sessions", async () => {
        const user = await newUser("first password");
        const pb = newClient(srv);
        await pb.collection("users").authWithPassword(user.email, user.password);

        assert.equal(await newClient(srv).collection("users").requestPasswordReset(user.email), true);
        const msg = await sink.next();
        assert.deepEqual(msg.to, [user.email]);
        const token = tokenFrom(msg, "confirm-password-reset");

        const err = await apiError(
            newClient(srv).collection("users").confirmPasswordReset(token, "second password", "other"),
            400,
        );
        assert.equal(typeof err.response.data.passwordConfirm?.code, "string");
        assert.equal(
            await newClient(srv).collection("users").confirmPasswordReset(token, "second password", "second password"),
            true,
        );

        await apiError(pb.collection("users").authRefresh(), 401);
        await apiError(newClient(srv).collection("users").authWithPassword(user.email, user.password), 400);
        const again = await newClient(srv).collection("users").authWithPassword(user.email, "second password");
        assert.equal(again.record.id, user.id);
    });
});

describe("email change", () => {
    test("requestEmailChange mails the new address; confirmEmailChange needs the password", async () => {
        const user = await newUser("first password");
        const pb = newClient(srv);
        await pb.collection("users").authWithPassword(user.email, user.password);
        const newEmail = `changed-${uniqueSuffix()}@example.com`;

        assert.equal(await pb.collection("users").requestEmailChange(newEmail), true);
        const msg = await sink.next();
        assert.deepEqual(msg.to, [newEmail]);
        const token = tokenFrom(msg, "confirm-email-change");

        await apiError(pb.collection("users").confirmEmailChange(token, "wrong password"), 400);
        assert.equal(await pb.collection("users").confirmEmailChange(token, user.password), true);
        assert.equal(pb.authStore.isValid, false, "the SDK signs out after an email change");

        const auth = await newClient(srv).collection("users").authWithPassword(newEmail, user.password);
        assert.equal(auth.record.email, newEmail);
    });
});

describe("impersonation and settings", () => {
    test("a superuser impersonates a user with a non-refreshable token", async () => {
        const user = await newUser("first password");
        const client = await su.collection("users").impersonate(user.id, 120);
        assert.equal(client.authStore.record.id, user.id);
        const claims = jwtPayload(client.authStore.token);
        assert.equal(claims.exp - claims.iat, 120);
        await apiError(client.collection("users").authRefresh(), 403);
        await apiError(newClient(srv).collection("users").impersonate(user.id, 120), 401);
    });

    test("settings never return the SMTP password, and testEmail sends", async () => {
        await su.settings.update({ smtp: { username: "mailer", password: "sdk-secret" } });
        const settings = await su.settings.getAll();
        assert.equal(settings.smtp.passwordSet, true);
        assert.equal(JSON.stringify(settings).includes("sdk-secret"), false);
        await su.settings.update({ smtp: { username: "", password: null } });

        assert.equal(await su.settings.testEmail("users", "ops@example.com", "password-reset"), true);
        const msg = await sink.next();
        assert.deepEqual(msg.to, ["ops@example.com"]);
        assert.equal(msg.subject, "Reset your SDK Test password");
    });
});
