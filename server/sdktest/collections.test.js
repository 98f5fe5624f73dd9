// Schema administration through pb.collections (/api/collections).

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { apiError, assertRecordOf, DATETIME, fieldError, nestedError } from "./expect.js";
import { authorsBody, dropCollections, postsBody } from "./schema.js";
import { superuserClient, uniqueSuffix, useServer } from "./server.js";

const created = [];
let pb;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    srv.defer(() => dropCollections(pb, created));
});

async function createCollection(body) {
    const c = await pb.collections.create(body);
    created.push(c);
    return c;
}

function field(collection, name) {
    const f = collection.fields.find((x) => x.name === name);
    assert.ok(f, `collection ${collection.name} has no field '${name}': ${JSON.stringify(collection.fields)}`);
    return f;
}

describe("create", () => {
    let authors;
    let posts;

    before(async () => {
        authors = await createCollection(authorsBody());
        posts = await createCollection(postsBody(authors.id));
    });

    test("returns the collection model with an id, name, type and dates", () => {
        for (const c of [authors, posts]) {
            assert.equal(typeof c.id, "string");
            assert.notEqual(c.id, "");
            assert.equal(c.type, "base");
            assert.equal(c.system, false);
            assert.match(c.created, DATETIME);
            assert.match(c.updated, DATETIME);
            assert.ok(Array.isArray(c.fields));
            assert.ok(Array.isArray(c.indexes), "indexes is an array");
        }
        assert.match(authors.name, /^authors_/);
        assert.notEqual(authors.id, posts.id);
    });

    test("new collections are superuser-only: every rule is null", () => {
        for (const rule of ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"]) {
            assert.equal(posts[rule], null, rule);
        }
    });

    test("every field has a stable id, and the submitted options are kept", () => {
        for (const f of posts.fields) {
            assert.equal(typeof f.id, "string", `field ${f.name} id`);
            assert.notEqual(f.id, "", `field ${f.name} id`);
        }
        assert.equal(new Set(posts.fields.map((f) => f.id)).size, posts.fields.length, "field ids are unique");

        assert.equal(field(posts, "id").type, "text");
        assert.equal(field(posts, "title").type, "text");
        assert.equal(field(posts, "title").required, true);
        assert.equal(field(posts, "views").type, "number");
        assert.equal(field(posts, "published").type, "bool");
        const tags = field(posts, "tags");
        assert.equal(tags.type, "select");
        assert.deepEqual(tags.values, ["a", "b", "c"]);
        assert.equal(tags.maxSelect, 3);
        assert.equal(field(posts, "meta").type, "json");
        assert.equal(field(posts, "when").type, "date");
        const author = field(posts, "author");
        assert.equal(author.type, "relation");
        assert.equal(author.collectionId, authors.id);
        assert.equal(author.maxSelect, 1);
    });

    // Lumbung adds these to every base collection (DESIGN "Data model");
    // PocketBase adds them only when the client sends them.
    test("base collections get created/updated autodate fields", () => {
        for (const name of ["created", "updated"]) {
            assert.equal(field(posts, name).type, "autodate", name);
        }
    });

    test("a taken name is a 400 validation error on 'name'", async () => {
        const err = await apiError(pb.collections.create(authorsBody(authors.name)), 400);
        fieldError(err, "name");
    });

    test("an invalid collection name is a 400 validation error on 'name'", async () => {
        const err = await apiError(pb.collections.create(authorsBody("bad name!")), 400);
        fieldError(err, "name");
    });

    test("an unknown field type is a 400 and creates nothing", async () => {
        const body = authorsBody();
        body.fields.push({ name: "x", type: "no_such_type" });
        await apiError(pb.collections.create(body), 400);
        await apiError(pb.collections.getOne(body.name), 404);
    });

    test("a relation to a missing collection is a 400 under 'fields'", async () => {
        const body = postsBody("nosuchcollection");
        const err = await apiError(pb.collections.create(body), 400);
        nestedError(err, "fields");
        await apiError(pb.collections.getOne(body.name), 404);
    });
});

describe("read", () => {
    let authors;
    let posts;

    before(async () => {
        authors = await createCollection(authorsBody());
        posts = await createCollection(postsBody(authors.id));
    });

    test("getOne finds a collection by name and by id", async () => {
        const byName = await pb.collections.getOne(posts.name);
        const byId = await pb.collections.getOne(posts.id);
        assert.equal(byName.id, posts.id);
        assert.equal(byId.name, posts.name);
        assert.deepEqual(
            byId.fields.map((f) => [f.id, f.name, f.type]),
            posts.fields.map((f) => [f.id, f.name, f.type]),
        );
    });

    test("getOne of an unknown collection is 404", async () => {
        await apiError(pb.collections.getOne(`missing_${uniqueSuffix()}`), 404);
    });

    test("getFullList includes the new collections and _superusers", async () => {
        const all = await pb.collections.getFullList();
        const names = all.map((c) => c.name);
        assert.ok(names.includes(authors.name), names.join(","));
        assert.ok(names.includes(posts.name), names.join(","));
        const su = all.find((c) => c.name === "_superusers");
        assert.ok(su, "_superusers is listed");
        assert.equal(su.type, "auth");
        assert.equal(su.system, true);
    });

    test("getList filters by name and reports totals", async () => {
        const list = await pb.collections.getList(1, 10, { filter: `name = "${posts.name}"` });
        assert.equal(list.totalItems, 1);
        assert.equal(list.totalPages, 1);
        assert.deepEqual(
            list.items.map((c) => c.id),
            [posts.id],
        );
    });
});

