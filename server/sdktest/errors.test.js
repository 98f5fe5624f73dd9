// ClientResponseError shapes: {status, message, data} for validation,
// not-found, bad-filter and unauthorized requests.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, fieldError } from "./expect.js";
import { createBlog, dropCollections } from "./schema.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

let pb;
let authors;
let posts;
let post;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    ({ authors, posts } = await createBlog(pb));
    srv.defer(() => dropCollections(pb, [authors, posts]));
    post = await pb.collection(posts.name).create({ title: "exists", views: 1 });
});

const col = () => pb.collection(posts.name);

describe("validation errors (400)", () => {
    test("a missing required field is validation_required on that field", async () => {
        const err = await apiError(col().create({ views: 1 }), 400);
        fieldError(err, "title", "validation_required");
    });

    test("an empty required field is validation_required on update too", async () => {
        const err = await apiError(col().update(post.id, { title: "" }), 400);
        fieldError(err, "title", "validation_required");
        assert.equal((await col().getOne(post.id)).title, "exists");
    });

    test("every invalid field is reported at once, and nothing is written", async () => {
        const countBefore = (await col().getList(1, 1)).totalItems;
        const err = await apiError(col().create({ tags: ["z"], author: "nosuchauthor00" }), 400);
        fieldError(err, "title", "validation_required");
        fieldError(err, "tags");
        fieldError(err, "author");
        assert.equal((await col().getList(1, 1)).totalItems, countBefore);
    });

    test("a select value outside the allowed list is rejected", async () => {
        const err = await apiError(col().create({ title: "t", tags: ["a", "nope"] }), 400);
        fieldError(err, "tags");
    });

    test("more select values than maxSelect are rejected", async () => {
        const c = await pb.collections.create({
            name: `pick_${uniqueSuffix()}`,
            type: "base",
            fields: [{ name: "two", type: "select", values: ["x", "y", "z"], maxSelect: 2 }],
        });
        try {
            const ok = await pb.collection(c.name).create({ two: ["x", "z"] });
            assert.deepEqual([...ok.two].sort(), ["x", "z"]);
            const err = await apiError(pb.collection(c.name).create({ two: ["x", "y", "z"] }), 400);
            fieldError(err, "two");
        } finally {
            await pb.collections.delete(c.id);
        }
    });

    test("a relation to a missing record is rejected", async () => {
        const err = await apiError(col().create({ title: "t", author: "nosuchauthor00" }), 400);
        fieldError(err, "author");
    });

});

describe("not found (404)", () => {
    const missing = `missing_${uniqueSuffix()}`;

    test("list on an unknown collection", async () => {
        const err = await apiError(pb.collection(missing).getList(), 404);
        assert.deepEqual(err.response.data, {});
    });

    test("view, create, update and delete on an unknown collection", async () => {
        await apiError(pb.collection(missing).getOne(post.id), 404);
        await apiError(pb.collection(missing).create({ title: "x" }), 404);
        await apiError(pb.collection(missing).update(post.id, { title: "x" }), 404);
        await apiError(pb.collection(missing).delete(post.id), 404);
    });

    test("an unknown record id", async () => {
        const err = await apiError(col().getOne("nosuchrecord000"), 404);
        assert.deepEqual(err.response.data, {});
    });

    test("a record of another collection is not found through this one", async () => {
        const a = await pb.collection(authors.name).create({ name: "Zed" });
        await apiError(col().getOne(a.id), 404);
    });
});

describe("bad list parameters (400)", () => {
    const bad = [
        ["a dangling operator", { filter: "title = " }],
        ["an unbalanced parenthesis", { filter: '(title = "x"' }],
        ["an unknown operator", { filter: 'title === "x"' }],
        ["an unterminated string", { filter: 'title = "x' }],
        ["an unknown field", { filter: 'nosuchfield = "x"' }],
        ["an unknown sort field", { sort: "-nosuchfield" }],
        ["an unknown relation path", { filter: 'author.nosuchfield = "x"' }],
    ];
    for (const [what, options] of bad) {
        test(`${what}: ${JSON.stringify(options)}`, async () => {
            await apiError(col().getList(1, 10, options), 400);
        });
    }

    test("quotes inside a bound value stay inside the value", async () => {
        const filter = pb.filter("title = {:t}", { t: `x" || views > 0 || title = "` });
        const list = await col().getList(1, 10, { filter });
        assert.equal(list.totalItems, 0);
    });

    test("a statement separator is a syntax error, not SQL", async () => {
        await apiError(col().getList(1, 10, { filter: `title = 'x'; DELETE FROM ${posts.name}; --` }), 400);
        assert.equal((await col().getOne(post.id)).title, "exists");
    });
});

describe("requests without auth", () => {
    test("records endpoints answer 403 for a guest (rules are superuser-only)", async () => {
        const guest = newClient(srv).collection(posts.name);
        const attempts = {
            getList: () => guest.getList(),
            getOne: () => guest.getOne(post.id),
            getFullList: () => guest.getFullList(),
            create: () => guest.create({ title: "guest" }),
            update: () => guest.update(post.id, { title: "guest" }),
            delete: () => guest.delete(post.id),
        };
        for (const [name, attempt] of Object.entries(attempts)) {
            try {
                await apiError(attempt(), 403);
            } catch (err) {
                err.message = `guest ${name}: ${err.message}`;
                throw err;
            }
        }
        const still = await col().getOne(post.id);
        assert.equal(still.title, "exists");
        assert.equal(
            (await col().getList(1, 1, { filter: 'title = "guest"' })).totalItems,
            0,
            "a guest create wrote a record",
        );
    });

    // PocketBase quietly treats a bad token as a guest; Lumbung answers 401
    // so that an expired or forged token is noticed instead of looking like
    // missing permissions.
    test("an invalid token is refused with 401", async () => {
        const client = newClient(srv);
        client.authStore.save("not.a.token", null);
        await apiError(client.collection(posts.name).getList(), 401);
    });

    test("schema endpoints answer 401 for a guest", async () => {
        const guest = newClient(srv);
        await apiError(guest.collections.getFullList(), 401);
        await apiError(guest.collections.getOne(posts.id), 401);
        await apiError(guest.collections.update(posts.id, { name: "x" }), 401);
        await apiError(guest.collections.delete(posts.id), 401);
        assert.equal((await pb.collections.getOne(posts.id)).name, posts.name);
    });
});
