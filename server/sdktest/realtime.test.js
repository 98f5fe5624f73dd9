// Realtime through pb.collection(name).subscribe: the PocketBase SSE
// transport (GET /api/realtime as an event stream, POST /api/realtime to set
// the subscriptions), events from writes by another client, unsubscribe, and
// a guest who may not view a collection.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dropCollections } from "./schema.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

// Node 20 has no EventSource; the SDK needs one. This is the small part of
// the WHATWG interface the SDK uses: addEventListener/removeEventListener
// for named events, lastEventId, onerror and close. It does not reconnect by
// itself: the SDK reconnects after onerror.
if (typeof globalThis.EventSource === "undefined") {
    globalThis.EventSource = class EventSource extends EventTarget {
        constructor(url) {
            super();
            this.url = String(url);
            this.readyState = 0;
            this.onerror = null;
            this.onopen = null;
            this.onmessage = null;
            this._abort = new AbortController();
            this._run().catch((err) => {
                if (this.readyState !== 2) {
                    this.readyState = 2;
                    this.onerror?.(new Event("error"), err);
                }
            });
        }

        close() {
            this.readyState = 2;
            this._abort.abort();
        }

        async _run() {
            const res = await fetch(this.url, {
                headers: { Accept: "text/event-stream" },
                signal: this._abort.signal,
            });
            if (res.status !== 200 || !(res.headers.get("content-type") || "").startsWith("text/event-stream")) {
                throw new Error(`EventSource: status ${res.status}`);
            }
            this.readyState = 1;
            this.onopen?.(new Event("open"));
            const decoder = new TextDecoder();
            let buf = "";
            let lastId = "";
            let event = "";
            let data = [];
            for await (const chunk of res.body) {
                buf += decoder.decode(chunk, { stream: true });
                let nl;
                while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
                    const line = buf.slice(0, nl);
                    buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
                    if (line === "") {
                        if (data.length) {
                            const e = new MessageEvent(event || "message", { data: data.join("\n"), lastEventId: lastId });
                            if (!event) this.onmessage?.(e);
                            this.dispatchEvent(e);
                        }
                        event = "";
                        data = [];
                        continue;
                    }
                    if (line.startsWith(":")) continue;
                    const i = line.indexOf(":");
                    const field = i < 0 ? line : line.slice(0, i);
                    let value = i < 0 ? "" : line.slice(i + 1);
                    if (value.startsWith(" ")) value = value.slice(1);
                    if (field === "id") lastId = value;
                    else if (field === "event") event = value;
                    else if (field === "data") data.push(value);
                }
            }
            throw new Error("EventSource: the stream ended");
        }
    };
}

let pb;
let writer;
let items;
let closed;
let open;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    writer = await superuserClient(srv);
    closed = await pb.collections.create({ name: `closed_${uniqueSuffix()}`, fields: [{ name: "title", type: "text" }] });
    open = await pb.collections.create({
        name: `open_${uniqueSuffix()}`,
        fields: [{ name: "title", type: "text" }],
        listRule: "",
        viewRule: "",
    });
    items = await pb.collections.create({
        name: `items_${uniqueSuffix()}`,
        fields: [
            { name: "title", type: "text" },
            { name: "ref", type: "relation", collectionId: open.id },
        ],
    });
    srv.defer(() => dropCollections(pb, [items, closed, open]));
});

const WAIT_MS = 10_000;