describe("update", () => {
    let authors;
    let posts;
    let record;

    before(async () => {
        authors = await createCollection(authorsBody());
        posts = await createCollection(postsBody(authors.id));
        record = await pb.collection(posts.name).create({ title: "kept", views: 5, tags: ["b"] });
    });

    test("adding a field keeps existing data and the new field is writable", async () => {
        const current = await pb.collections.getOne(posts.id);
        const updated = await pb.collections.update(posts.id, {
            fields: [...current.fields, { name: "subtitle", type: "text" }],
        });
        const subtitle = field(updated, "subtitle");
        assert.equal(subtitle.type, "text");
        assert.notEqual(subtitle.id ?? "", "");
        for (const f of current.fields) {
            assert.equal(field(updated, f.name).id, f.id, `field ${f.name} keeps its id`);
        }

        const old = await pb.collection(posts.name).getOne(record.id);
        assert.equal(old.title, "kept");
        assert.equal(old.views, 5);
        assert.equal(old.subtitle, "");

        const r = await pb.collection(posts.name).update(record.id, { subtitle: "sub" });
        assert.equal(r.subtitle, "sub");
    });

    test("renaming a field keeps its id and its data", async () => {
        const current = await pb.collections.getOne(posts.id);
        const viewsId = field(current, "views").id;
        const fields = current.fields.map((f) => (f.id === viewsId ? { ...f, name: "view_count" } : f));

        const updated = await pb.collections.update(posts.id, { fields });
        assert.equal(field(updated, "view_count").id, viewsId);
        assert.equal(
            updated.fields.some((f) => f.name === "views"),
            false,
            "old field name is gone",
        );

        const r = await pb.collection(posts.name).getOne(record.id);
        assert.equal(r.view_count, 5);
        assert.equal("views" in r, false, `record still has 'views': ${JSON.stringify(r)}`);

        const list = await pb.collection(posts.name).getList(1, 10, { filter: "view_count = 5" });
        assert.deepEqual(
            list.items.map((x) => x.id),
            [record.id],
        );
    });

    test("filtering by the old field name is now a 400", async () => {
        await apiError(pb.collection(posts.name).getList(1, 10, { filter: "views = 5" }), 400);
    });

    test("renaming a collection keeps its id and records", async () => {
        const newName = `renamed_${uniqueSuffix()}`;
        const updated = await pb.collections.update(posts.id, { name: newName });
        assert.equal(updated.id, posts.id);
        assert.equal(updated.name, newName);

        const r = await pb.collection(newName).getOne(record.id);
        assertRecordOf(r, updated);
        assert.equal(r.title, "kept");
        await apiError(pb.collection(posts.name).getList(), 404);
    });

    test("a change that fails validation changes nothing", async () => {
        const current = await pb.collections.getOne(posts.id);
        // a valid rename together with an invalid new field name
        const fields = current.fields.map((f) => (f.name === "title" ? { ...f, name: "headline" } : f));
        fields.push({ name: "bad name!", type: "text" });
        const err = await apiError(pb.collections.update(posts.id, { fields }), 400);
        nestedError(err, "fields");

        const after = await pb.collections.getOne(posts.id);
        assert.deepEqual(after.fields, current.fields);
        const r = await pb.collection(after.name).getOne(record.id);
        assert.equal(r.title, "kept");
        assert.equal("headline" in r, false);
    });

    test("updating an unknown collection is 404", async () => {
        await apiError(pb.collections.update(`missing_${uniqueSuffix()}`, { name: "x" }), 404);
    });
});

describe("delete", () => {
    test("removes the collection and its records endpoint", async () => {
        const c = await pb.collections.create(authorsBody());
        await pb.collection(c.name).create({ name: "doomed" });

        assert.equal(await pb.collections.delete(c.id), true);
        await apiError(pb.collections.getOne(c.id), 404);
        await apiError(pb.collection(c.name).getList(), 404);
    });

    test("the name can be reused after delete", async () => {
        const c = await pb.collections.create(authorsBody());
        await pb.collections.delete(c.name);
        await createCollection(authorsBody(c.name));
        const r = await pb.collection(c.name).create({ name: "fresh" });
        assert.equal(r.name, "fresh");
        assert.equal((await pb.collection(c.name).getList()).totalItems, 1);
    });

    test("deleting an unknown collection is 404", async () => {
        await apiError(pb.collections.delete(`missing_${uniqueSuffix()}`), 404);
    });

    test("a collection referenced by a relation cannot be deleted", async () => {
        const authors = await createCollection(authorsBody());
        await createCollection(postsBody(authors.id));
        await apiError(pb.collections.delete(authors.id), 400);
        assert.equal((await pb.collections.getOne(authors.id)).id, authors.id);
    });
});
