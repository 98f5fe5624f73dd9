import { describe, expect, it } from "vitest";
import { FakeHistory } from "./fakeHistory";
import { href, matchPath, parseHash, resolve, Router, sameLocation, viewKey, withQuery } from "./router.svelte";

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
