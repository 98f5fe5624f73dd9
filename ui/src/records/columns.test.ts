import { describe, expect, test } from "vitest";
import type { Collection, Field } from "../lib/api";
import { defaultColumns, defaultSort, listQuery, loadColumns, nextSort, orderColumns, saveColumns, sortDir } from "./columns";

const f = (name: string, type: string, extra: Record<string, unknown> = {}) =>
  ({ id: name, name, type, system: false, hidden: false, presentable: false, required: false, ...extra }) as unknown as Field;

const authors = { id: "c_a", name: "authors", type: "base", fields: [f("id", "text"), f("name", "text", { presentable: true })] } as unknown as Collection;
const tags = { id: "c_t", name: "tags", type: "base", fields: [f("id", "text"), f("label", "text")] } as unknown as Collection;
const posts = {
  id: "c_p",
  name: "posts",
  type: "base",
  fields: [f("id", "text"), f("title", "text"), f("secret", "text", { hidden: true }), f("author", "relation", { collectionId: "c_a" }), f("tags", "relation", { collectionId: "c_t" }), f("created", "autodate")],
} as unknown as Collection;
const all = [authors, tags, posts];

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

describe("columns", () => {
  test("default shows the fields that are not hidden", () => {
    expect(defaultColumns(posts)).toEqual(["id", "title", "author", "tags", "created"]);
  });

  test("choice is kept per collection and drops unknown fields", () => {
    const s = memoryStorage();
    expect(loadColumns(posts, s)).toEqual(defaultColumns(posts));
    saveColumns(posts, ["title", "gone", "secret"], s);
    expect(loadColumns(posts, s)).toEqual(["title", "secret"]);
    expect(loadColumns(authors, s)).toEqual(["id", "name"]);
    s.setItem("lumbung.records.columns.c_p", "{not json");
    expect(loadColumns(posts, s)).toEqual(defaultColumns(posts));
  });

  test("orderColumns follows the field order", () => {
    expect(orderColumns(posts, ["created", "title"])).toEqual(["title", "created"]);
  });

  test("listQuery asks for shown fields and expands presentable relations", () => {
    expect(listQuery(posts, ["title", "author", "tags"], all)).toEqual({
      fields: "id,collectionId,collectionName,title,author,expand.author.id,expand.author.name,tags",
      expand: "author",
    });
    expect(listQuery(posts, ["title"], all)).toEqual({ fields: "id,collectionId,collectionName,title", expand: "" });
  });
});

describe("sort", () => {
  test("defaultSort is newest first when there is a created field", () => {
    expect(defaultSort(posts)).toBe("-created");
    expect(defaultSort(authors)).toBe("");
  });

  test("header clicks cycle asc, desc, none", () => {
    expect(nextSort("-created", "title")).toBe("title");
    expect(nextSort("title", "title")).toBe("-title");
    expect(nextSort("-title", "title")).toBe("");
    expect(sortDir("-created", "created")).toBe("desc");
    expect(sortDir("+title", "title")).toBe("asc");
    expect(sortDir("", "title")).toBe("none");
  });
});
