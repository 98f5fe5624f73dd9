// Access rules through the SDK: PocketBase rules on collections become the
// guest role's policies; an owner-only collection; a guest blocked by a
// missing rule; sign-up into an auth collection with an open create rule.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiError, ids, sorted } from "./expect.js";
import { dropCollections } from "./schema.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

let pb;
let members;
let notes;
let closed;
let ann;
let bob;
let annNote;

async function signUp(srv, name) {
    const client = newClient(srv);
    const email = `${name}-${uniqueSuffix()}@example.com`;
    const password = `password of ${name}`;
    const record = await client.collection(members.name).create({ email, password, passwordConfirm: password, name });
    await client.collection(members.name).authWithPassword(email, password);
    return { client, record };
}

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    members = await pb.collections.create({
        name: `members_${uniqueSuffix()}`,
        type: "auth",
        fields: [{ name: "name", type: "text" }],
        createRule: "",
        listRule: "id = @request.auth.id",
        viewRule: "id = @request.auth.id",
    });
    const owner = "owner = @request.auth.id";
    notes = await pb.collections.create({
        name: `notes_${uniqueSuffix()}`,
        fields: [
            { name: "text", type: "text" },
            { name: "owner", type: "relation", collectionId: members.id, maxSelect: 1 },
        ],
        listRule: owner,
        viewRule: owner,
        createRule: `@request.auth.id != "" && ${owner}`,
        updateRule: owner,
        deleteRule: owner,
    });
    closed = await pb.collections.create({ name: `closed_${uniqueSuffix()}`, fields: [{ name: "text", type: "text" }] });
    srv.defer(() => dropCollections(pb, [members, notes, closed]));
    ann = await signUp(srv, "ann");
    bob = await signUp(srv, "bob");
    annNote = await ann.client.collection(notes.name).create({ text: "ann's", owner: ann.record.id });
    await bob.client.collection(notes.name).create({ text: "bob's", owner: bob.record.id });
});

describe("rules", () => {
    test("read back as the collection's rules", async () => {
        const c = await pb.collections.getOne(notes.id);
        assert.equal(c.listRule, "owner = @request.auth.id");
        assert.equal(c.createRule, '@request.auth.id != "" && owner = @request.auth.id');
        const m = await pb.collections.getOne(members.id);
        assert.equal(m.createRule, "");
        assert.equal((await pb.collections.getOne(closed.id)).listRule, null);
    });

    test("a guest is blocked where no rule allows it", async () => {
        await apiError(newClient(srv).collection(closed.name).getList(), 403);
        await apiError(newClient(srv).collection(closed.name).create({ text: "x" }), 403);
    });

    test("a guest sees nothing of an owner-only collection", async () => {
        const page = await newClient(srv).collection(notes.name).getList();
        assert.equal(page.totalItems, 0);
        await apiError(newClient(srv).collection(notes.name).getOne(annNote.id), 404);
    });
});

describe("owner-only collection", () => {
    test("each user lists only their own records, and the totals agree", async () => {
        const a = await ann.client.collection(notes.name).getList(1, 50);
        assert.deepEqual(sorted(a.items.map((n) => n.text)), ["ann's"]);
        assert.equal(a.totalItems, 1);
        const b = await bob.client.collection(notes.name).getFullList();
        assert.deepEqual(b.map((n) => n.text), ["bob's"]);
    });

    test("another user's record is not found, for view, update and delete", async () => {
        const notesOfBob = bob.client.collection(notes.name);
        await apiError(notesOfBob.getOne(annNote.id), 404);
        await apiError(notesOfBob.update(annNote.id, { text: "mine now" }), 404);
        await apiError(notesOfBob.delete(annNote.id), 404);
        assert.equal((await ann.client.collection(notes.name).getOne(annNote.id)).text, "ann's");
    });

    test("a record cannot be created for someone else, nor handed over", async () => {
        await apiError(bob.client.collection(notes.name).create({ text: "forged", owner: ann.record.id }), 400); // PocketBase: "Failed to create record."
        const mine = await bob.client.collection(notes.name).create({ text: "temp", owner: bob.record.id });
        await apiError(bob.client.collection(notes.name).update(mine.id, { owner: ann.record.id }), 403);
        await bob.client.collection(notes.name).delete(mine.id);
    });

    test("a filter cannot reach other users' records", async () => {
        const page = await bob.client.collection(notes.name).getList(1, 10, { filter: `owner = "${ann.record.id}"` });
        assert.equal(page.totalItems, 0);
    });

    test("expand follows the viewer's rules", async () => {
        const note = await ann.client.collection(notes.name).getOne(annNote.id, { expand: "owner" });
        assert.equal(note.expand?.owner?.id, ann.record.id);
        assert.deepEqual(ids([note]), [annNote.id]);
    });

    test("users see only themselves in the members collection", async () => {
        const list = await ann.client.collection(members.name).getFullList();
        assert.deepEqual(list.map((m) => m.id), [ann.record.id]);
        await apiError(ann.client.collection(members.name).getOne(bob.record.id), 404);
    });
});
