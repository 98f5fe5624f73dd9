// Client for Lumbung's realtime WebSocket protocol (GET /api/realtime).
//
// One RealtimeClient keeps one connection, re-established with backoff,
// and carries any number of subscriptions over it. Every delivered event
// has a seq; a subscription remembers the last one and resumes from it
// after a reconnect (`since`), so the app sees each change once.

/** RealtimeAction is what happened to a record, as seen by a subscription. */
export type RealtimeAction = "create" | "update" | "delete" | "enter" | "leave";

/** RealtimeEvent is one change delivered to a subscription. */
export interface RealtimeEvent<T = Record<string, unknown>> {
  action: RealtimeAction;
  record: T;
  /** seq orders the server's changes; it only grows. */
  seq: number;
}

/** RealtimeStatus is the state of the client's connection. */
export type RealtimeStatus = "connecting" | "open" | "closed";

/** RealtimeError is an error the server answered to a message. */
export class RealtimeError extends Error {
  /** code is the server's error code ("invalid", "forbidden", "resync", …). */
  readonly code: string;
  /** id names the subscription (or auth message) the error answers. */
  readonly id?: string;

  constructor(code: string, message: string, id?: string) {
    super(message);
    this.name = "RealtimeError";
    this.code = code;
    this.id = id;
  }
}

/** WebSocketConstructor builds a socket; the browser's WebSocket is one. */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** RealtimeClientOptions configure a RealtimeClient. */
export interface RealtimeClientOptions {
  /** url is the server's base URL (http(s) or ws(s)); /api/realtime is added. */
  url: string;
  /** token is the auth token sent on every (re)connect. */
  token?: string | null;
  /** WebSocket defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** backoff bounds the reconnect delays (defaults 500 ms to 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** pingIntervalMs is how often a ping is sent (default 30 s); a ping
   * still unanswered at the next one, or a connection not greeted by then,
   * drops the connection. 0 turns keepalive off. */
  pingIntervalMs?: number;
  /** onResync is called for subscriptions without their own onResync. */
  onResync?: (topic: string) => void;
  /** onError receives errors that belong to no subscription (e.g. auth). */
  onError?: (err: RealtimeError) => void;
}

/** SubscribeOptions narrow and shape one subscription. */
export interface SubscribeOptions {
  /** filter is a filter expression the records must match. */
  filter?: string;
  /** fields lists the record fields to deliver, as in the REST API. */
  fields?: string;
  /** expand names relations to expand, as in the REST API. */
  expand?: string;
  /** onResync is called once the subscription runs again after changes
   * were missed that cannot be replayed: the app must refetch its records. */
  onResync?: (topic: string) => void;
  /** onError receives the server's refusal; the subscription then ends. */
  onError?: (err: RealtimeError) => void;
}

/** Subscription is the handle subscribe returns. */
export interface Subscription {
  /** unsubscribe ends the subscription; no more events are delivered. */
  unsubscribe(): void;
  /** ready resolves once the server acknowledged the subscription and
   * rejects when the server refused it (or the client was closed first). */
  ready: Promise<void>;
}

interface Sub {
  id: string;
  topic: string;
  opts: SubscribeOptions;
  handler: (e: RealtimeEvent) => void;
  /** lastSeq is the seq of the last event delivered: the resume point. */
  lastSeq?: number;
  /** acked is set once the server acknowledged the subscription. */
  acked: boolean;
  /** sentSince is set when the pending subscribe carried since. */
  sentSince: boolean;
  /** resyncDue asks for onResync when the pending subscribe is acked. */
  resyncDue: boolean;
  settle(err?: Error): void;
}

interface ServerMessage {
  type: string;
  id?: string;
  sub?: string;
  action?: RealtimeAction;
  record?: Record<string, unknown>;
  seq?: number;
  code?: string;
  message?: string;
}

const OPEN = 1; // WebSocket.OPEN

