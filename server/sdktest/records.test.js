// Records API through pb.collection(name): CRUD, list parameters, filters,
// expand, fields projection and update modifiers.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClientResponseError } from "pocketbase";
import { apiError, assertRecordOf, DATETIME, ids, RECORD_ID, sorted } from "./expect.js";
import { createBlog, dropCollections } from "./schema.js";
import { superuserClient, useServer } from "./server.js";

let pb;
let authors;
let posts;
let ann;
let bob;
const seeded = []; // list-1 … list-7, indexed by views - 1

const LIST = 'title ~ "list-"';
const TAGS = [["a"], ["b"], ["c"], ["a", "b"], ["b", "c"], ["a", "c"], ["a", "b", "c"]];

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    ({ authors, posts } = await createBlog(pb));
    srv.defer(() => dropCollections(pb, [authors, posts]));

    ann = await pb.collection(authors.name).create({ name: "Ann" });
    bob = await pb.collection(authors.name).create({ name: "Bob" });
    for (let i = 1; i <= 7; i++) {
        seeded.push(
            await pb.collection(posts.name).create({
                title: `list-${i}`,
                views: i,
                published: i % 2 === 1,
                tags: TAGS[i - 1],
                meta: { rank: i },
                when: `2024-01-0${i} 12:00:00.000Z`,
                author: i <= 4 ? ann.id : bob.id,
            }),
        );
    }
});

const views = (records) => records.map((r) => r.views);
const col = () => pb.collection(posts.name);

describe("create, getOne, update, delete", () => {
    test("create stores every field type and returns the record", async () => {
        const input = {
            title: "hello",
            views: 3.5,
            published: true,
            tags: ["b", "a"],
            meta: { n: 1, nested: { ok: true }, arr: [1, "x", null] },
            when: "2024-05-01T10:20:30Z",
            author: ann.id,
        };
        const r = await col().create(input);

        assertRecordOf(r, posts);
        assert.equal(r.title, "hello");
        assert.equal(r.views, 3.5);
        assert.equal(r.published, true);
        assert.deepEqual(sorted(r.tags), ["a", "b"]);
        assert.deepEqual(r.meta, input.meta);
        assert.equal(r.when, "2024-05-01 10:20:30.000Z");
        assert.equal(r.author, ann.id);
        // created/updated: Lumbung gives base collections autodate fields by
        // default (DESIGN "Data model"); PocketBase only when they are sent.
        assert.match(r.created, DATETIME);
        assert.match(r.updated, DATETIME);
    });

    test("omitted fields come back as their zero values", async () => {
        const r = await col().create({ title: "bare" });
        assertRecordOf(r, posts);
        assert.equal(r.views, 0);
        assert.equal(r.published, false);
        assert.deepEqual(r.tags, []);
        assert.equal(r.meta, null);
        assert.equal(r.when, "");
        assert.equal(r.author, "");
    });

    test("getOne returns what create returned", async () => {
        const r = await col().create({ title: "same", views: 2, tags: ["c"], meta: [1, 2], author: bob.id });
        const got = await col().getOne(r.id);
        assert.deepEqual(got, r);
    });

    test("a superuser may choose the id", async () => {
        const id = "sdkchosenid0001";
        const r = await col().create({ id, title: "chosen" });
        assert.equal(r.id, id);
        assert.equal((await col().getOne(id)).title, "chosen");
        await apiError(col().create({ id, title: "again" }), 400);
    });

    test("update changes only the sent fields", async () => {
        const r = await col().create({ title: "before", views: 7, published: true, tags: ["a"] });
        const u = await col().update(r.id, { title: "after", published: false });

        assert.equal(u.id, r.id);
        assertRecordOf(u, posts);
        assert.equal(u.title, "after");
        assert.equal(u.published, false);
        assert.equal(u.views, 7);
        assert.deepEqual(u.tags, ["a"]);
        assert.equal(u.created, r.created);
        assert.match(u.updated, DATETIME);
        assert.ok(u.updated >= r.updated, `updated went backwards: ${r.updated} -> ${u.updated}`);
        assert.deepEqual(await col().getOne(r.id), u);
    });

    test("update can clear fields", async () => {
        const r = await col().create({
            title: "full",
            tags: ["a", "b"],
            meta: { x: 1 },
            when: "2024-01-01 00:00:00.000Z",
            author: ann.id,
        });
        const u = await col().update(r.id, { tags: [], meta: null, when: "", author: "" });
        assert.deepEqual(u.tags, []);
        assert.equal(u.meta, null);
        assert.equal(u.when, "");
        assert.equal(u.author, "");
    });

    test("delete removes the record", async () => {
        const r = await col().create({ title: "to delete" });
        assert.equal(await col().delete(r.id), true);
        await apiError(col().getOne(r.id), 404);
        await apiError(col().update(r.id, { title: "x" }), 404);
        await apiError(col().delete(r.id), 404);
    });

    test("getOne of an unknown id is 404", async () => {
        await apiError(col().getOne("nosuchrecord000"), 404);
    });

    test("the collection may be addressed by id", async () => {
        const r = await pb.collection(posts.id).create({ title: "by id" });
        assertRecordOf(r, posts);
        assert.equal((await pb.collection(posts.id).getOne(r.id)).title, "by id");
    });
});

