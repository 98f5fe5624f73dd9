// RealtimeClient against a live `lumbung serve` (started by global-setup.ts)
// and, for what a live server cannot be made to do on cue, a fake one.

import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  RealtimeClient,
  RealtimeError,
  type RealtimeClientOptions,
  type RealtimeEvent,
  type RealtimeStatus,
} from "../src/lib/realtime";
import { freePort } from "./serve";
import {
  FakeServer,
  api,
  recordingWebSocket,
  superuserToken,
  uniqueName,
  waitFor,
  type SocketLog,
} from "./helpers";

// Every client and fake server a test makes is closed after it.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) {
    await fn();
  }
});

function newClient(opts: Partial<RealtimeClientOptions> & { url: string }, log?: SocketLog) {
  const client = new RealtimeClient({
    backoff: { initialMs: 20, maxMs: 200 },
    WebSocket: recordingWebSocket(log ?? { sockets: [], sent: [], received: [] }),
    ...opts,
  });
  cleanups.push(() => client.close());
  return client;
}

/** summary renders events as "<title> <action>" for comparisons. */
const summary = (evs: RealtimeEvent[]) => evs.map((e) => `${e.record.title} ${e.action}`);

describe("against a live server", () => {
  const { url } = inject("lumbung");
  let token: string;
  let docs: string;

  const post = (title: string, extra: Record<string, unknown> = {}) =>
    api("POST", `/api/collections/${docs}/records`, { title, ...extra }, token);
  const patch = (id: string, body: Record<string, unknown>) =>
    api("PATCH", `/api/collections/${docs}/records/${id}`, body, token);

  beforeAll(async () => {
    token = await superuserToken();
  });

  // A fresh collection per test keeps the tests' events apart.
  const newCollection = async () => {
    docs = uniqueName("docs");
    await api("POST", "/api/collections", {
      name: docs,
      fields: [
        { name: "title", type: "text" },
        { name: "n", type: "number" },
        { name: "status", type: "text" },
      ],
    }, token);
  };

  it("delivers create, update and delete with their records", async () => {
    await newCollection();
    const client = newClient({ url, token });
    const all: RealtimeEvent[] = [];
    const one: RealtimeEvent[] = [];
    await client.subscribe(`${docs}/*`, (e) => all.push(e)).ready;

    const a = await post("a");
    const b = await post("b");
    // A new subscription may still get changes committed just before it
    // (they reach the server's hub after a lag); once b's create was
    // delivered on this connection, it cannot.
    await waitFor(() => all.length >= 2, "b's create");
    await client.subscribe(`${docs}/${b.id}`, (e) => one.push(e)).ready;
    await patch(a.id, { title: "a2" });
    await patch(b.id, { title: "b2" });
    await api("DELETE", `/api/collections/${docs}/records/${a.id}`, undefined, token, 204);
    await waitFor(() => all.length >= 5, "five events");

    expect(summary(all)).toEqual(["a create", "b create", "a2 update", "b2 update", "a2 delete"]);
    expect(all.map((e) => e.record.id)).toEqual([a.id, b.id, a.id, b.id, a.id]);
    expect(all[0].record).toMatchObject({ collectionName: docs, title: "a" });
    const seqs = all.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(summary(one)).toEqual(["b2 update"]);
  });

  it("delivers only records matching a filter, with enter and leave", async () => {
    await newCollection();
    const client = newClient({ url, token });
    const got: RealtimeEvent[] = [];
    await client.subscribe(`${docs}/*`, (e) => got.push(e), { filter: "n > 5" }).ready;

    const a = await post("a", { n: 1 });
    await post("b", { n: 7 });
    await post("c", { n: 3 });
    await patch(a.id, { n: 8 });
    await patch(a.id, { n: 2 });
    await post("end", { n: 9 });
    await waitFor(() => got.some((e) => e.record.title === "end"), "the end record");
    expect(summary(got)).toEqual(["b create", "a enter", "a leave", "end create"]);
    expect(got.map((e) => e.record.n)).toEqual([7, 8, 8, 9]); // leave: as it was
  });

  it("rejects ready and calls onError for a refused subscription", async () => {
    await newCollection();
    const client = newClient({ url, token });
    const errors: RealtimeError[] = [];
    const sub = client.subscribe(`${docs}/*`, () => {}, {
      filter: "n >",
      onError: (e) => errors.push(e),
    });
    await expect(sub.ready).rejects.toMatchObject({ name: "RealtimeError", code: "invalid" });
    expect(errors).toHaveLength(1);
    const missing = client.subscribe(`${uniqueName("nope")}/*`, () => {});
    await expect(missing.ready).rejects.toMatchObject({ code: "not_found" });
  });

  it("checks events against the identity setToken sends", async () => {
    await newCollection();
    await api("PUT", `/api/rbac/collections/${docs}/policies`, {
      items: [
        { subject: "guest", action: "list", condition: "status = 'published'" },
        { subject: "guest", action: "view", condition: "status = 'published'" },
      ],
    }, token);
    const log: SocketLog = { sockets: [], sent: [], received: [] };
    const client = newClient({ url }, log);
    const got: RealtimeEvent[] = [];
    await client.subscribe(`${docs}/*`, (e) => got.push(e)).ready;
    const authAcks = () => log.received.filter((m) => m.type === "ack" && m.id.startsWith("auth")).length;

    await post("secret1");
    await post("pub1", { status: "published" });
    await waitFor(() => got.length >= 1, "pub1");
    client.setToken(token);
    await waitFor(() => authAcks() === 1, "the auth ack");
    await post("secret2");
    await waitFor(() => got.length >= 2, "secret2");
    client.setToken(null);
    await waitFor(() => authAcks() === 2, "the second auth ack");
    await post("secret3");
    await post("pub2", { status: "published" });
    await waitFor(() => got.length >= 3, "pub2");
    expect(summary(got)).toEqual(["pub1 create", "secret2 create", "pub2 create"]);
  });

  it("resumes after a dropped connection without losing or repeating a change", async () => {
    await newCollection();
    const log: SocketLog = { sockets: [], sent: [], received: [] };
    const client = newClient({ url, token }, log);
    const statuses: RealtimeStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const got: RealtimeEvent[] = [];
    await client.subscribe(`${docs}/*`, (e) => got.push(e)).ready;

    const created: string[] = [];
    const write = async (title: string) => {
      await post(title);
      created.push(title);
    };
    const writer = (async () => {
      for (let i = 0; i < 40; i++) {
        await write(`w${i}`);
      }
    })();

    await waitFor(() => got.length >= 10, "ten events before the drop");
    // Reconnects go nowhere until the gap writes are done.
    log.redirect = `ws://127.0.0.1:${await freePort()}/api/realtime`;
    log.sockets[0].terminate();
    await waitFor(() => statuses.includes("closed"), "the client to notice the drop");
    const seenBefore = got.at(-1)!.seq;
    for (let i = 0; i < 5; i++) {
      await write(`gap${i}`);
    }
    log.redirect = undefined;
    await writer;
    await write("end");
    await waitFor(() => got.some((e) => e.record.title === "end"), "the end record");
    await client.subscribe(`${docs}/nothing`, () => {}).ready; // a round trip: nothing else pending

    const titles = got.map((e) => e.record.title as string);
    expect(new Set(titles).size).toBe(titles.length); // no duplicates
    expect([...titles].sort()).toEqual([...created].sort()); // no loss
    expect(got.every((e) => e.action === "create")).toBe(true);
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

    // The server itself sent each change once, and it was the resume that
    // fetched the missed ones: the new connection authenticated first, then
    // subscribed with since.
    const rawSeqs = log.received.filter((m) => m.type === "event").map((m) => m.seq);
    expect(new Set(rawSeqs).size).toBe(rawSeqs.length);
    const resumed = log.sent.at(-1)!;
    expect(resumed[0]).toMatchObject({ type: "auth", token });
    expect(resumed[1]).toMatchObject({ type: "subscribe", topic: `${docs}/*` });
    expect(resumed[1].since).toBe(seenBefore);
    expect(seenBefore).toBeLessThan(got.find((e) => e.record.title === "gap0")!.seq);
  });
});

