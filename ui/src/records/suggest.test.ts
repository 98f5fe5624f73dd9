import { describe, expect, test } from "vitest";
import type { Collection, Field } from "../lib/api";
import { applySuggestion, filterFields, suggest, tokenize, type FilterField } from "./suggest";

const f = (name: string, type: string, extra: Record<string, unknown> = {}) =>
  ({ id: name, name, type, system: false, hidden: false, presentable: false, required: false, ...extra }) as unknown as Field;

const authors = { id: "c_authors", name: "authors", type: "base", fields: [f("id", "text"), f("name", "text"), f("age", "number")] } as unknown as Collection;
const posts = {
  id: "c_posts",
  name: "posts",
  type: "base",
  fields: [
    f("id", "text"),
    f("title", "text"),
    f("views", "number"),
    f("published", "bool"),
    f("status", "select", { values: ["draft", "live"], maxSelect: 1 }),
    f("author", "relation", { collectionId: "c_authors", maxSelect: 1 }),
    f("created", "autodate"),
    f("tags", "select", { values: ["go", "js"], maxSelect: 3 }),
    f("place", "geoPoint"),
  ],
} as unknown as Collection;

const fields: FilterField[] = filterFields(posts, [authors, posts]);
const labels = (text: string, cursor = text.length) => suggest(text, cursor, fields).items.map((s) => s.label);

describe("filterFields", () => {
  test("lists fields and relation paths one level deep", () => {
    const names = fields.map((x) => x.name);
    expect(names).toContain("title");
    expect(names).toContain("author.name");
    expect(names).toContain("author.age");
    expect(fields.find((x) => x.name === "author")?.target).toBe("authors");
  });
});

describe("suggest", () => {
  test("field names at the start", () => {
    expect(labels("")).toContain("title");
    expect(labels("")).not.toContain("author.name");
    expect(labels("ti")).toEqual(["title"]);
    expect(labels("pub")).toEqual(["published"]);
  });

  test("substring matches come after prefix matches", () => {
    expect(labels("at")).toEqual(["status", "created"]);
  });

  test("functions where an operand starts, by prefix", () => {
    expect(labels("str")).toEqual(["strftime("]);
    expect(labels("title = 'x' && geo")).toEqual(["geoDistance("]);
    expect(labels("ti")).toEqual(["title"]);
  });

  test("relation paths after a dot", () => {
    expect(labels("author.")).toEqual(["author.id", "author.name", "author.age"]);
    expect(labels("author.na")).toEqual(["author.name"]);
  });

  test("operators after a field", () => {
    const ops = labels("title ");
    expect(ops[0]).toBe("=");
    expect(ops).toContain("~");
    expect(labels("title !")).toEqual(["!=", "!~"]);
    expect(labels("title ?")).toContain("?=");
  });

  test("nothing while a complete field name is typed", () => {
    expect(labels("title")).toEqual([]);
  });

  test("values after an operator: choices, booleans, macros", () => {
    expect(labels("status = ")).toContain("'draft'");
    expect(labels("published = ")).toEqual(expect.arrayContaining(["true", "false"]));
    expect(labels("created > @")).toContain("@now");
  });

  test("joins after a comparison, fields after a join", () => {
    expect(labels("title ~ 'x' ")).toEqual(["&&", "||"]);
    expect(labels("title ~ 'x' && v")).toEqual(["views"]);
    expect(labels("(title ~ 'x' || v")).toEqual(["views"]);
    expect(labels("(title = 'x') ")).toEqual(["&&", "||"]);
  });

  test("nothing inside a string", () => {
    expect(labels("title ~ 'ti")).toEqual([]);
    expect(labels("title ~ 'it\\'s ti")).toEqual([]);
  });

  test("completes at the cursor, replacing the whole word", () => {
    const text = "titl = 'x'";
    const s = suggest(text, 2, fields);
    expect(s.items.map((x) => x.label)).toEqual(["title"]);
    expect([s.from, s.to]).toEqual([0, 4]);
    expect(applySuggestion(text, s, s.items[0]).text).toBe("title = 'x'");
  });

  test("applySuggestion adds a space and places the cursor after it", () => {
    const s = suggest("vi", 2, fields);
    expect(applySuggestion("vi", s, s.items[0])).toEqual({ text: "views ", cursor: 6 });
    const o = suggest("views ", 6, fields);
    const gt = o.items.find((x) => x.label === ">")!;
    expect(applySuggestion("views ", o, gt)).toEqual({ text: "views > ", cursor: 8 });
  });
});

describe("modifiers and geoPoints", () => {
  test("a field's modifiers after a colon, by its type", () => {
    expect(labels("title:")).toEqual(["title:lower"]);
    expect(labels("status:")).toEqual(["status:lower"]);
    expect(labels("tags:")).toEqual(["tags:each", "tags:length"]);
    expect(labels("tags:l")).toEqual(["tags:length"]);
    expect(labels("author.name:")).toEqual(["author.name:lower"]);
    expect(labels("views:")).toEqual([]);
  });

  test("a modifier keeps the field's values and operators", () => {
    expect(labels("tags:each ?= ")).toContain("'go'");
    expect(labels("title:lower ")[0]).toBe("=");
  });

  test("a geoPoint's lon and lat after a dot", () => {
    expect(labels("place.")).toEqual(["place.lon", "place.lat"]);
    expect(labels("pla")).toEqual(["place"]);
    expect(labels("geoDistance(place.l")).toEqual(["place.lon", "place.lat"]);
  });
});

describe("tokenize", () => {
  test("splits operators, strings, joins and parentheses", () => {
    const { tokens } = tokenize(`(a >= 'x\\'y' && b?~"z")||c`);
    expect(tokens.map((t) => t.text)).toEqual(["(", "a", ">=", "'x\\'y'", "&&", "b", "?~", '"z"', ")", "||", "c"]);
  });
});
