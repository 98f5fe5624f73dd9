// One-time passwords, multi-factor sign-in and new-location alerts through
// the SDK: requestOTP/authWithOTP, the 401 {mfaId} of a first method and
// the second method sent with it, on an auth collection of this file's own
// and on _superusers; the emails are caught by an SMTP sink.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, RECORD_ID } from "./expect.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";
import { startSmtpSink } from "./smtpsink.js";

let su;
let sink;
let members; // the auth collection's name

const srv = useServer(async () => {
    su = await superuserClient(srv);
    sink = await startSmtpSink();
    srv.defer(() => sink.close());
    await su.settings.update({
        meta: { appName: "SDK Test", appURL: "http://app.test", senderName: "Support", senderAddress: "support@sdk.test" },
        smtp: { enabled: true, host: "127.0.0.1", port: sink.port, tlsMode: "none" },
    });
    srv.defer(() => su.settings.update({ smtp: { enabled: false } }));
    // More sign-ins and OTP requests than the default rate limits allow
    // one address in a minute (TestOTPRequestRateLimit covers those).
    const { rateLimits } = await su.settings.getAll();
    await su.settings.update({ rateLimits: { ...rateLimits, enabled: false } });
    srv.defer(() => su.settings.update({ rateLimits }));
    members = `members_${uniqueSuffix()}`;
    await su.collections.create({
        name: members,
        type: "auth",
        fields: [{ name: "name", type: "text" }],
        passwordAuth: { enabled: true, identityFields: ["email"] },
        otp: { enabled: true, length: 6, duration: 300 },
    });
    srv.defer(() => su.collections.delete(members));
});

async function newMember(password = "member password") {
    const email = `m-${uniqueSuffix()}@example.com`;
    const rec = await su.collection(members).create({ email, password, passwordConfirm: password, name: "Mo" });
    return { id: rec.id, email, password };
}

// nextCode waits for the OTP email to `to` and returns the code in it.
async function nextCode(to) {
    const msg = await sink.next();
    assert.deepEqual(msg.to, [to]);
    assert.equal(msg.subject, "OTP for SDK Test");
    const m = msg.text.match(/<strong>(\d+)<\/strong>/);
    assert.ok(m, `no code in:\n${msg.text}`);
    return m[1];
}

// mfaIdOf expects the 401 of a first sign-in method, whose body is only
// {mfaId} (as PocketBase's), and returns the id.
async function mfaIdOf(promise) {
    const err = await promise.then(
        (res) => assert.fail(`signed in with one method: ${JSON.stringify(res)}`),
        (err) => err,
    );
    assert.equal(err.status, 401, JSON.stringify(err.response));
    assert.deepEqual(Object.keys(err.response), ["mfaId"], JSON.stringify(err.response));
    assert.match(err.response.mfaId, RECORD_ID);
    return err.response.mfaId;
}

describe("OTP", () => {
    test("auth-methods reports it", async () => {
        const methods = await newClient(srv).collection(members).listAuthMethods();
        assert.deepEqual(methods.otp, { enabled: true, duration: 300 });
        assert.deepEqual(methods.mfa, { enabled: false, duration: 0 });
    });

    test("requestOTP mails a code; authWithOTP signs in with it once and verifies the email", async () => {
        const m = await newMember();
        const pb = newClient(srv);
        const { otpId } = await pb.collection(members).requestOTP(m.email);
        assert.match(otpId, RECORD_ID);
        const code = await nextCode(m.email);
        assert.equal(code.length, 6);

        const auth = await pb.collection(members).authWithOTP(otpId, code);
        assert.equal(auth.record.id, m.id);
        assert.equal(auth.record.verified, true);
        assert.equal(pb.authStore.record.id, m.id);
        assert.equal(pb.authStore.isValid, true);

        const again = await apiError(newClient(srv).collection(members).authWithOTP(otpId, code), 400);
        assert.equal(again.response.message, "Invalid or expired OTP.");
    });

    test("an unknown email gets an id too, which leads nowhere", async () => {
        const pb = newClient(srv);
        const { otpId } = await pb.collection(members).requestOTP(`nobody-${uniqueSuffix()}@example.com`);
        assert.match(otpId, RECORD_ID);
        const err = await apiError(pb.collection(members).authWithOTP(otpId, "123456"), 400);
        assert.deepEqual(err.response, { status: 400, message: "Invalid or expired OTP.", data: {} });
    });

    test("an OTP of one collection does not sign in to another", async () => {
        const m = await newMember();
        const { otpId } = await newClient(srv).collection(members).requestOTP(m.email);
        const code = await nextCode(m.email);
        const pb = newClient(srv);
        await apiError(pb.collection("users").authWithOTP(otpId, code), 403); // users has OTP off
        await apiError(pb.collection("_superusers").authWithOTP(otpId, code), 403);
        // Still good where it belongs.
        await pb.collection(members).authWithOTP(otpId, code);
    });

    test("wrong codes end the OTP", async () => {
        const m = await newMember();
        const pb = newClient(srv);
        const { otpId } = await pb.collection(members).requestOTP(m.email);
        const code = await nextCode(m.email);
        const wrong = (code[0] === "9" ? "0" : String(Number(code[0]) + 1)) + code.slice(1);
        for (let i = 0; i < 5; i++) {
            await apiError(pb.collection(members).authWithOTP(otpId, wrong), 400);
        }
        const err = await apiError(pb.collection(members).authWithOTP(otpId, code), 429);
        assert.equal(err.response.message, "Too many attempts, please try again later with a new OTP.");
    });
});

