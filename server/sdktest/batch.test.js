// POST /api/batch through pb.createBatch(): all sub-requests in one
// transaction. The SDK sends multipart/form-data with an "@jsonPayload" part.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, assertRecordOf, fieldError } from "./expect.js";
import { createBlog, dropCollections } from "./schema.js";
import { newClient, superuserClient, useServer } from "./server.js";

let pb;
let authors;
let posts;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    ({ authors, posts } = await createBlog(pb));
    srv.defer(() => dropCollections(pb, [authors, posts]));
});

const col = () => pb.collection(posts.name);

async function titles(filter) {
    const all = await col().getFullList({ filter, sort: "title" });
    return all.map((r) => r.title);
}

describe("createBatch", () => {
    test("creates, updates and deletes in one request", async () => {
        const keep = await col().create({ title: "b1-keep", views: 1 });
        const gone = await col().create({ title: "b1-gone" });

        const batch = pb.createBatch();
        batch.collection(posts.name).create({ title: "b1-new", views: 10, tags: ["a"] });
        batch.collection(posts.name).update(keep.id, { title: "b1-kept", "views+": 4 });
        batch.collection(posts.name).delete(gone.id);
        const res = await batch.send();

        assert.ok(Array.isArray(res), `batch answer is not an array: ${JSON.stringify(res)}`);
        assert.deepEqual(
            res.map((r) => r.status),
            [200, 200, 204],
        );

        const created = res[0].body;
        assertRecordOf(created, posts);
        assert.equal(created.title, "b1-new");
        assert.equal(created.views, 10);
        assert.deepEqual(created.tags, ["a"]);

        const updated = res[1].body;
        assert.equal(updated.id, keep.id);
        assert.equal(updated.title, "b1-kept");
        assert.equal(updated.views, 5);

        assert.deepEqual(await titles('title ~ "b1-"'), ["b1-kept", "b1-new"]);
        await apiError(col().getOne(gone.id), 404);
    });

    test("later sub-requests see earlier ones", async () => {
        const batch = pb.createBatch();
        batch.collection(posts.name).create({ id: "batchchainid001", title: "b2-first", views: 1 });
        batch.collection(posts.name).update("batchchainid001", { "views+": 1 });
        const res = await batch.send();
        assert.deepEqual(
            res.map((r) => r.status),
            [200, 200],
        );
        assert.equal(res[1].body.views, 2);
        assert.equal((await col().getOne("batchchainid001")).views, 2);
    });

    test("sub-requests may target different collections", async () => {
        const batch = pb.createBatch();
        batch.collection(authors.name).create({ id: "batchauthorid01", name: "Batch Author" });
        batch.collection(posts.name).create({ title: "b3-post", author: "batchauthorid01" }, { expand: "author" });
        const res = await batch.send();
        assert.deepEqual(
            res.map((r) => r.status),
            [200, 200],
        );
        assertRecordOf(res[0].body, authors);
        assertRecordOf(res[1].body, posts);
        assert.equal(res[1].body.author, "batchauthorid01");
        assert.equal(res[1].body.expand?.author?.name, "Batch Author", JSON.stringify(res[1].body));
    });

    test("upsert creates when the id is new and updates when it exists", async () => {
        const existing = await col().create({ title: "b4-old" });
        const batch = pb.createBatch();
        batch.collection(posts.name).upsert({ id: existing.id, title: "b4-updated" });
        batch.collection(posts.name).upsert({ id: "batchupsertid01", title: "b4-created" });
        const res = await batch.send();
        assert.deepEqual(
            res.map((r) => r.status),
            [200, 200],
        );
        assert.equal(res[0].body.id, existing.id);
        assert.equal(res[1].body.id, "batchupsertid01");
        assert.deepEqual(await titles('title ~ "b4-"'), ["b4-created", "b4-updated"]);
    });

    test("a failing sub-request rolls everything back", async () => {
        const keep = await col().create({ title: "b5-untouched", views: 1 });
        const doomed = await col().create({ title: "b5-not-deleted" });

        const batch = pb.createBatch();
        batch.collection(posts.name).create({ title: "b5-should-vanish" });
        batch.collection(posts.name).update(keep.id, { title: "b5-changed", "views+": 1 });
        batch.collection(posts.name).delete(doomed.id);
        batch.collection(posts.name).create({ views: 3 }); // title is required
        const err = await apiError(batch.send(), 400);

        const failed = err.response.data.requests?.["3"];
        assert.ok(failed, `no data.requests["3"] in ${JSON.stringify(err.response)}`);
        assert.equal(failed.code, "batch_request_failed");
        assert.equal(failed.response?.status, 400, JSON.stringify(failed));
        fieldError({ response: failed.response }, "title", "validation_required");

        assert.deepEqual(await titles('title ~ "b5-"'), ["b5-not-deleted", "b5-untouched"]);
        const after = await col().getOne(keep.id);
        assert.equal(after.views, 1);
        assert.equal(after.updated, keep.updated);
    });

    test("a sub-request on a missing record rolls back and reports its index", async () => {
        const batch = pb.createBatch();
        batch.collection(posts.name).create({ title: "b6-should-vanish" });
        batch.collection(posts.name).update("nosuchrecord000", { title: "x" });
        const err = await apiError(batch.send(), 400);
        const failed = err.response.data.requests?.["1"];
        assert.ok(failed, `no data.requests["1"] in ${JSON.stringify(err.response)}`);
        assert.equal(failed.code, "batch_request_failed");
        assert.equal(failed.response?.status, 404, JSON.stringify(failed));
        assert.deepEqual(await titles('title ~ "b6-"'), []);
    });

    test("an empty batch is a 400 validation error on 'requests'", async () => {
        const err = await apiError(pb.createBatch().send(), 400);
        fieldError(err, "requests");
    });

    test("a batch without auth is refused and writes nothing", async () => {
        const batch = newClient(srv).createBatch();
        batch.collection(posts.name).create({ title: "b7-guest" });
        const err = await apiError(batch.send(), 400);
        assert.equal(err.response.data.requests?.["0"]?.response?.status, 403, JSON.stringify(err.response));
        assert.deepEqual(await titles('title ~ "b7-"'), []);
    });
});