describe("update modifiers", () => {
    test("'views+', 'tags+' and 'tags-' apply to the stored values", async () => {
        const r = await col().create({ title: "mods", views: 1, tags: ["a", "b"] });
        const u = await col().update(r.id, { "views+": 2, "tags+": "c", "tags-": "a" });
        assert.equal(u.views, 3);
        assert.deepEqual(sorted(u.tags), ["b", "c"]);

        const again = await col().update(r.id, { "views-": 5, "tags+": ["a"] });
        assert.equal(again.views, -2);
        assert.deepEqual(sorted(again.tags), ["a", "b", "c"]);
        assert.deepEqual(await col().getOne(r.id), again);
    });
});

describe("getList", () => {
    test("pages with page, perPage, totalItems and totalPages", async () => {
        const p1 = await col().getList(1, 3, { filter: LIST, sort: "-views" });
        assert.equal(p1.page, 1);
        assert.equal(p1.perPage, 3);
        assert.equal(p1.totalItems, 7);
        assert.equal(p1.totalPages, 3);
        assert.deepEqual(views(p1.items), [7, 6, 5]);
        for (const item of p1.items) {
            assertRecordOf(item, posts);
        }

        const p3 = await col().getList(3, 3, { filter: LIST, sort: "-views" });
        assert.equal(p3.page, 3);
        assert.equal(p3.totalItems, 7);
        assert.deepEqual(views(p3.items), [1]);
    });

    test("a page past the end is empty but keeps the totals", async () => {
        const p = await col().getList(99, 3, { filter: LIST });
        assert.equal(p.page, 99);
        assert.equal(p.perPage, 3);
        assert.equal(p.totalItems, 7);
        assert.equal(p.totalPages, 3);
        assert.deepEqual(p.items, []);
    });

    test("perPage is capped at 1000", async () => {
        const p = await col().getList(1, 5000, { filter: LIST });
        assert.equal(p.perPage, 1000);
        assert.equal(p.items.length, 7);
    });

    test("skipTotal answers -1 for totalItems and totalPages", async () => {
        const p = await col().getList(2, 3, { filter: LIST, sort: "views", skipTotal: true });
        assert.equal(p.page, 2);
        assert.equal(p.perPage, 3);
        assert.equal(p.totalItems, -1);
        assert.equal(p.totalPages, -1);
        assert.deepEqual(views(p.items), [4, 5, 6]);
    });

    const sorts = [
        ["views", [1, 2, 3, 4, 5, 6, 7]],
        ["+views", [1, 2, 3, 4, 5, 6, 7]],
        ["-views", [7, 6, 5, 4, 3, 2, 1]],
        ["-title", [7, 6, 5, 4, 3, 2, 1]],
        ["published,-views", [6, 4, 2, 7, 5, 3, 1]],
        ["-published,views", [1, 3, 5, 7, 2, 4, 6]],
        ["author.name,-views", [4, 3, 2, 1, 7, 6, 5]],
    ];
    for (const [sort, want] of sorts) {
        test(`sort=${sort}`, async () => {
            const p = await col().getList(1, 10, { filter: LIST, sort });
            assert.deepEqual(views(p.items), want);
        });
    }

    const filters = [
        ["views >= 3 && views < 6", [3, 4, 5]],
        ["views = 1 || views = 7", [1, 7]],
        ["(views < 2 || views > 6) && published = true", [1, 7]],
        ["published = true", [1, 3, 5, 7]],
        ["published = false && views > 2", [4, 6]],
        ['title != "list-1"', [2, 3, 4, 5, 6, 7]],
        ["title = 'list-2'", [2]],
        ['title ~ "LIST-3"', [3]],
        ['title !~ "list-1"', [2, 3, 4, 5, 6, 7]],
        ['tags ~ "c"', [3, 5, 6, 7]],
        ['tags:each ?= "c"', [3, 5, 6, 7]],
        ['tags !~ "a"', [2, 3, 5]],
        ['when >= "2024-01-05 00:00:00.000Z"', [5, 6, 7]],
        ['author.name = "Bob"', [5, 6, 7]],
        ["meta.rank > 4", [5, 6, 7]],
        ["views > 100", []],
    ];
    for (const [filter, want] of filters) {
        test(`filter ${filter}`, async () => {
            const p = await col().getList(1, 10, { filter: `${LIST} && (${filter})`, sort: "views" });
            assert.deepEqual(views(p.items), want);
            assert.equal(p.totalItems, want.length);
        });
    }

    test("any-of operators over a back-relation", async () => {
        const via = `${posts.name}_via_author`;
        const names = async (filter) =>
            (await pb.collection(authors.name).getFullList({ filter, sort: "name" })).map((a) => a.name);
        assert.deepEqual(await names(`${via}.views ?> 6`), ["Bob"]);
        assert.deepEqual(await names(`${via}.title ?= "list-2"`), ["Ann"]);
        assert.deepEqual(await names(`${via}.title ?~ "list-"`), ["Ann", "Bob"]);
    });

    test("filter on the relation id", async () => {
        const p = await col().getList(1, 10, { filter: `${LIST} && author = "${ann.id}"`, sort: "views" });
        assert.deepEqual(views(p.items), [1, 2, 3, 4]);
    });
});

