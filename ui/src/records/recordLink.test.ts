import { describe, expect, it } from "vitest";
import { parseHash } from "../lib/router.svelte";
import { newRecord, openRecord, recordLink, sameRecord } from "./recordLink";

describe("openRecord", () => {
  it("reads an id, the new-record form, or none", () => {
    expect(openRecord("abc123", false)).toEqual({ id: "abc123" });
    expect(openRecord(newRecord, false)).toEqual({ id: null });
    expect(openRecord(null, false)).toBeNull();
    expect(openRecord("", false)).toBeNull();
  });
  it("has no new-record form in a read-only collection", () => {
    expect(openRecord(newRecord, true)).toEqual({ id: "new" });
  });
});

describe("recordLink", () => {
  const list = parseHash("#/collections/posts");
  it("puts the record in the query and takes it out", () => {
    expect(recordLink(list, "abc123")).toBe("#/collections/posts?record=abc123");
    expect(recordLink(list, newRecord)).toBe("#/collections/posts?record=new");
    expect(recordLink(parseHash("#/collections/posts?record=abc123"), null)).toBe("#/collections/posts");
  });
  it("reads back what it writes", () => {
    const id = "a/b?c&d=e";
    const l = parseHash(recordLink(list, id));
    expect(l.path).toBe("/collections/posts");
    expect(openRecord(l.query.get("record"), false)).toEqual({ id });
  });
});

describe("sameRecord", () => {
  it("compares the screen and the open record only", () => {
    const a = parseHash("#/collections/posts?record=abc");
    expect(sameRecord(a, parseHash("#/collections/posts?record=abc&x=1"))).toBe(true);
    expect(sameRecord(a, parseHash("#/collections/posts?record=xyz"))).toBe(false);
    expect(sameRecord(a, parseHash("#/collections/posts"))).toBe(false);
    expect(sameRecord(a, parseHash("#/collections/other?record=abc"))).toBe(false);
  });
});
