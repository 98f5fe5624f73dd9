import { describe, expect, test } from "vitest";
import type { RecordModel } from "../lib/api";
import { mergeEvent, mergeRow, type PageState } from "./live";

const rec = (id: string, extra: Record<string, unknown> = {}): RecordModel => ({ id, collectionId: "c", collectionName: "posts", ...extra });
const page = (...ids: string[]): PageState => ({ items: ids.map((id) => rec(id)), totalItems: 10, pending: 0 });
const head = { atHead: true, perPage: 3 };
const deep = { atHead: false, perPage: 3 };

describe("mergeEvent", () => {
  test("create at the head goes to the top and keeps the page size", () => {
    const r = mergeEvent(page("a", "b", "c"), "create", rec("n"), head);
    expect(r.items.map((x) => x.id)).toEqual(["n", "a", "b"]);
    expect(r.totalItems).toBe(11);
    expect(r.changed).toBe("n");
    expect(r.pending).toBe(0);
  });

  test("create elsewhere is counted as pending", () => {
    const r = mergeEvent(page("a", "b"), "create", rec("n"), deep);
    expect(r.items.map((x) => x.id)).toEqual(["a", "b"]);
    expect(r.pending).toBe(1);
    expect(r.changed).toBeUndefined();
    expect(mergeEvent(r, "create", rec("m"), deep).pending).toBe(2);
  });

  test("enter of a row not shown is pending even at the head", () => {
    expect(mergeEvent(page("a"), "enter", rec("n"), head).pending).toBe(1);
  });

  test("update replaces a shown row in place", () => {
    const r = mergeEvent(page("a", "b"), "update", rec("b", { title: "new" }), deep);
    expect(r.items[1].title).toBe("new");
    expect(r.items.map((x) => x.id)).toEqual(["a", "b"]);
    expect(r.changed).toBe("b");
  });

  test("update of a row not shown changes nothing", () => {
    const s = page("a");
    const r = mergeEvent(s, "update", rec("z"), head);
    expect(r.items).toEqual(s.items);
    expect(r.pending).toBe(0);
    expect(r.changed).toBeUndefined();
  });

  test("delete and leave remove the row", () => {
    const r = mergeEvent(page("a", "b"), "delete", rec("a"), head);
    expect(r.items.map((x) => x.id)).toEqual(["b"]);
    expect(r.totalItems).toBe(9);
    expect(r.removed).toBe("a");
    expect(mergeEvent(page("a", "b"), "leave", rec("b"), head).items.map((x) => x.id)).toEqual(["a"]);
  });

  test("delete of a row on another page only lowers the total", () => {
    const r = mergeEvent(page("a"), "delete", rec("z"), deep);
    expect(r.items.map((x) => x.id)).toEqual(["a"]);
    expect(r.totalItems).toBe(9);
  });

  test("events replayed on a freshly loaded page add what it lacks and never count a delete twice", () => {
    const replay = { ...head, replayed: true };
    expect(mergeEvent(page("a"), "create", rec("n"), replay).items.map((x) => x.id)).toEqual(["n", "a"]);
    expect(mergeEvent(page("n", "a"), "create", rec("n"), replay).items.map((x) => x.id)).toEqual(["n", "a"]);
    expect(mergeEvent(page("n", "a"), "create", rec("n"), replay).totalItems).toBe(10);
    expect(mergeEvent(page("a"), "delete", rec("gone"), replay).totalItems).toBe(10);
    expect(mergeEvent(page("a", "b"), "delete", rec("b"), replay).items.map((x) => x.id)).toEqual(["a"]);
  });

  test("the input state is not modified", () => {
    const s = page("a", "b");
    mergeEvent(s, "delete", rec("a"), head);
    mergeEvent(s, "update", rec("b", { x: 1 }), head);
    expect(s.items.map((x) => x.id)).toEqual(["a", "b"]);
    expect(s.items[1].x).toBeUndefined();
  });
});

describe("mergeRow", () => {
  test("keeps the expand of unchanged relations and drops changed ones", () => {
    const old = rec("a", { author: "u1", editor: "u2", expand: { author: rec("u1", { name: "Ada" }), editor: rec("u2") } });
    const next = mergeRow(old, rec("a", { author: "u1", editor: "u3" }), ["author", "editor"]);
    expect(next.expand?.author).toBeTruthy();
    expect(next.expand?.editor).toBeUndefined();
  });

  test("no expand at all when nothing is kept", () => {
    const old = rec("a", { author: "u1", expand: { author: rec("u1") } });
    expect(mergeRow(old, rec("a", { author: "" }), ["author"]).expand).toBeUndefined();
  });
});
