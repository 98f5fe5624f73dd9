// Backups through pb.backups (/api/backups) and pb.files.getToken().
// A restore replaces the whole database, so this file runs only on the
// server's own private PostgreSQL, never on a shared DATABASE_URL.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { apiError, DATETIME } from "./expect.js";
import { createBlog } from "./schema.js";
import { newClient, superuserClient, useServer } from "./server.js";

const shared = Boolean(process.env.DATABASE_URL);
let pb;
let user;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    const email = "backups-user@example.com";
    await pb.collection("users").create({ email, password: "long enough password", passwordConfirm: "long enough password" });
    user = newClient(srv);
    await user.collection("users").authWithPassword(email, "long enough password");
});

async function everything(blog) {
    return {
        authors: await pb.collection(blog.authors.name).getFullList({ sort: "id" }),
        posts: await pb.collection(blog.posts.name).getFullList({ sort: "id" }),
        collections: (await pb.collections.getFullList({ sort: "name" })).map((c) => c.name),
    };
}

describe("backups", { skip: shared && "a restore would replace the shared DATABASE_URL database" }, () => {
    let blog;
    let before_;

    before(async () => {
        blog = await createBlog(pb);
        for (let i = 0; i < 5; i++) {
            const a = await pb.collection(blog.authors.name).create({ name: `author ${i}` });
            for (let j = 0; j < 4; j++) {
                await pb.collection(blog.posts.name).create({ title: `post ${i}.${j}`, views: i * j, tags: ["a", "c"], meta: { i, j }, author: a.id });
            }
        }
        before_ = await everything(blog);
    });

    test("create, list, download, upload, restore and delete", async () => {
        await pb.backups.create("sdk_one.zip");
        const list = await pb.backups.getFullList();
        const one = list.find((b) => b.key === "sdk_one.zip");
        assert.ok(one, JSON.stringify(list));
        assert.ok(one.size > 0);
        assert.match(one.modified, DATETIME);

        const token = await pb.files.getToken();
        const res = await fetch(pb.backups.getDownloadURL(token, "sdk_one.zip"));
        assert.equal(res.status, 200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        assert.equal(bytes.length, one.size);
        assert.deepEqual([...bytes.slice(0, 2)], [0x50, 0x4b], "a zip archive");
        const guest = await fetch(pb.backups.getDownloadURL(await user.files.getToken(), "sdk_one.zip"));
        assert.equal(guest.status, 403);

        await pb.backups.upload({ file: new File([bytes], "sdk_copy.zip") });
        assert.ok((await pb.backups.getFullList()).some((b) => b.key === "sdk_copy.zip" && b.size === one.size));

        // Destroy, then restore the uploaded copy.
        const posts = await pb.collection(blog.posts.name).getFullList();
        for (const p of posts.slice(0, 7)) {
            await pb.collection(blog.posts.name).delete(p.id);
        }
        await pb.collection(blog.authors.name).update(before_.authors[0].id, { name: "renamed" });
        await pb.collections.create({ name: "sdk_later", type: "base", fields: [{ name: "x", type: "text" }] });
        assert.notDeepEqual(await everything(blog), before_);

        await pb.backups.restore("sdk_copy.zip");
        assert.deepEqual(await everything(blog), before_);

        await pb.backups.delete("sdk_copy.zip");
        await pb.backups.delete("sdk_one.zip");
        assert.ok(!(await pb.backups.getFullList()).some((b) => b.key.startsWith("sdk_")));
    });

    test("refusals are 4xx with PocketBase's shape", async () => {
        await apiError(newClient(srv).backups.getFullList(), 401);
        await apiError(user.backups.getFullList(), 403);
        await apiError(user.backups.create("x.zip"), 403);
        await apiError(user.backups.restore("x.zip"), 403);
        await apiError(pb.backups.create("../x.zip"), 400);
        await apiError(pb.backups.restore("../x.zip"), 400);
        await apiError(pb.backups.restore("missing.zip"), 400);
        await apiError(pb.backups.delete("missing.zip"), 400);
        const err = await apiError(pb.backups.upload({ file: new File(["SQLite format 3\0"], "pocketbase.zip") }), 400);
        assert.match(err.response.message, /not a Lumbung backup/);
    });
});
