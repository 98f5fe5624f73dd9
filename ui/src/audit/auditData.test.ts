import { describe, expect, it } from "vitest";
import type { Collection } from "../lib/api";
import type { AuditEntry } from "./auditApi";
import { auditFilter, diffRows, parseActor, restorable, restoreValue, restoreVersion, showValue } from "./auditData";

const posts = {
  id: "pbc_posts",
  name: "posts",
  type: "base",
  fields: [
    { id: "f1", name: "id", type: "text", system: true },
    { id: "f2", name: "title", type: "text" },
    { id: "f3", name: "views", type: "number" },
    { id: "f4", name: "cover", type: "file" },
    { id: "f5", name: "secret", type: "text", hidden: true },
    { id: "f6", name: "updated", type: "autodate" },
  ],
} as unknown as Collection;

function entry(p: Partial<AuditEntry>): AuditEntry {
  return {
    id: "1",
    created: "2026-12-06 08:00:00.000Z",
    actor: "sql",
    requestId: "",
    ip: "",
    collectionId: "pbc_posts",
    collectionName: "posts",
    recordId: "r1",
    action: "update",
    diff: {},
    data: {},
    ...p,
  };
}

describe("parseActor", () => {
  it("reads every kind", () => {
    expect(parseActor("user:pbc_users:abc")).toEqual({ kind: "user", label: "user", collectionId: "pbc_users", id: "abc" });
    expect(parseActor("superuser:s1")).toEqual({ kind: "superuser", label: "superuser", id: "s1" });
    expect(parseActor("plugin:acme.audit").label).toBe("plugin acme.audit");
    expect(parseActor("sql").label).toBe("plain SQL");
    expect(parseActor("system").kind).toBe("system");
    expect(parseActor("guest").kind).toBe("guest");
    expect(parseActor("role:editor").kind).toBe("other");
  });
});

describe("auditFilter", () => {
  it("joins the text and the toggles", () => {
    expect(auditFilter({ text: "", action: "", collection: "" })).toBe("");
    expect(auditFilter({ text: " actor = 'sql' ", action: "", collection: "" })).toBe("actor = 'sql'");
    expect(auditFilter({ text: "actor ~ 'user'", action: "delete", collection: 'we"ird' })).toBe(
      `(actor ~ 'user') && (action = "delete") && (collectionName = "we\\"ird")`,
    );
  });
});

describe("diffRows", () => {
  it("orders by the collection's fields, shows JSON and marks masked values", () => {
    const rows = diffRows(
      { zzz: { old: 1 }, views: { old: 1, new: 2 }, title: { new: "a" }, secret: { old: "***", new: "***" } },
      posts,
    );
    expect(rows.map((r) => r.field)).toEqual(["title", "views", "secret", "zzz"]);
    expect(rows[0]).toEqual({ field: "title", old: null, new: "a", masked: false });
    expect(rows[1]).toEqual({ field: "views", old: "1", new: "2", masked: false });
    expect(rows[2].masked).toBe(true);
    expect(showValue({ a: [1] })).toBe('{"a":[1]}');
    expect(showValue(null)).toBe("null");
  });
});

describe("restore", () => {
  it("puts back an old value, never a masked, server-set or file one", () => {
    const e = entry({ diff: { title: { old: "before", new: "after" }, secret: { old: "***", new: "***" }, updated: { old: "x", new: "y" } } });
    expect(restoreValue(posts, e, "title")).toEqual({ title: "before" });
    expect(restoreValue(posts, e, "secret")).toBeNull();
    expect(restoreValue(posts, e, "updated")).toBeNull();
    expect(restoreValue(posts, entry({ action: "create", diff: { title: { new: "a" } } }), "title")).toBeNull();
    expect(restorable(posts, "cover", ["a.png"])).toBe(false);
    expect(restorable(posts, "gone", 1)).toBe(false);
  });
  it("puts back a whole version's writable fields", () => {
    const e = entry({ data: { id: "r1", title: "v1", views: 3, cover: ["a.png"], secret: "***", updated: "2026-01-01" } });
    expect(restoreVersion(posts, e)).toEqual({ title: "v1", views: 3 });
    expect(restoreVersion(posts, entry({ action: "delete", data: { title: "x" } }))).toBeNull();
  });
});