describe("pb.filter parameters", () => {
    const awkward = ["it's", 'say "hi"', "both ' and \"", "100% _sure_", "{:t}"];
    for (const title of awkward) {
        test(`binds the string ${JSON.stringify(title)}`, async () => {
            const r = await col().create({ title });
            const found = await col().getList(1, 10, { filter: pb.filter("title = {:t}", { t: title }) });
            assert.deepEqual(ids(found.items), [r.id]);
        });
    }

    test("binds numbers, booleans and dates", async () => {
        const filter = pb.filter("title ~ {:p} && views > {:v} && published = {:pub} && when > {:d}", {
            p: "list-",
            v: 2,
            pub: true,
            d: new Date("2024-01-04T00:00:00Z"),
        });
        const p = await col().getList(1, 10, { filter, sort: "views" });
        assert.deepEqual(views(p.items), [5, 7]);
    });
});

describe("getFirstListItem", () => {
    test("returns the first match", async () => {
        const r = await col().getFirstListItem('title = "list-3"');
        assert.equal(r.id, seeded[2].id);
        assertRecordOf(r, posts);
    });

    test("rejects with 404 when nothing matches", async () => {
        await assert.rejects(col().getFirstListItem('title = "no such title"'), (err) => {
            assert.ok(err instanceof ClientResponseError);
            assert.equal(err.status, 404);
            return true;
        });
    });
});

describe("getFullList", () => {
    test("fetches every page in batches", async () => {
        const client = await superuserClient(srv);
        const pages = [];
        client.beforeSend = (url, options) => {
            pages.push([options.query?.page, options.query?.perPage]);
            return { url, options };
        };
        const all = await client.collection(posts.name).getFullList({ filter: LIST, sort: "views", batch: 2 });
        assert.deepEqual(views(all), [1, 2, 3, 4, 5, 6, 7]);
        assert.deepEqual(pages, [
            [1, 2],
            [2, 2],
            [3, 2],
            [4, 2],
        ]);
    });
});