describe("MFA", () => {
    test("password, then OTP with the mfaId", async () => {
        const name = `mfa_${uniqueSuffix()}`;
        await su.collections.create({
            name,
            type: "auth",
            passwordAuth: { enabled: true, identityFields: ["email"] },
            otp: { enabled: true, length: 6 },
            mfa: { enabled: true, duration: 600 },
        });
        srv.defer(() => su.collections.delete(name));
        const mk = async (email) =>
            su.collection(name).create({ email, password: "mfa password", passwordConfirm: "mfa password" });
        const ann = await mk(`ann-${uniqueSuffix()}@example.com`);
        const bob = await mk(`bob-${uniqueSuffix()}@example.com`);

        const methods = await newClient(srv).collection(name).listAuthMethods();
        assert.deepEqual(methods.mfa, { enabled: true, duration: 600 });

        const pb = newClient(srv);
        const mfaId = await mfaIdOf(pb.collection(name).authWithPassword(ann.email, "mfa password"));
        assert.equal(pb.authStore.isValid, false, "a first method signs nobody in");

        const same = await apiError(pb.collection(name).authWithPassword(ann.email, "mfa password", { mfaId }), 400);
        assert.equal(same.response.message, "A different authentication method is required.");
        const other = await apiError(pb.collection(name).authWithPassword(bob.email, "mfa password", { mfaId }), 400);
        assert.equal(other.response.message, "Invalid MFA session.");
        const unknown = await apiError(
            pb.collection(name).authWithPassword(ann.email, "mfa password", { mfaId: "abcdefghijklmno" }),
            400,
        );
        assert.equal(unknown.response.message, "Invalid or expired MFA session.");

        const { otpId } = await pb.collection(name).requestOTP(ann.email);
        const auth = await pb.collection(name).authWithOTP(otpId, await nextCode(ann.email), { mfaId });
        assert.equal(auth.record.id, ann.id);
        assert.equal(pb.authStore.record.id, ann.id);

        const used = await apiError(newClient(srv).collection(name).authWithPassword(ann.email, "mfa password", { mfaId }), 400);
        assert.equal(used.response.message, "Invalid or expired MFA session.");

        // OTP first, then the password.
        const pb2 = newClient(srv);
        const { otpId: otp2 } = await pb2.collection(name).requestOTP(bob.email);
        const mfa2 = await mfaIdOf(pb2.collection(name).authWithOTP(otp2, await nextCode(bob.email)));
        const auth2 = await pb2.collection(name).authWithPassword(bob.email, "mfa password", { mfaId: mfa2 });
        assert.equal(auth2.record.id, bob.id);
    });

    test(
        "superusers: password, then OTP",
        { skip: process.env.DATABASE_URL ? "would change the shared database's superuser sign-in" : false },
        async () => {
            await su.collections.update("_superusers", { otp: { enabled: true, length: 6 }, mfa: { enabled: true } });
            try {
                const pb = newClient(srv);
                const mfaId = await mfaIdOf(pb.collection("_superusers").authWithPassword(srv.email, srv.password));
                const { otpId } = await pb.collection("_superusers").requestOTP(srv.email);
                await pb.collection("_superusers").authWithOTP(otpId, await nextCode(srv.email), { mfaId });
                assert.equal(pb.authStore.isSuperuser, true);
                assert.ok(Array.isArray(await pb.collections.getFullList()));
            } finally {
                await su.collections.update("_superusers", { otp: { enabled: false }, mfa: { enabled: false } });
            }
        },
    );
});

describe("new-location alerts", () => {
    test("a sign-in from a new user agent mails the record; the first one ever does not", async () => {
        const m = await newMember();
        const from = (ua) =>
            newClient(srv).collection(members).authWithPassword(m.email, m.password, { headers: { "User-Agent": ua } });
        await from("Laptop/1.0");
        await from("Laptop/1.0");
        await from("Phone/2.0");
        const msg = await sink.next();
        assert.deepEqual(msg.to, [m.email]);
        assert.equal(msg.subject, "Login from a new location");
        assert.match(msg.text, / - 127\.0\.0\.1 Phone\/2\.0/);
        assert.equal(sink.count(), 0, "one alert only");
    });
});
