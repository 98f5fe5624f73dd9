import { describe, expect, it } from "vitest";
import type { AuthCollection, Collection } from "../lib/api";
import {
  buildIndex,
  checkName,
  describeErrors,
  duplicate,
  fieldProblems,
  moveItem,
  newCollection,
  parseIndex,
  payload,
  renameIndex,
  retype,
} from "./draft";
import { changeType, newField } from "./fieldTypes";

describe("checkName", () => {
  it("matches the server's rules", () => {
    expect(checkName("posts")).toBe("");
    expect(checkName("")).toMatch(/blank/);
    expect(checkName("1abc")).toMatch(/start with a letter/);
    expect(checkName("_hidden")).toMatch(/reserved for system/);
    expect(checkName("_hidden", true)).toBe("");
    expect(checkName("expand")).toMatch(/reserved word/);
    expect(checkName("a".repeat(64))).toMatch(/63/);
  });
});

describe("newCollection", () => {
  it("gives base collections id, created and updated", () => {
    const c = newCollection("base", "posts");
    expect(c.fields.map((f) => f.name)).toEqual(["id", "created", "updated"]);
  });
  it("gives auth collections their system fields and options", () => {
    const c = newCollection("auth", "members") as AuthCollection;
    expect(c.fields.map((f) => f.name)).toEqual(["id", "password", "tokenKey", "email", "emailVisibility", "verified", "created", "updated"]);
    expect(c.passwordAuth.identityFields).toEqual(["email"]);
    expect(c.authToken.duration).toBe(604800);
  });
  it("keeps own fields when the type changes", () => {
    const c = newCollection("base", "posts");
    c.fields.splice(1, 0, { ...newField("text", "title"), id: "text1" });
    const auth = retype(c, "auth");
    expect(auth.fields.map((f) => f.name)).toContain("title");
    expect(auth.fields.at(-1)?.name).toBe("updated");
    expect(retype(auth, "view").fields).toEqual([]);
  });
});

describe("payload", () => {
  it("leaves out what the server derives", () => {
    const v = { ...newCollection("view", "v"), viewQuery: "SELECT id FROM posts", created: "x", updated: "y" } as Collection;
    const p = payload(v);
    expect(p).not.toHaveProperty("fields");
    expect(p).not.toHaveProperty("indexes");
    expect(p).not.toHaveProperty("created");
    expect(p).not.toHaveProperty("id");
    expect(p.viewQuery).toBe("SELECT id FROM posts");
  });
  it("drops auth options from other types", () => {
    const p = payload({ ...newCollection("auth", "a"), type: "base" } as unknown as Collection);
    expect(p).not.toHaveProperty("passwordAuth");
  });
});

describe("duplicate", () => {
  it("renames, clears ids and renames indexes", () => {
    const c: Collection = {
      ...newCollection("base", "posts"),
      id: "pbc_1",
      indexes: ["CREATE UNIQUE INDEX `idx_slug` ON `posts` (`slug`)"],
    } as Collection;
    const d = duplicate(c, "posts_copy");
    expect(d.id).toBe("");
    expect(d.name).toBe("posts_copy");
    expect(d.fields[0].id).toBe(c.fields[0].id);
    expect(d.fields[1].id).not.toBe(c.fields[1].id);
    expect(d.indexes[0]).toMatch(/^CREATE UNIQUE INDEX `idx_[a-z0-9]{10}` ON `posts` \(`slug`\)$/);
  });
});

describe("indexes", () => {
  it("builds and parses PocketBase index strings", () => {
    const s = buildIndex("posts", { columns: ["a", "b"], unique: true }, "idx_ab");
    expect(s).toBe("CREATE UNIQUE INDEX `idx_ab` ON `posts` (`a`, `b`)");
    expect(parseIndex(s)).toEqual({ name: "idx_ab", unique: true, columns: ["a", "b"] });
    expect(parseIndex("CREATE INDEX idx_x ON posts (email COLLATE NOCASE DESC)")).toEqual({ name: "idx_x", unique: false, columns: ["email"] });
    expect(parseIndex("CREATE UNIQUE INDEX `idx_e` ON `users` (`email` COLLATE NOCASE) WHERE `email` != ''")).toEqual({
      name: "idx_e",
      unique: true,
      columns: ["email"],
      where: "email != ''",
    });
    expect(parseIndex("nonsense")).toBeNull();
    expect(renameIndex("CREATE INDEX `a` ON `t` (`x`)", "b")).toBe("CREATE INDEX `b` ON `t` (`x`)");
  });
});

describe("fields", () => {
  it("moves items", () => {
    expect(moveItem([1, 2, 3], 0, 2)).toEqual([2, 3, 1]);
    expect(moveItem([1, 2, 3], 2, 0)).toEqual([3, 1, 2]);
    expect(moveItem([1, 2, 3], 0, 5)).toEqual([1, 2, 3]);
  });
  it("changes type keeping id and flags", () => {
    const f = { ...newField("text", "views"), id: "text9", required: true };
    const n = changeType(f, "number");
    expect(n).toMatchObject({ id: "text9", name: "views", type: "number", required: true, min: null, onlyInt: false });
    expect(n).not.toHaveProperty("pattern");
  });
  it("names the place of server errors", () => {
    const c = newCollection("base", "posts");
    const p = describeErrors(
      { "fields.1.name": { code: "x", message: "Bad." }, "indexes.0": { code: "y", message: "Worse." }, name: { code: "z", message: "No." } },
      c,
    );
    expect(p.map((x) => x.where)).toEqual(['Field "created" (name)', "Index #1", "name"]);
  });
  it("names an option's place after the field sent", () => {
    const sent = [{ id: "text1", name: "id" }, { id: "number1", name: "views" }];
    const p = describeErrors({ "fields.1.min": { code: "x", message: "min must be at most max." } }, { fields: sent });
    expect(p).toEqual([{ key: "fields.1.min", where: 'Field "views" (min)', message: "min must be at most max." }]);
  });
});

describe("fieldProblems", () => {
  const sent = [
    { id: "text1", name: "id" },
    { id: "number1", name: "views" },
    { id: "select1", name: "status" },
    { id: "relation1", name: "author" },
  ];
  const err = (message: string) => ({ code: "validation_x", message });

  it("sorts the server's keys by field id and option", () => {
    const p = fieldProblems(
      {
        "fields.1.min": err("min must be at most max."),
        "fields.2.values": err("values must list at least one choice."),
        "fields.3.collectionId": err('Unknown target collection "".'),
        "fields.3.name": err("Duplicated field name."),
        "fields.1.type": err("System fields cannot change type."),
        "fields.2": err("Bad field."),
        name: err("Not a field error."),
        "indexes.0": err("Neither."),
        fields: err("Nor this."),
      },
      sent,
    );
    expect(p).toEqual({
      number1: { type: "System fields cannot change type.", options: { min: "min must be at most max." } },
      select1: { field: "Bad field.", options: { values: "values must list at least one choice." } },
      relation1: { name: "Duplicated field name.", options: { collectionId: 'Unknown target collection "".' } },
    });
  });

  it("keeps deeper keys with their option", () => {
    const p = fieldProblems({ "fields.2.values.0": err("Blank."), "fields.2.values.3": err("Twice.") }, sent);
    expect(p.select1.options).toEqual({ values: "Blank. Twice." });
  });

  it("drops positions that match no field sent", () => {
    expect(fieldProblems({ "fields.9.min": err("x") }, sent)).toEqual({});
    expect(fieldProblems({ "fields.0.min": err("x") }, [{ name: "no id yet" }])).toEqual({});
  });
});
