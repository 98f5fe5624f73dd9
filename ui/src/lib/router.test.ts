import { describe, expect, it } from "vitest";
import { href, matchPath, parseHash, resolve } from "./router.svelte";

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
