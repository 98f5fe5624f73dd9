import { describe, expect, it } from "vitest";
import type { Collection, Field } from "../lib/api";
import { newCollection } from "../schema/draft";
import { newField } from "../schema/fieldTypes";
import { sampleBody, sampleExpand, sampleFilter, sampleLookup, sampleRecord, sampleSort, sampleUpdate, sampleValue, writableFields } from "./samples";

function posts(): Collection {
  const c = newCollection("base", "posts");
  c.id = "pbc_posts";
  c.fields.splice(
    1,
    0,
    { ...newField("text", "title"), required: true },
    { ...newField("number", "views"), onlyInt: true },
    { ...newField("select", "tags"), values: ["news", "tech", "misc"], maxSelect: 2 },
    { ...newField("relation", "author"), collectionId: "pbc_users" },
  );
  return c;
}

describe("sampleValue", () => {
  it("gives a value of each type", () => {
    const cases: [Field, unknown][] = [
      [newField("text", "title"), "Sample title"],
      [newField("editor", "body"), "<p>Sample content</p>"],
      [newField("number", "price"), 12.5],
      [{ ...newField("number", "count"), onlyInt: true }, 42],
      [newField("bool", "done"), true],
      [newField("email", "contact"), "user@example.com"],
      [newField("url", "site"), "https://example.com"],
      [newField("date", "due"), "2026-01-01 10:00:00.000Z"],
      [{ ...newField("select", "status"), values: ["draft", "live"] }, "draft"],
      [{ ...newField("select", "tags"), values: ["a", "b", "c"], maxSelect: 3 }, ["a", "b"]],
      [newField("json", "meta"), { key: "value" }],
      [newField("relation", "author"), "RECORD_ID"],
      [{ ...newField("relation", "tags"), maxSelect: 5 }, ["RECORD_ID"]],
      [newField("password", "password"), "secret-password"],
    ];
    for (const [f, want] of cases) expect(sampleValue(f), f.name).toEqual(want);
  });

  it("respects limits", () => {
    expect(sampleValue({ ...newField("text", "code"), max: 4 })).toBe("Samp");
    expect(sampleValue({ ...newField("text", "x"), min: 12 })).toBe("Sample xxxxx");
    expect(sampleValue({ ...newField("number", "n"), min: 100, max: null })).toBe(100);
    expect(sampleValue({ ...newField("number", "n"), min: null, max: 5 })).toBe(5);
    expect(sampleValue({ ...newField("email", "e"), onlyDomains: ["acme.test"] })).toBe("user@acme.test");
    expect(sampleValue({ ...newField("password", "p"), min: 20 })).toHaveLength(20);
    expect(sampleValue({ ...newField("select", "s"), values: [] })).toBe("");
  });
});

describe("writableFields and sampleBody", () => {
  it("leave out the id and autodates", () => {
    const c = posts();
    expect(writableFields(c).map((f) => f.name)).toEqual(["title", "views", "tags", "author"]);
    expect(sampleBody(c)).toEqual({ title: "Sample title", views: 42, tags: ["news", "tech"], author: "RECORD_ID" });
    expect(sampleUpdate(c)).toEqual({ title: "Sample title" });
  });

  it("sign auth records up with email, password and passwordConfirm", () => {
    const c = newCollection("auth", "users");
    c.fields.splice(c.fields.length - 2, 0, newField("text", "name"));
    const body = sampleBody(c);
    expect(Object.keys(body).sort()).toEqual(["email", "emailVisibility", "name", "password", "passwordConfirm"]);
    expect(body.passwordConfirm).toBe(body.password);
    expect(body).not.toHaveProperty("tokenKey");
    expect(body).not.toHaveProperty("verified");
    expect(sampleUpdate(c)).toEqual({ name: "Sample name" });
  });

  it("has nothing to write in a view", () => {
    const v = newCollection("view", "stats");
    v.fields = [newField("number", "total")];
    expect(writableFields(v)).toEqual([]);
    expect(sampleBody(v)).toEqual({});
  });
});

describe("list samples", () => {
  it("use the collection's fields", () => {
    const c = posts();
    expect(sampleFilter(c)).toBe("views > 0");
    expect(sampleSort(c)).toBe("-created");
    expect(sampleExpand(c)).toBe("author");
    expect(sampleLookup(c)).toEqual({ field: "title", value: "Sample title" });
  });

  it("fall back when fields are missing", () => {
    const c = newCollection("base", "empty");
    c.fields = c.fields.filter((f) => f.name === "id");
    expect(sampleFilter(c)).toBe("id != ''");
    expect(sampleSort(c)).toBe("-id");
    expect(sampleExpand(c)).toBe("");
    expect(sampleLookup(c)).toEqual({ field: "id", value: "RECORD_ID" });
  });

  it("shows records without hidden fields", () => {
    const r = sampleRecord(newCollection("auth", "users"));
    expect(r.collectionName).toBe("users");
    expect(r.id).toBe("RECORD_ID");
    expect(r).not.toHaveProperty("password");
    expect(r).not.toHaveProperty("tokenKey");
  });
});
