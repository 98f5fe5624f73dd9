// The schema corpus (corpus/*.json: public PocketBase apps' exports and
// migrations, sources and licenses in corpus/SOURCES.md): each schema is
// imported with pb.collections.import as its owner would, then its app's
// client flow runs on it with the SDK: sign-up and sign-in where the app
// has them, creates, lists, filters and expands under the app's rules.
// One server; between schemas the collections go back to the server's own
// (an import of those with deleteMissing).

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ClientResponseError } from "pocketbase";
import { apiError, fieldError } from "./expect.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

const corpusDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "corpus");

let pb; // superuser
let baseline; // the server's own collections, as exported before any import

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    baseline = await pb.collections.getFullList();
});

/** loadSchema reads corpus/<name>.json. */
async function loadSchema(name) {
    return JSON.parse(await readFile(path.join(corpusDir, `${name}.json`), "utf8"));
}

/** importSchema resets the server's collections and imports the schema. */
async function importSchema(name) {
    await pb.collections.import(baseline, true);
    await pb.collections.truncate("users");
    await pb.collections.import(await loadSchema(name), false);
}

/** signUp creates an auth record through the API as the app's sign-up form does, and signs it in. */
async function signUp(collection, extra = {}, identityField = "email") {
    const email = `u-${uniqueSuffix()}@example.com`;
    const password = `pw-${uniqueSuffix()}`;
    const client = newClient(srv);
    const record = await client.collection(collection).create({ email, password, passwordConfirm: password, ...extra });
    const identity = identityField === "email" ? email : record[identityField];
    await client.collection(collection).authWithPassword(identity, password);
    return { client, record, email, password };
}

/** userBySuperuser creates a verified user (apps whose users cannot sign up) and signs it in. */
async function userBySuperuser(collection, extra = {}) {
    const email = `u-${uniqueSuffix()}@example.com`;
    const password = `pw-${uniqueSuffix()}`;
    const record = await pb.collection(collection).create({ email, password, passwordConfirm: password, verified: true, ...extra });
    const client = newClient(srv);
    await client.collection(collection).authWithPassword(email, password);
    return { client, record };
}

/** refused checks a create the rules refuse: PocketBase answers 400 "Failed to create record."; a 403 is accepted too. */
async function refused(promise) {
    try {
        await promise;
    } catch (e) {
        assert.ok(e instanceof ClientResponseError && (e.status === 400 || e.status === 403), `expected a refusal, got ${e}`);
        return;
    }
    assert.fail("the rules let the request through");
}