describe("against a fake server", () => {
  const fake = async () => {
    const srv = await FakeServer.start();
    cleanups.push(() => srv.stop());
    return srv;
  };

  it("resumes after 1001 and 1008, resyncs when the server asks and drops repeats", async () => {
    const srv = await fake();
    const resyncs: string[] = [];
    const client = newClient({ url: srv.url, onResync: (t) => resyncs.push(`client ${t}`) });
    const got: number[] = [];
    const sub = client.subscribe("posts/*", (e) => got.push(e.seq), {
      onResync: (t) => resyncs.push(`sub ${t}`),
    });
    client.subscribe("quiet/*", () => {}); // never gets an event
    const s1 = await srv.message(0, (m) => m.topic === "posts/*", "the subscribe");
    const q1 = await srv.message(0, (m) => m.topic === "quiet/*", "the second subscribe");
    expect(s1).not.toHaveProperty("since");
    srv.conns[0].send({ type: "ack", id: s1.id });
    srv.conns[0].send({ type: "ack", id: q1.id });
    await sub.ready;
    srv.conns[0].send({ type: "event", sub: s1.id, action: "create", record: { id: "r1" }, seq: 5 });
    await waitFor(() => got.length === 1, "the first event");

    // Going away: resumed after the last seq.
    srv.conns[0].ws.close(1001, "going away");
    const s2 = await srv.message(1, (m) => m.topic === "posts/*", "the resumed subscribe");
    expect(s2).toMatchObject({ id: s1.id, since: 5 });
    const q2 = await srv.message(1, (m) => m.topic === "quiet/*", "the quiet subscribe");
    expect(q2).not.toHaveProperty("since"); // no position: subscribed afresh, app refetches
    srv.conns[1].send({ type: "ack", id: s2.id });
    srv.conns[1].send({ type: "ack", id: q2.id });
    srv.conns[1].send({ type: "event", sub: s1.id, action: "update", record: { id: "r1" }, seq: 5 });
    srv.conns[1].send({ type: "event", sub: s1.id, action: "update", record: { id: "r1" }, seq: 8 });
    await waitFor(() => got.length === 2 && resyncs.length === 1, "the replayed event");
    expect(got).toEqual([5, 8]); // the repeated 5 was dropped
    expect(resyncs).toEqual(["client quiet/*"]);

    // Too slow: resumed, but the changes are gone; the app is told after
    // the fresh subscription is acknowledged.
    srv.conns[1].ws.close(1008, "too slow");
    const s3 = await srv.message(2, (m) => m.topic === "posts/*", "the resumed subscribe");
    expect(s3.since).toBe(8);
    srv.conns[2].send({ type: "error", id: s3.id, code: "resync", message: "refetch" });
    const s4 = await srv.message(2, (m) => m.topic === "posts/*" && !("since" in m), "a fresh subscribe");
    expect(resyncs).toEqual(["client quiet/*"]);
    srv.conns[2].send({ type: "ack", id: s4.id });
    await waitFor(() => resyncs.length === 2, "onResync");
    expect(resyncs[1]).toBe("sub posts/*");
    srv.conns[2].send({ type: "event", sub: s1.id, action: "create", record: { id: "r2" }, seq: 3 });
    await waitFor(() => got.length === 3, "an event after the resync");
  });

  it("subscribes afresh when a resume is refused, and ends a refused subscription", async () => {
    const srv = await fake();
    const resyncs: string[] = [];
    const errors: string[] = [];
    const log: SocketLog = { sockets: [], sent: [], received: [] };
    const client = newClient({ url: srv.url, onResync: (t) => resyncs.push(t) }, log);
    const got: number[] = [];
    const sub = client.subscribe("posts/*", (e) => got.push(e.seq), { onError: (e) => errors.push(e.code) });
    const s1 = await srv.message(0, (m) => m.type === "subscribe", "the subscribe");
    srv.conns[0].send({ type: "ack", id: s1.id });
    await sub.ready;
    srv.conns[0].send({ type: "event", sub: s1.id, action: "create", record: {}, seq: 9 });
    await waitFor(() => got.length === 1, "an event");

    srv.conns[0].ws.terminate();
    await srv.message(1, (m) => m.since === 9, "the resumed subscribe");
    srv.conns[1].send({ type: "error", id: s1.id, code: "invalid", message: "since is ahead of the change log." });
    const fresh = await srv.message(1, (m) => m.type === "subscribe" && !("since" in m), "a fresh subscribe");
    srv.conns[1].send({ type: "ack", id: fresh.id });
    await waitFor(() => resyncs.length === 1, "onResync");
    expect(errors).toEqual([]);

    // A fresh subscription the server refuses ends, and is not sent again.
    const bad = client.subscribe("nope/*", () => {}, { onError: (e) => errors.push(e.code) });
    const b1 = await srv.message(1, (m) => m.topic === "nope/*", "the bad subscribe");
    srv.conns[1].send({ type: "error", id: b1.id, code: "not_found", message: "Missing collection." });
    await expect(bad.ready).rejects.toBeInstanceOf(RealtimeError);
    expect(errors).toEqual(["not_found"]);
    srv.conns[1].ws.terminate();
    await srv.message(2, (m) => m.topic === "posts/*", "the resumed subscribe");
    expect(srv.conns[2].got.some((m) => m.topic === "nope/*")).toBe(false);

    // Unsubscribing tells the server, and later events are not delivered.
    sub.unsubscribe();
    await srv.message(2, (m) => m.type === "unsubscribe" && m.id === s1.id, "the unsubscribe");
    srv.conns[2].send({ type: "event", sub: s1.id, action: "create", record: {}, seq: 20 });
    srv.conns[2].send({ type: "pong" });
    await waitFor(() => log.received.some((m) => m.type === "pong"), "the pong after the event");
    expect(got).toEqual([9]);
  });

  it("drops a connection whose pings go unanswered", async () => {
    const srv = await fake();
    srv.pongs = false;
    const statuses: RealtimeStatus[] = [];
    const client = newClient({ url: srv.url, pingIntervalMs: 200 });
    client.onStatus((s) => statuses.push(s));
    await srv.message(0, (m) => m.type === "ping", "a ping");
    await waitFor(() => srv.conns.length === 2, "a reconnect");
    const opened = statuses.indexOf("open");
    expect(opened).toBeGreaterThan(-1);
    expect(statuses.indexOf("closed", opened)).toBeGreaterThan(opened);
    // Answered pings keep the connection.
    srv.pongs = true;
    await srv.message(1, (m) => m.type === "ping", "a ping");
    await waitFor(() => srv.conns[1].got.filter((m) => m.type === "ping").length >= 3, "three pings");
    expect(srv.conns).toHaveLength(2);
    client.close();
    expect(statuses.at(-1)).toBe("closed");
    await new Promise((r) => setTimeout(r, 500)); // room for a reconnect, were one due
    expect(srv.conns).toHaveLength(2);
  });
});

