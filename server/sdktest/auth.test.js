// Superuser authentication through the SDK:
// POST /api/collections/_superusers/auth-with-password and auth-refresh.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, DATETIME, RECORD_ID } from "./expect.js";
import { newClient, useServer } from "./server.js";

const srv = useServer();

function jwtPayload(token) {
    const parts = token.split(".");
    assert.equal(parts.length, 3, `token is not a JWT: ${token}`);
    return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
}

describe("authWithPassword on _superusers", () => {
    test("returns a token and the superuser record, and the SDK stores them", async () => {
        const pb = newClient(srv);
        const auth = await pb.collection("_superusers").authWithPassword(srv.email, srv.password);

        assert.equal(typeof auth.token, "string");
        const claims = jwtPayload(auth.token);
        assert.equal(claims.type, "auth", "token claim 'type'");
        assert.equal(claims.id, auth.record.id, "token claim 'id' names the record");
        assert.equal(claims.collectionId, auth.record.collectionId, "token claim 'collectionId'");
        assert.equal(typeof claims.exp, "number", "token claim 'exp'");

        assert.match(auth.record.id, RECORD_ID);
        assert.equal(auth.record.email, srv.email);
        assert.equal(auth.record.collectionName, "_superusers");
        assert.equal(typeof auth.record.collectionId, "string");
        assert.notEqual(auth.record.collectionId, "");
        assert.match(auth.record.created, DATETIME);
        assert.match(auth.record.updated, DATETIME);
        for (const secret of ["password", "passwordHash", "tokenKey"]) {
            assert.equal(secret in auth.record, false, `record exposes ${secret}`);
        }

        assert.equal(pb.authStore.token, auth.token);
        assert.equal(pb.authStore.record.id, auth.record.id);
        assert.equal(pb.authStore.isValid, true);
        assert.equal(pb.authStore.isSuperuser, true);
    });

    test("the token authorizes superuser-only endpoints", async () => {
        const pb = newClient(srv);
        await pb.collection("_superusers").authWithPassword(srv.email, srv.password);
        const list = await pb.collections.getFullList();
        assert.ok(Array.isArray(list));
    });

    test("a wrong password is a 400 that reveals nothing", async () => {
        const pb = newClient(srv);
        const err = await apiError(
            pb.collection("_superusers").authWithPassword(srv.email, srv.password + "x"),
            400,
        );
        assert.deepEqual(err.response.data, {});
        assert.equal(pb.authStore.token, "");
        assert.equal(pb.authStore.record, null);
    });

    test("an unknown identity fails exactly like a wrong password", async () => {
        const pb = newClient(srv);
        const wrongPw = await apiError(
            pb.collection("_superusers").authWithPassword(srv.email, "not-the-password"),
            400,
        );
        const unknown = await apiError(
            pb.collection("_superusers").authWithPassword("nobody@example.com", "not-the-password"),
            400,
        );
        assert.deepEqual(unknown.response, wrongPw.response);
    });

    test("a missing password is a 400 validation error on 'password'", async () => {
        const pb = newClient(srv);
        const err = await apiError(pb.collection("_superusers").authWithPassword(srv.email, ""), 400);
        assert.equal(typeof err.response.data.password?.code, "string", JSON.stringify(err.response));
    });
});

describe("authRefresh on _superusers", () => {
    test("returns a fresh token for the same record", async () => {
        const pb = newClient(srv);
        const first = await pb.collection("_superusers").authWithPassword(srv.email, srv.password);
        const refreshed = await pb.collection("_superusers").authRefresh();

        assert.equal(typeof refreshed.token, "string");
        assert.equal(jwtPayload(refreshed.token).id, first.record.id);
        assert.equal(refreshed.record.id, first.record.id);
        assert.equal(refreshed.record.email, srv.email);
        assert.equal(pb.authStore.token, refreshed.token);
    });

    test("without a token is 401", async () => {
        const pb = newClient(srv);
        await apiError(pb.collection("_superusers").authRefresh(), 401);
    });
});

describe("requests without superuser auth", () => {
    test("collections endpoints answer 401 with no token", async () => {
        const pb = newClient(srv);
        await apiError(pb.collections.getFullList(), 401);
        await apiError(pb.collections.create({ name: "nope", type: "base", fields: [] }), 401);
    });

    test("a cleared auth store loses access", async () => {
        const pb = newClient(srv);
        await pb.collection("_superusers").authWithPassword(srv.email, srv.password);
        await pb.collections.getFullList();
        pb.authStore.clear();
        await apiError(pb.collections.getFullList(), 401);
    });

    test("a forged token is not accepted", async () => {
        const pb = newClient(srv);
        const auth = await pb.collection("_superusers").authWithPassword(srv.email, srv.password);
        const [h, p] = auth.token.split(".");
        pb.authStore.save(`${h}.${p}.${Buffer.from("forged-signature").toString("base64url")}`, auth.record);
        await apiError(pb.collections.getFullList(), 401);
    });
});