/** collector returns a subscription callback and waitFor(pred), which resolves with every event seen once pred matches one. */
function collector() {
    const events = [];
    const waiters = [];
    const cb = (e) => {
        events.push(e);
        for (const w of waiters.slice()) {
            if (w.pred(e)) {
                waiters.splice(waiters.indexOf(w), 1);
                clearTimeout(w.timer);
                w.resolve(events.slice());
            }
        }
    };
    const waitFor = (pred, what) =>
        new Promise((resolve, reject) => {
            if (events.some(pred)) {
                resolve(events.slice()); // it arrived before the wait began
                return;
            }
            const w = { pred, resolve };
            w.timer = setTimeout(() => {
                waiters.splice(waiters.indexOf(w), 1);
                reject(new Error(`no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(events)}`));
            }, WAIT_MS);
            waiters.push(w);
        });
    return { cb, events, waitFor };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe("realtime", () => {
    test("a superuser receives create, update and delete from another client, until unsubscribe", async () => {
        const c = collector();
        const unsubscribe = await pb.collection(items.name).subscribe("*", c.cb);
        try {
            assert.ok(pb.realtime.isConnected);
            const rec = await writer.collection(items.name).create({ title: "one" });
            await writer.collection(items.name).update(rec.id, { title: "two" });
            await writer.collection(items.name).delete(rec.id);
            const got = await c.waitFor((e) => e.action === "delete" && e.record?.id === rec.id, "delete event");
            assert.deepEqual(
                got.map((e) => [e.action, e.record.id, e.record.title]),
                [
                    ["create", rec.id, "one"],
                    ["update", rec.id, "two"],
                    ["delete", rec.id, "two"],
                ],
            );
            assert.equal(got[0].record.collectionName, items.name);
        } finally {
            await unsubscribe();
        }

        assert.equal(pb.realtime.isConnected, false);
        const before = c.events.length;
        const rec = await writer.collection(items.name).create({ title: "after" });
        await writer.collection(items.name).delete(rec.id);
        await sleep(500);
        assert.equal(c.events.length, before, "no events after unsubscribe");
    });

    test("a single record subscription gets only that record", async () => {
        const a = await writer.collection(items.name).create({ title: "a" });
        const b = await writer.collection(items.name).create({ title: "b" });
        const c = collector();
        await pb.collection(items.name).subscribe(a.id, c.cb);
        try {
            await writer.collection(items.name).update(b.id, { title: "b2" });
            await writer.collection(items.name).update(a.id, { title: "a2" });
            const got = await c.waitFor((e) => e.record?.title === "a2", "update of a");
            assert.deepEqual(got.map((e) => [e.action, e.record.id]), [["update", a.id]]);
        } finally {
            await pb.collection(items.name).unsubscribe();
        }
    });

    test("a guest receives nothing from a collection it cannot view", async () => {
        const guest = newClient(srv);
        const hidden = collector();
        const visible = collector();
        await guest.collection(closed.name).subscribe("*", hidden.cb);
        await guest.collection(open.name).subscribe("*", visible.cb);
        try {
            const h = await writer.collection(closed.name).create({ title: "secret" });
            await writer.collection(closed.name).delete(h.id);
            // Events reach a client in commit order: once the later write to
            // the visible collection arrived, the hidden ones would have too.
            const o = await writer.collection(open.name).create({ title: "public" });
            await visible.waitFor((e) => e.record?.id === o.id, "event of the visible collection");
            await sleep(200);
            assert.deepEqual(hidden.events, []);
        } finally {
            await guest.realtime.unsubscribe();
        }
    });

    test("subscribe options filter, fields and expand shape the events", async () => {
        const owner = await writer.collection(open.name).create({ title: "owner" });
        const c = collector();
        await pb.collection(items.name).subscribe("*", c.cb, {
            filter: "title ~ 'keep'",
            fields: "title,expand.ref.title",
            expand: "ref",
        });
        try {
            await writer.collection(items.name).create({ title: "drop me" });
            await writer.collection(items.name).create({ title: "keep me", ref: owner.id });
            const got = await c.waitFor((e) => e.record?.title === "keep me", "the matching create");
            assert.deepEqual(
                got.map((e) => [e.action, e.record]),
                [["create", { title: "keep me", expand: { ref: { title: "owner" } } }]],
            );
        } finally {
            await pb.collection(items.name).unsubscribe();
        }
    });

    test("subscribe options that do not apply are a 400 naming the problem", async () => {
        await assert.rejects(
            pb.collection(items.name).subscribe("*", () => {}, { filter: "title = " }),
            (err) => err.status === 400 && /filter at position/i.test(err.message),
        );
        // The SDK keeps a refused subscription and sends it again with the next.
        await pb.realtime.unsubscribe();
        await assert.rejects(
            pb.collection(items.name).subscribe("*", () => {}, { fields: "nope" }),
            (err) => err.status === 400 && /nope/.test(err.message),
        );
        await pb.realtime.unsubscribe();
    });
});
