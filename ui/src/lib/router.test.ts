import { describe, expect, it } from "vitest";
import { href, matchPath, parseHash, resolve, Router, sameLocation, viewKey, withQuery, type Address } from "./router.svelte";

describe("parseHash", () => {
  it("reads path and query", () => {
    const l = parseHash("#/collections/posts/schema?type=auth&x=1");
    expect(l.path).toBe("/collections/posts/schema");
    expect(l.query.get("type")).toBe("auth");
  });
  it("treats an empty hash as the root and drops a trailing slash", () => {
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#").path).toBe("/");
    expect(parseHash("#/settings/").path).toBe("/settings");
    expect(parseHash("#settings").path).toBe("/settings");
  });
});

describe("matchPath", () => {
  it("binds and decodes parameters", () => {
    expect(matchPath("/collections/:name/schema", "/collections/my%20posts/schema")).toEqual({ name: "my posts" });
  });
  it("needs every segment", () => {
    expect(matchPath("/collections/:name", "/collections/posts/schema")).toBeNull();
    expect(matchPath("/collections/:name/schema", "/collections/posts")).toBeNull();
    expect(matchPath("/", "/")).toEqual({});
  });
  it("takes the rest with a star", () => {
    expect(matchPath("/auth/*", "/auth/confirm/abc")).toEqual({ "*": "confirm/abc" });
  });
  it("survives malformed escapes", () => {
    expect(matchPath("/c/:n", "/c/%E0%A4%A")).toEqual({ n: "%E0%A4%A" });
  });
});

describe("resolve", () => {
  const routes = [
    { pattern: "/collections/:name/schema", view: "schema" },
    { pattern: "/collections/:name", view: "records" },
    { pattern: "/setup/:token", view: "setup" },
  ];
  it("picks the first matching route", () => {
    expect(resolve(routes, "/collections/posts")?.route.view).toBe("records");
    expect(resolve(routes, "/collections/posts/schema")?.params).toEqual({ name: "posts" });
    expect(resolve(routes, "/setup/tok_1")?.params.token).toBe("tok_1");
    expect(resolve(routes, "/nope")).toBeNull();
  });
});

describe("href", () => {
  it("encodes each segment", () => {
    expect(href("collections", "a/b", "schema")).toBe("#/collections/a%2Fb/schema");
  });
});

describe("withQuery and viewKey", () => {
  it("sets and removes one key, keeping the others", () => {
    const l = parseHash("#/collections/posts?x=1");
    expect(withQuery(l, "record", "abc")).toBe("#/collections/posts?x=1&record=abc");
    expect(withQuery(parseHash("#/collections/posts?record=abc"), "record", null)).toBe("#/collections/posts");
    expect(withQuery(l, "record", "a b&c")).toBe("#/collections/posts?x=1&record=a+b%26c");
  });
  it("leaves followed keys out of a view's key", () => {
    const l = parseHash("#/collections/posts?record=abc&x=1");
    expect(viewKey(l, ["record"])).toBe("/collections/posts?x=1");
    expect(viewKey(parseHash("#/collections/posts?record=abc"), ["record"])).toBe("/collections/posts");
    expect(viewKey(l)).toBe("/collections/posts?record=abc&x=1");
  });
  it("compares locations by path and query", () => {
    expect(sameLocation(parseHash("#/a?x=1"), parseHash("/a?x=1"))).toBe(true);
    expect(sameLocation(parseHash("#/a?x=1"), parseHash("#/a"))).toBe(false);
  });
});

/**
 * FakeHistory behaves like a browser tab's session history: push and
 * replace are silent, while links, Back and Forward report a hash change
 * later, as the browser's hashchange event does.
 */
class FakeHistory implements Address {
  entries: { hash: string; state: unknown }[];
  at = 0;
  #listeners: (() => void)[] = [];
  #queue: (() => void)[] = [];

  constructor(hash = "") {
    this.entries = [{ hash, state: null }];
  }
  hash() {
    return this.entries[this.at].hash;
  }
  state() {
    return this.entries[this.at].state;
  }
  push(state: unknown, hash: string) {
    this.entries.splice(this.at + 1, Infinity, { hash, state });
    this.at++;
  }
  replace(state: unknown, hash?: string) {
    this.entries[this.at] = { hash: hash ?? this.hash(), state };
  }
  go(delta: number) {
    this.#queue.push(() => {
      const before = this.hash();
      this.at = Math.min(Math.max(this.at + delta, 0), this.entries.length - 1);
      if (this.hash() !== before) this.#fire();
    });
  }
  listen(fn: () => void) {
    this.#listeners.push(fn);
  }
  /** visit follows a link (or the address bar) to hash. */
  visit(hash: string) {
    this.entries.splice(this.at + 1, Infinity, { hash, state: null });
    this.at++;
    this.#queue.push(() => this.#fire());
  }
  back() {
    this.go(-1);
  }
  forward() {
    this.go(1);
  }
  /** settle runs what the browser would do next, until nothing is left. */
  settle() {
    for (let i = 0; this.#queue.length > 0; i++) {
      if (i > 50) throw new Error("history does not settle");
      this.#queue.shift()!();
    }
  }
  hashes() {
    return this.entries.map((e) => e.hash);
  }
  #fire() {
    for (const fn of this.#listeners) fn();
  }
}

