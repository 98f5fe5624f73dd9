// Helpers for the tests against a live server and against a fake one.

import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { WebSocketConstructor } from "../src/lib/realtime";

/** uniqueName returns a collection name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

/** waitFor polls cond until it holds; the timeout is a hang guard only. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** api calls the live server's REST API and returns the JSON answer; a
 * status other than want fails. */
export async function api<T = Record<string, any>>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  want = 200,
): Promise<T> {
  const { url } = inject("lumbung");
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) {
    headers.Authorization = token;
  }
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== want) {
    throw new Error(`${method} ${path}: status ${res.status}, want ${want}: ${text}`);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

/** superuserToken signs in as the run's superuser. */
export async function superuserToken(): Promise<string> {
  const { email, password } = inject("lumbung");
  const res = await api<{ token: string }>("POST", "/api/collections/_superusers/auth-with-password", {
    identity: email,
    password,
  });
  return res.token;
}

/** SocketLog records the sockets a client made and every frame they carried. */
export interface SocketLog {
  sockets: WebSocket[];
  /** sent[i] are the messages socket i sent, parsed. */
  sent: Record<string, any>[][];
  /** received holds the messages of every socket, parsed, in arrival order. */
  received: Record<string, any>[];
  /** redirect, while set, sends new connections there instead. */
  redirect?: string;
}

/** recordingWebSocket returns a WebSocket class for RealtimeClient that
 * logs into log. */
export function recordingWebSocket(log: SocketLog): WebSocketConstructor {
  class Recording extends WebSocket {
    constructor(url: string) {
      super(log.redirect ?? url);
      const i = log.sockets.push(this) - 1;
      log.sent[i] = [];
      this.on("message", (data) => log.received.push(JSON.parse(String(data))));
      const send = this.send.bind(this);
      this.send = ((data: string) => {
        log.sent[i].push(JSON.parse(data));
        send(data);
      }) as typeof this.send;
    }
  }
  return Recording as unknown as WebSocketConstructor;
}

/** FakeConn is one connection to a FakeServer. */
export interface FakeConn {
  ws: WebSocket;
  /** got holds the client's messages, parsed. */
  got: Record<string, any>[];
  send(msg: Record<string, unknown>): void;
}

/** FakeServer is an in-process realtime endpoint whose answers the test
 * writes by hand. It greets each connection and answers pings unless
 * pongs is false. */
export class FakeServer {
  readonly conns: FakeConn[] = [];
  pongs = true;
  private readonly wss: WebSocketServer;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on("connection", (ws) => {
      const conn: FakeConn = { ws, got: [], send: (m) => ws.send(JSON.stringify(m)) };
      this.conns.push(conn);
      ws.on("message", (data) => {
        const msg = JSON.parse(String(data));
        conn.got.push(msg);
        if (msg.type === "ping" && this.pongs) {
          conn.send({ type: "pong" });
        }
      });
      conn.send({ type: "connected", clientId: `c${this.conns.length}` });
    });
  }

  /** start listens on a free port of 127.0.0.1. */
  static async start(): Promise<FakeServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    return new FakeServer(wss);
  }

  /** url is the base URL to give a RealtimeClient. */
  get url(): string {
    const { port } = this.wss.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /** message waits for connection n to send a message matching pred. */
  async message(n: number, pred: (m: Record<string, any>) => boolean, what: string) {
    let found: Record<string, any> | undefined;
    await waitFor(() => (found = this.conns[n]?.got.find(pred)) !== undefined, what);
    return found!;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) {
      c.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