/**
 * RealtimeClient speaks Lumbung's realtime protocol over one WebSocket:
 * it subscribes to topics ("posts/*" or "posts/<id>"), reconnects with
 * exponential backoff and jitter, and resumes each subscription after the
 * last seq it delivered, so no change is lost or delivered twice.
 */
export class RealtimeClient {
  private readonly url: string;
  private readonly WS: WebSocketConstructor;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly pingMs: number;
  private readonly opts: RealtimeClientOptions;
  private token: string | null;
  private readonly subs = new Map<string, Sub>();
  private readonly statusListeners = new Set<(s: RealtimeStatus) => void>();
  private status: RealtimeStatus = "closed";
  private ws: WebSocket | null = null;
  private attempt = 0;
  private nextId = 0;
  private stopped = false;
  private awaitingPong = false;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;

  /** The client starts connecting at once. */
  constructor(opts: RealtimeClientOptions) {
    const WS = opts.WebSocket ?? globalThis.WebSocket;
    if (!WS) {
      throw new Error("RealtimeClient: no WebSocket; pass one in the options.");
    }
    this.opts = opts;
    this.url = realtimeURL(opts.url);
    this.WS = WS;
    this.token = opts.token ?? null;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.pingMs = opts.pingIntervalMs ?? 30_000;
    this.connect();
  }

  /**
   * subscribe delivers the changes of topic ("<collection>/*" or
   * "<collection>/<id>") to handler until the returned unsubscribe is
   * called. It may be called before the connection is open.
   */
  subscribe<T = Record<string, unknown>>(
    topic: string,
    handler: (e: RealtimeEvent<T>) => void,
    opts: SubscribeOptions = {},
  ): Subscription {
    if (this.stopped) {
      throw new Error("RealtimeClient: closed.");
    }
    const id = `s${++this.nextId}`;
    let settle!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    ready.catch(() => {}); // ready need not be awaited: onError hears it too
    const sub: Sub = {
      id, topic, opts, settle,
      handler: handler as (e: RealtimeEvent) => void,
      acked: false, sentSince: false, resyncDue: false,
    };
    this.subs.set(id, sub);
    this.sendSubscribe(sub);
    return {
      ready,
      unsubscribe: () => {
        if (this.subs.delete(id)) {
          sub.settle(new Error("RealtimeClient: unsubscribed."));
          this.send({ type: "unsubscribe", id });
        }
      },
    };
  }

  /** setToken changes the identity events are checked against (null: guest). */
  setToken(token: string | null): void {
    this.token = token;
    this.send({ type: "auth", id: `auth${++this.nextId}`, token: token ?? "" });
  }

  /** onStatus calls cb with the status now and on every change; it returns
   * a function that stops the calls. */
  onStatus(cb: (s: RealtimeStatus) => void): () => void {
    this.statusListeners.add(cb);
    cb(this.status);
    return () => this.statusListeners.delete(cb);
  }

