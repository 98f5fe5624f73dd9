import { describe, expect, it } from "vitest";
import type { Collection } from "../lib/api";
import { newCollection } from "../schema/draft";
import { newField } from "../schema/fieldTypes";
import { diffSchemas, exportJSON, parseImport } from "./importDiff";

function posts(): Collection {
  const c = newCollection("base", "posts");
  c.id = "pbc_posts";
  c.fields.push({ ...newField("text", "title"), id: "text_title" }, { ...newField("number", "views"), id: "number_views" });
  c.created = "2024-01-01 00:00:00.000Z";
  return c;
}

describe("parseImport", () => {
  it("accepts a list or an object with collections", () => {
    expect(parseImport('[{"name":"a"}]')).toHaveLength(1);
    expect(parseImport('{"collections":[{"name":"a"},{"name":"b"}]}')).toHaveLength(2);
  });
  it("explains bad input", () => {
    expect(() => parseImport("{")).toThrow(/Invalid JSON/);
    expect(() => parseImport("{}")).toThrow(/list of collections/);
    expect(() => parseImport("[]")).toThrow(/empty/);
    expect(() => parseImport('[{"type":"base"}]')).toThrow(/#1 has no name/);
  });
});

describe("exportJSON", () => {
  it("leaves out dates and round-trips", () => {
    const out = JSON.parse(exportJSON([posts()]));
    expect(out[0]).not.toHaveProperty("created");
    expect(diffSchemas([posts()], out, false)).toEqual([{ name: "posts", kind: "unchanged", details: [] }]);
  });
});

describe("diffSchemas", () => {
  it("finds new, changed and deleted collections", () => {
    const current = [posts(), { ...newCollection("base", "tags"), id: "pbc_tags" } as Collection];
    const changed = JSON.parse(JSON.stringify(posts()));
    changed.fields = changed.fields.filter((f: { name: string }) => f.name !== "views");
    changed.fields.find((f: { name: string }) => f.name === "title").name = "headline";
    changed.fields.push({ name: "body", type: "editor" });
    changed.listRule = "";
    const d = diffSchemas(current, [changed, { name: "comments", type: "base", fields: [] }], true);
    expect(d.map((x) => [x.name, x.kind])).toEqual([
      ["posts", "changed"],
      ["comments", "new"],
      ["tags", "deleted"],
    ]);
    expect(d[0].details).toEqual(['rename field "title" to "headline"', 'add field "body" (editor)', 'remove field "views"', "change listRule"]);
  });
  it("keeps missing collections without deleteMissing and matches by name", () => {
    const d = diffSchemas([posts()], [{ name: "POSTS", fields: [{ name: "title", type: "number" }] }], false);
    expect(d[0].kind).toBe("changed");
    expect(d[0].details).toContain('change field "title" from text to number');
  });
});
