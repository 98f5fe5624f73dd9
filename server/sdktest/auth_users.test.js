// Users of the default "users" auth collection through the SDK: sign-in,
// refresh, email verification, password reset, email change and
// impersonation, with the emails caught by a small SMTP server started
// here and configured through pb.settings.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, RECORD_ID } from "./expect.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";
import { startSmtpSink } from "./smtpsink.js";

const APP_URL = "http://app.test";

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