  /** close disconnects for good; pending ready promises reject. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    for (const sub of this.subs.values()) {
      sub.settle(new Error("RealtimeClient: closed."));
    }
    this.subs.clear();
    this.setStatus("closed");
  }

  private connect(): void {
    this.setStatus("connecting");
    let ws: WebSocket;
    try {
      ws = new this.WS(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = (m) => this.receive(ws, m.data);
    ws.onclose = () => this.drop(ws);
    ws.onerror = () => this.drop(ws);
    this.awaitingPong = false;
    if (this.pingMs > 0) {
      // Keepalive: a connection not greeted by the next tick, or whose
      // ping is still unanswered, is dead.
      this.pingTimer = setInterval(() => {
        if (this.status !== "open" || this.awaitingPong) {
          this.drop(ws);
          return;
        }
        this.awaitingPong = true;
        this.send({ type: "ping" });
      }, this.pingMs);
    }
  }

  /** drop ends connection ws (if still current) and schedules the next one. */
  private drop(ws: WebSocket): void {
    if (ws !== this.ws) {
      return;
    }
    this.ws = null;
    clearInterval(this.pingTimer);
    ws.close();
    this.setStatus("closed");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) {
      return;
    }
    const { initialMs, maxMs } = this.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const delay = base / 2 + (Math.random() * base) / 2;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(ws: WebSocket, data: unknown): void {
    if (ws !== this.ws) {
      return;
    }
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    const sub = this.subs.get(msg.sub ?? msg.id ?? "");
    switch (msg.type) {
      case "connected":
        this.opened(ws);
        break;
      case "pong":
        this.awaitingPong = false;
        break;
      case "ack":
        if (sub) {
          // A subscription's ack names the seq it starts after: the resume
          // point until an event moves it on.
          if (typeof msg.seq === "number" && msg.seq > (sub.lastSeq ?? -1)) {
            sub.lastSeq = msg.seq;
          }
          sub.acked = true;
          sub.settle();
          if (sub.resyncDue) {
            sub.resyncDue = false;
            (sub.opts.onResync ?? this.opts.onResync)?.(sub.topic);
          }
        }
        break;
      case "event":
        // Resuming makes the server skip what was delivered; the seq check
        // is a safety net against a duplicate all the same.
        if (sub && typeof msg.seq === "number" && msg.seq > (sub.lastSeq ?? -1)) {
          sub.lastSeq = msg.seq;
          sub.handler({ action: msg.action!, record: msg.record ?? {}, seq: msg.seq });
        }
        break;
      case "error":
        this.failed(sub, new RealtimeError(msg.code ?? "unknown", msg.message ?? "", msg.id));
        break;
    }
  }

  /** opened runs once the server greeted connection ws: it authenticates
   * and (re)subscribes. */
  private opened(ws: WebSocket): void {
    this.attempt = 0;
    this.setStatus("open");
    if (this.token) {
      this.send({ type: "auth", id: `auth${++this.nextId}`, token: this.token });
    }
    for (const sub of this.subs.values()) {
      this.sendSubscribe(sub);
    }
  }

  /** failed handles an error from the server. A subscription refused
   * while resuming (code "resync": the changes after since are gone; any
   * other code may be about the position too) is subscribed afresh and
   * the app asked to refetch; otherwise it ends. */
  private failed(sub: Sub | undefined, err: RealtimeError): void {
    if (!sub) {
      this.opts.onError?.(err);
      return;
    }
    if (sub.sentSince) {
      sub.lastSeq = undefined;
      sub.resyncDue = true;
      this.sendSubscribe(sub);
      return;
    }
    this.subs.delete(sub.id);
    sub.settle(err);
    sub.opts.onError?.(err);
  }

  private sendSubscribe(sub: Sub): void {
    if (this.status !== "open") {
      return; // sent once connected
    }
    const { filter, fields, expand } = sub.opts;
    const since = sub.lastSeq;
    sub.sentSince = since !== undefined;
    if (since === undefined && sub.acked) {
      // It ran before without a position to resume from: changes may
      // have been missed.
      sub.resyncDue = true;
    }
    this.send({ type: "subscribe", id: sub.id, topic: sub.topic, filter, fields, expand, since });
  }

  private send(msg: Record<string, unknown>): void {
    if (this.status === "open" && this.ws?.readyState === OPEN) {
      this.ws.send(JSON.stringify(msg)); // undefined fields are left out
    }
  }

  private setStatus(s: RealtimeStatus): void {
    if (s !== this.status) {
      this.status = s;
      for (const cb of this.statusListeners) {
        cb(s);
      }
    }
  }
}

/** realtimeURL turns a server base URL into its realtime endpoint. */
function realtimeURL(base: string): string {
  const u = new URL(base, globalThis.location?.href);
  u.protocol = u.protocol === "https:" || u.protocol === "wss:" ? "wss:" : "ws:";
  if (!u.pathname.endsWith("/api/realtime")) {
    u.pathname = u.pathname.replace(/\/+$/, "") + "/api/realtime";
  }
  return u.toString();
}