describe("expand", () => {
    test("expands a single relation on getOne", async () => {
        const r = await col().getOne(seeded[0].id, { expand: "author" });
        assert.equal(r.author, ann.id, "the relation field keeps the id");
        const a = r.expand?.author;
        assert.ok(a && !Array.isArray(a), `expand.author: ${JSON.stringify(r.expand)}`);
        assert.equal(a.id, ann.id);
        assert.equal(a.name, "Ann");
        assertRecordOf(a, authors);
    });

    test("an empty relation expands to nothing", async () => {
        const r = await col().create({ title: "orphan" });
        const got = await col().getOne(r.id, { expand: "author" });
        assert.equal(got.expand?.author, undefined);
    });

    test("expands on every list item", async () => {
        const p = await col().getList(1, 10, { filter: LIST, sort: "views", expand: "author" });
        assert.deepEqual(
            p.items.map((i) => i.expand?.author?.name),
            ["Ann", "Ann", "Ann", "Ann", "Bob", "Bob", "Bob"],
        );
    });

    test("expands a back-relation <collection>_via_<field> to a list", async () => {
        const via = `${posts.name}_via_author`;
        const a = await pb.collection(authors.name).getOne(ann.id, { expand: via });
        const got = a.expand?.[via];
        assert.ok(Array.isArray(got), `expand.${via}: ${JSON.stringify(a.expand)}`);
        const want = await col().getFullList({ filter: `author = "${ann.id}"` });
        assert.deepEqual(sorted(ids(got)), sorted(ids(want)));
        for (const p of got) {
            assertRecordOf(p, posts);
            assert.equal(p.author, ann.id);
        }
    });

    test("expands two levels with a dotted path", async () => {
        const via = `${posts.name}_via_author`;
        const r = await col().getOne(seeded[4].id, { expand: `author.${via}` });
        const a = r.expand?.author;
        assert.equal(a?.id, bob.id, JSON.stringify(r.expand));
        const back = a.expand?.[via];
        assert.ok(Array.isArray(back), JSON.stringify(a.expand));
        assert.ok(ids(back).includes(seeded[4].id));
        assert.ok(
            back.every((p) => p.author === bob.id),
            "every nested post belongs to Bob",
        );
    });
});

describe("fields", () => {
    test("projects a record to the listed fields", async () => {
        const r = await col().getOne(seeded[1].id, { fields: "id,title" });
        assert.deepEqual(r, { id: seeded[1].id, title: "list-2" });
    });

    test("projects expanded records with expand.<rel>.<field>", async () => {
        const r = await col().getOne(seeded[1].id, { expand: "author", fields: "id,expand.author.name" });
        assert.deepEqual(r, { id: seeded[1].id, expand: { author: { name: "Ann" } } });
    });

    test("'*' keeps every field next to a projected expand", async () => {
        const r = await col().getOne(seeded[1].id, { expand: "author", fields: "*,expand.author.name" });
        assert.equal(r.title, "list-2");
        assert.equal(r.views, 2);
        assert.equal(r.collectionName, posts.name);
        assert.deepEqual(r.expand, { author: { name: "Ann" } });
    });

    test("projects list items and leaves the page data alone", async () => {
        const p = await col().getList(1, 2, { filter: LIST, sort: "views", fields: "title,views" });
        assert.equal(p.page, 1);
        assert.equal(p.perPage, 2);
        assert.equal(p.totalItems, 7);
        assert.deepEqual(p.items, [
            { title: "list-1", views: 1 },
            { title: "list-2", views: 2 },
        ]);
    });
});

describe("record values", () => {
    test("ids are 15 characters of [a-z0-9] and unique", () => {
        for (const r of seeded) {
            assert.match(r.id, RECORD_ID);
        }
        assert.equal(new Set(ids(seeded)).size, seeded.length);
    });

    // `created`/`updated` exist by default in Lumbung only (see above).
    test("dates use the 'YYYY-MM-DD HH:MM:SS.sssZ' form", async () => {
        const r = await col().getOne(seeded[0].id);
        assert.equal(r.when, "2024-01-01 12:00:00.000Z");
        assert.match(r.created, DATETIME);
        assert.match(r.updated, DATETIME);
    });
});