describe("Router", () => {
  const list = "#/collections/posts";
  const rec = (id: string) => `${list}?record=${id}`;

  it("follows links, Back and Forward", () => {
    const h = new FakeHistory(list);
    const r = new Router(h);
    h.visit(rec("a"));
    h.settle();
    expect(r.location.query.get("record")).toBe("a");
    h.back();
    h.settle();
    expect(r.location.query.get("record")).toBeNull();
    h.forward();
    h.settle();
    expect(r.location.query.get("record")).toBe("a");
  });

  it("pushes and replaces entries", () => {
    const h = new FakeHistory(list);
    const r = new Router(h);
    r.go(rec("a"));
    expect(h.hashes()).toEqual([list, rec("a")]);
    r.go(rec("b"), { replace: true });
    expect(h.hashes()).toEqual([list, rec("b")]);
    expect(r.location.query.get("record")).toBe("b");
    // The same link again adds nothing.
    r.go(rec("b"));
    expect(h.hashes()).toEqual([list, rec("b")]);
  });

  it("leaves an entry by going back to where it was opened from, so Forward reopens it", () => {
    const h = new FakeHistory("#/");
    const r = new Router(h);
    r.go(list);
    r.go(rec("a"));
    r.leave(list);
    // Twice, as a double click would: one step back only.
    r.leave(list);
    h.settle();
    expect(h.at).toBe(1);
    expect(r.location.query.get("record")).toBeNull();
    h.forward();
    h.settle();
    expect(r.location.query.get("record")).toBe("a");
  });

  it("leaves an entry opened directly by replacing it", () => {
    // A page loaded on the record, as from a copied link.
    const h = new FakeHistory(rec("a"));
    const r = new Router(h);
    r.leave(list);
    h.settle();
    expect(h.hashes()).toEqual([list]);
    expect(r.location.path).toBe("/collections/posts");
    expect(r.location.query.get("record")).toBeNull();
  });

  it("remembers where an entry came from across page loads", () => {
    const h = new FakeHistory(list);
    new Router(h).go(rec("a"));
    // A reload: a new router on the same history.
    const r = new Router(h);
    r.leave(list);
    h.settle();
    expect(h.at).toBe(0);
    expect(r.location.query.get("record")).toBeNull();
  });

  it("lets a guard hold Back, and resume it", () => {
    const h = new FakeHistory(list);
    const r = new Router(h);
    r.go(rec("a"));
    let resume: (() => void) | null = null;
    const asked: string[] = [];
    const stop = r.guard((to, go) => {
      asked.push(to.query.get("record") ?? "");
      resume = go;
      return false;
    });
    h.back();
    h.settle();
    // The address is put back, without asking again.
    expect(h.at).toBe(1);
    expect(h.hash()).toBe(rec("a"));
    expect(r.location.query.get("record")).toBe("a");
    expect(asked).toEqual([""]);

    stop();
    resume!();
    h.settle();
    expect(h.at).toBe(0);
    expect(r.location.query.get("record")).toBeNull();
    expect(h.hashes()).toEqual([list, rec("a")]);
  });

  it("lets a guard hold a link, and resume it", () => {
    const h = new FakeHistory(rec("a"));
    const r = new Router(h);
    let resume: (() => void) | null = null;
    const stop = r.guard((_to, go) => {
      resume = go;
      return false;
    });
    h.visit("#/settings");
    h.settle();
    expect(h.hash()).toBe(rec("a"));
    expect(r.location.query.get("record")).toBe("a");

    stop();
    resume!();
    h.settle();
    expect(r.location.path).toBe("/settings");
    expect(h.hash()).toBe("#/settings");
    expect(h.entries.length).toBe(2);
  });

  it("asks guards before its own moves, unless forced", () => {
    const h = new FakeHistory(list);
    const r = new Router(h);
    let allow = false;
    r.guard(() => allow);
    r.go(rec("a"));
    expect(h.hashes()).toEqual([list]);
    r.go(rec("a"), { force: true });
    expect(h.hashes()).toEqual([list, rec("a")]);
    r.leave(list);
    h.settle();
    expect(r.location.query.get("record")).toBe("a");
    allow = true;
    r.leave(list);
    h.settle();
    expect(r.location.query.get("record")).toBeNull();
  });
});