describe("backoff", () => {
  /** FakeSocket stands in for a WebSocket; the test drives its events. */
  class FakeSocket {
    static made: FakeSocket[] = [];
    readyState = 0;
    sent: string[] = [];
    onmessage: ((m: { data: string }) => void) | null = null;
    onclose: ((e: { code: number }) => void) | null = null;
    onerror: (() => void) | null = null;
    constructor(readonly url: string) {
      FakeSocket.made.push(this);
    }
    send(data: string) {
      this.sent.push(data);
    }
    close() {
      this.readyState = 3;
    }
  }

  it("grows exponentially up to the cap and resets after a connect", () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.5); // delays are 3/4 of the step
    FakeSocket.made = [];
    const client = new RealtimeClient({
      url: "https://lumbung.test/base/",
      WebSocket: FakeSocket as never,
      backoff: { initialMs: 100, maxMs: 1000 },
      pingIntervalMs: 0,
    });
    cleanups.push(() => client.close());
    expect(FakeSocket.made[0].url).toBe("wss://lumbung.test/base/api/realtime");

    const nextDelay = () => {
      const n = FakeSocket.made.length;
      FakeSocket.made[n - 1].onclose!({ code: 1006 });
      const t0 = Date.now();
      vi.advanceTimersToNextTimer();
      expect(FakeSocket.made).toHaveLength(n + 1);
      return Date.now() - t0;
    };
    const failing = [1, 2, 3, 4, 5, 6].map(() => nextDelay());
    expect(failing).toEqual([75, 150, 300, 600, 750, 750]);

    const sock = FakeSocket.made.at(-1)!;
    sock.readyState = 1;
    sock.onmessage!({ data: JSON.stringify({ type: "connected", clientId: "c" }) });
    expect(nextDelay()).toBe(75);
    expect(nextDelay()).toBe(150);

    client.close();
    FakeSocket.made.at(-1)!.onclose!({ code: 1006 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