const flows = {
    // pockethost (pre-0.23 export): instances owned by users, an RPC queue
    // whose create rule checks the command against @collection.rpc_cmds,
    // and SQLite views counting users, instances and invocations.
    async pockethost() {
        const ann = await signUp("users");
        assert.match(ann.record.username, /^users\d{6}$/, "the old form's auth collections get a generated username");
        const inst = await pb.collection("instances").create({
            subdomain: "ann-site", uid: ann.record.id, status: "running", platform: "linux", version: "0.22", secondsThisMonth: 7000,
        });
        await apiError(pb.collection("instances").create({ subdomain: "ann-site", uid: ann.record.id, status: "idle", platform: "x", version: "1" }), 400);
        const mine = await ann.client.collection("instances").getFullList({ filter: 'status = "running"', expand: "uid" });
        assert.deepEqual(mine.map((r) => r.id), [inst.id]);
        assert.equal(mine[0].expand?.uid?.id, ann.record.id);
        const bob = await signUp("users");
        assert.equal((await bob.client.collection("instances").getList(1, 10)).totalItems, 0);

        await pb.collection("rpc_cmds").create({ name: "backup" });
        const rpc = await ann.client.collection("rpc").create({ userId: ann.record.id, cmd: "backup", payload: { full: true } });
        assert.equal(rpc.cmd, "backup");
        await refused(ann.client.collection("rpc").create({ userId: ann.record.id, cmd: "rm -rf", payload: {} }));

        await pb.collection("invocations").create({ instanceId: inst.id, startedAt: new Date().toISOString(), totalSeconds: 42 });
        const [stats] = await pb.collection("statsView").getFullList();
        assert.equal(stats.runningInstanceCount, 1);
        assert.equal(stats.invocationCount, 1);
        assert.equal(stats.instanceCount1Hour, 1);
        assert.equal(stats.invocationSeconds, 42);
        assert.ok(stats.daysUp > 900, `daysUp ${stats.daysUp}`);
        const paid = await pb.collection("potentialPaidUsersView").getFullList();
        assert.deepEqual(paid.map((r) => r.id), [ann.record.id]);
    },

    // beszel (0.23+ migration snapshot): systems shared by users, alerts
    // per user, ids of other lengths and alphabets.
    async beszel() {
        const ann = await userBySuperuser("users", { role: "admin" });
        const system = await pb.collection("systems").create({ name: "web-1", host: "10.0.0.1", status: "up", users: [ann.record.id], info: { cpu: 4 } });
        const alert = await ann.client.collection("alerts").create({ user: ann.record.id, system: system.id, name: "CPU", value: 80, min: 10 });
        await apiError(ann.client.collection("alerts").create({ user: ann.record.id, system: system.id, name: "CPU", value: 90 }), 400);
        const found = await ann.client.collection("alerts").getFullList({ filter: `system = "${system.id}" && name = "CPU"`, expand: "system" });
        assert.deepEqual(found.map((r) => r.id), [alert.id]);
        assert.equal(found[0].expand?.system, undefined, "systems are for superusers: no expand");
        const expanded = await pb.collection("alerts").getFullList({ filter: `user.role = "admin"`, expand: "system,user" });
        assert.equal(expanded[0].expand.system.name, "web-1");
        const container = await pb.collection("containers").create({ system: system.id, name: "nginx", cpu: 1.5, updated: Date.now() });
        assert.match(container.id, /^[a-f0-9]{6}$/);
        const fp = await pb.collection("fingerprints").create({ system: system.id, fingerprint: "abcdefghijk" });
        assert.match(fp.id, /^[a-z0-9]{9}$/);
        assert.match(fp.token, /^[a-zA-Z9]{20}$/);
        const quiet = await ann.client.collection("quiet_hours").create({ user: ann.record.id, system: system.id, type: "daily", start: "2024-01-01 22:00:00.000Z", end: "2024-01-02 06:00:00.000Z" });
        assert.match(quiet.id, /^[a-z0-9]{10}$/);
        await pb.collection("systems").delete(system.id);
        assert.equal((await ann.client.collection("alerts").getList(1, 1)).totalItems, 0, "cascadeDelete removes the system's alerts");
    },

    // spatz (pre-0.23 export): pages with tags and likes, a create rule on
    // @request.data (now @request.body).
    async spatz() {
        const ann = await signUp("users", { name: "Ann", username: `ann${uniqueSuffix()}` }, "username");
        const tag = await pb.collection("tags").create({ name: "svelte" });
        const page = await ann.client.collection("pages").create({ name: "Home", tagline: "hello world", user: ann.record.id, url: "https://example.com", tags: [tag.id], division: ["BTS", "NCS"] });
        await refused(ann.client.collection("pages").create({ name: "Other", tagline: "not mine", user: "someoneelse0000", url: "https://example.com" }));
        const guest = newClient(srv);
        const list = await guest.collection("pages").getList(1, 10, { filter: 'tagline ~ "world"', expand: "user,tags" });
        assert.equal(list.totalItems, 1);
        assert.equal(list.items[0].expand.tags[0].name, "svelte");
        await ann.client.collection("users").update(ann.record.id, { "likes+": page.id, "favorites+": page.id });
        const me = await ann.client.collection("users").getOne(ann.record.id, { expand: "likes" });
        assert.deepEqual(me.likes, [page.id]);
        const liked = await guest.collection("pages").getFullList({ filter: `user.likes ~ "${page.id}"` });
        assert.deepEqual(liked.map((r) => r.id), [page.id]);
        await ann.client.collection("posts").create({ author: ann.record.id, content: "<p>first</p>" });
    },

    // grimoire (pre-0.23 migrations): bookmarks in categories with tags.
    async grimoire() {
        const ann = await signUp("users");
        const category = await ann.client.collection("categories").create({ name: "Reading", slug: "reading", owner: ann.record.id, public: "2024-01-01 00:00:00.000Z" });
        const child = await ann.client.collection("categories").create({ name: "Go", slug: "go", owner: ann.record.id, parent: category.id });
        const tag = await ann.client.collection("tags").create({ name: "golang", slug: "golang", owner: ann.record.id });
        const bm = await ann.client.collection("bookmarks").create({
            url: "https://go.dev", title: "The Go Programming Language", domain: "go.dev", owner: ann.record.id, category: child.id, tags: [tag.id], importance: 2,
        });
        await apiError(ann.client.collection("categories").create({ name: "Reading", owner: ann.record.id }), 400);
        const list = await ann.client.collection("bookmarks").getList(1, 20, { filter: `owner = "${ann.record.id}" && (tags.name ?= "golang" || title ~ "go")`, sort: "-created", expand: "category.parent,tags" });
        assert.deepEqual(list.items.map((r) => r.id), [bm.id]);
        assert.equal(list.items[0].expand.category.expand.parent.name, "Reading");
        await ann.client.collection("bookmarks").update(bm.id, { read: new Date().toISOString(), "opened_times+": 1 });
        const read = await ann.client.collection("bookmarks").getFirstListItem('read != "" && opened_times > 0');
        assert.equal(read.id, bm.id);
    },

    // pocketbase-typegen's test schema (pre-0.23): every field type.
    async typegen() {
        const post = await pb.collection("posts").create({ nonempty_field: "x", nonempty_bool: true, field1: 3 });
        await apiError(pb.collection("posts").create({ field: "missing the required ones" }), 400);
        const rec = await pb.collection("everything").create({
            text_field: "t", number_field: 1.5, bool_field: true, email_field: "a@example.com", url_field: "https://example.com",
            date_field: "2024-02-03 04:05:06.000Z", select_field: "option with space", json_field: { a: [1, 2] }, post_relation_field: post.id,
        });
        const found = await newClient(srv).collection("everything").getFullList({ filter: 'select_field = "option with space" && bool_field = true', expand: "post_relation_field" });
        assert.deepEqual(found.map((r) => r.id), [rec.id]);
        await apiError(pb.collection("everything").create({ select_field: "optionX" }), 400);
        const err = await apiError(pb.collection("everything").create({ file_field: "photo.png" }), 400);
        fieldError(err, "file_field", "validation_invalid_file"); // a name is not an upload, as in PocketBase
        const withFile = await pb.collection("everything").create({ file_field: new File(["a file"], "photo.png") });
        assert.match(withFile.file_field, /^photo_[a-z0-9]{10}\.png$/);
        const res = await fetch(pb.files.getURL(withFile, withFile.file_field));
        assert.equal(await res.text(), "a file");
        const custom = await userBySuperuser("custom_auth", { custom_field: "c" }); // its rules are superusers-only
        assert.match(custom.record.username, /^users\d{6}$/);
        await custom.client.collection("custom_auth").authRefresh();
    },

    // pocketvue (0.23+ export): workspaces and notes of users who must be
    // verified to sign in, products keyed by UUID ids.
    async pocketvue() {
        const email = `u-${uniqueSuffix()}@example.com`;
        const password = `pw-${uniqueSuffix()}`;
        const client = newClient(srv);
        const user = await client.collection("users").create({ email, password, passwordConfirm: password, name: "Ann" });
        await apiError(client.collection("users").authWithPassword(email, password), 403); // authRule: verified = true
        await pb.collection("users").update(user.id, { verified: true });
        await client.collection("users").authWithPassword(email, password);
        const ws = await client.collection("workspaces").create({ name: "Home", slug: `home-${uniqueSuffix()}`, user: user.id });
        const note = await client.collection("notes").create({ content: "buy milk", color: "#ff00aa", user: user.id, workspace: ws.id });
        const err = await apiError(client.collection("notes").create({ content: "x", color: "red", user: user.id, workspace: ws.id }), 400);
        fieldError(err, "color", "validation_invalid_format");
        const notes = await client.collection("notes").getFullList({ filter: `workspace.slug = "${ws.slug}"`, expand: "workspace" });
        assert.deepEqual(notes.map((r) => r.id), [note.id]);
        await pb.collection("users").update(user.id, { banned: true });
        assert.equal((await client.collection("notes").getList(1, 10)).totalItems, 0, "the rules keep banned users out");
        const id = "0b5c4b7e-6a2f-4c1e-9f7a-3c2d1e0f9a8b";
        await pb.collection("polar_products").create({ id, name: "Pro", price_amount: 900, features: ["a", "b"] });
        assert.equal((await newClient(srv).collection("polar_products").getOne(id)).name, "Pro");
        const noID = await apiError(pb.collection("polar_products").create({ name: "No id" }), 400);
        fieldError(noID, "id");
    },

    // longhabit (0.23+ export): tasks and settings of users signing in by
    // username.
    async longhabit() {
        const username = `ann_${uniqueSuffix()}`;
        const ann = await signUp("users", { username }, "username");
        assert.equal(ann.record.username, username);
        await ann.client.collection("settings").create({ user: ann.record.id, theme: "dark", remindByEmailEnabled: true });
        for (const [name, days] of [["water plants", 3], ["backup", 7], ["dentist", 180]]) {
            await ann.client.collection("tasks").create({ user: ann.record.id, name, daysRepeat: days, history: [], category: "home" });
        }
        await apiError(ann.client.collection("tasks").create({ user: ann.record.id, name: "never", daysRepeat: 0 }), 400);
        const due = await ann.client.collection("tasks").getFullList({ filter: "daysRepeat <= 7", sort: "name" });
        assert.deepEqual(due.map((r) => r.name), ["backup", "water plants"]);
        const bob = await signUp("users", { username: `bob_${uniqueSuffix()}` }, "username");
        assert.equal((await bob.client.collection("tasks").getList(1, 10)).totalItems, 0);
        const [settings] = await ann.client.collection("settings").getFullList({ expand: "user" });
        assert.equal(settings.theme, "dark");
        assert.equal(settings.expand.user.username, username);
    },

    // hcshow (0.23+ export with PocketBase's system collections): show
    // exhibitors and parent helpers.
    async hcshow() {
        const ann = await signUp("users", { role: "user", name: "Ann" });
        await apiError(newClient(srv).collection("users").create({ email: `x-${uniqueSuffix()}@example.com`, password: "12345678", passwordConfirm: "12345678" }), 400); // role is required
        const ex = await pb.collection("exhibitor").create({ user: ann.record.id, exhibitor_id: "E-1", first_name: "Ann", last_name: "Lee", birth_date: "2015-04-01 00:00:00.000Z" });
        await apiError(pb.collection("exhibitor").create({ exhibitor_id: "E-1" }), 400);
        await pb.collection("placing").create({ name: "First", value: 1 });
        await pb.collection("parent_help").create({ first_name: "Ann", user: ann.record.id, mhe_membership: "member", roles: ["gate"], is_committee_member: true });
        const found = await pb.collection("exhibitor").getFullList({ filter: 'first_name ~ "an" && birth_date < "2016-01-01"', expand: "user" });
        assert.deepEqual(found.map((r) => r.id), [ex.id]);
        assert.equal(found[0].expand.user.name, "Ann");
        await apiError(ann.client.collection("exhibitor").getList(1, 10), 403); // superusers only
    },

    // CYOA Catalog (0.23+ export, the collections outside its games).
    async cyoacatalog() {
        const a = await pb.collection("announcements").create({ title: "Welcome", body: "Hello" });
        const guest = newClient(srv);
        const list = await guest.collection("announcements").getList(1, 10, { filter: 'title ~ "welc"', sort: "-created" });
        assert.deepEqual(list.items.map((r) => r.id), [a.id]);
        await refused(guest.collection("announcements").create({ title: "spam" }));
        await pb.collection("audit_log").create({ action_id: "a1", entity_collection: "games", entity_id: "g1", field: "title", old_value: "x", new_value: { t: "y" }, actor: "human", reversible: true });
        assert.equal((await pb.collection("audit_log").getList(1, 10, { filter: 'actor = "human" && new_value.t = "y"' })).totalItems, 1);
        const img = await apiError(pb.collection("build_images").create({ hash: "abc" }), 400);
        fieldError(img, "file", "validation_required"); // no uploads yet: the required file cannot be given
    },

    // jiamusic (pre-0.23 export): a public list of songs whose audio and
    // cover are required files.
    async jiamusic() {
        const guest = newClient(srv);
        assert.equal((await guest.collection("songs").getList(1, 10, { filter: 'artist ~ "x"' })).totalItems, 0);
        const err = await apiError(pb.collection("songs").create({ title: "t", artist: "a", source: "s" }), 400);
        fieldError(err, "audio", "validation_required");
        await refused(guest.collection("songs").create({ title: "t", artist: "a", source: "s" }));
    },
};

// Each import replaces the server's collections (deleteMissing): not on a
// database other runs share.
const shared = process.env.DATABASE_URL ? "imports with deleteMissing would drop a shared database's collections" : false;

describe("PocketBase schemas from the wild", { skip: shared }, () => {
    test("every schema of the corpus has a flow", async () => {
        const names = (await readdir(corpusDir)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
        assert.ok(names.length >= 10, `${names.length} schemas`);
        assert.deepEqual(names.sort(), Object.keys(flows).sort());
    });
    for (const [name, flow] of Object.entries(flows)) {
        test(name, async () => {
            await importSchema(name);
            await flow();
            const ids = (await pb.collections.getFullList()).map((c) => c.id);
            for (const c of await loadSchema(name)) {
                if (!c.system && c.name !== "users") {
                    assert.ok(ids.includes(c.id), `collection ${c.name} keeps its id ${c.id}`);
                }
            }
        });
    }
});

