import { describe, expect, test } from "vitest";
import type { Collection, Field, RecordModel } from "../lib/api";
import { draftOf, editorFields, isDirty, localErrors, newDraft, payload, searchFilter, uploads } from "./draft";
import { addFiles, moveStored, removeStored, type FileValue } from "./files";

const f = (name: string, type: string, extra: Record<string, unknown> = {}) =>
  ({ id: name, name, type, system: false, hidden: false, presentable: false, required: false, ...extra }) as unknown as Field;

const posts = {
  id: "c_p",
  name: "posts",
  type: "base",
  fields: [f("id", "text", { system: true }), f("title", "text"), f("views", "number"), f("tags", "select", { maxSelect: 3, values: ["a", "b"] }), f("created", "autodate")],
} as unknown as Collection;
const users = {
  id: "c_u",
  name: "users",
  type: "auth",
  fields: [
    f("id", "text", { system: true }),
    f("email", "email", { system: true }),
    f("emailVisibility", "bool", { system: true }),
    f("verified", "bool", { system: true }),
    f("tokenKey", "text", { system: true, hidden: true }),
    f("password", "password", { system: true, hidden: true }),
    f("name", "text", { presentable: true }),
  ],
} as unknown as Collection;

const rec = (extra: Record<string, unknown>): RecordModel => ({ id: "r1", collectionId: "c_p", collectionName: "posts", ...extra });

describe("editor fields", () => {
  test("autodates only for existing records; hidden system fields left out", () => {
    expect(editorFields(posts, true).map((x) => x.name)).toEqual(["id", "title", "views", "tags"]);
    expect(editorFields(posts, false).map((x) => x.name)).toContain("created");
    expect(editorFields(users, true).map((x) => x.name)).toEqual(["id", "email", "emailVisibility", "verified", "password", "name"]);
  });
});

describe("payload", () => {
  test("a new record sends every editable value but an empty id", () => {
    const d = newDraft(posts);
    d.title = "Hi";
    expect(payload(posts, d, null)).toEqual({ title: "Hi", views: null, tags: [] });
    d.id = "custom";
    expect(payload(posts, d, null).id).toBe("custom");
  });

  test("an existing record sends only the changes, never autodates or the id", () => {
    const r = rec({ title: "A", views: 1, tags: ["a"], created: "2026-01-01 00:00:00.000Z" });
    const d = draftOf(posts, r);
    expect(payload(posts, d, r)).toEqual({});
    expect(isDirty(posts, d, r)).toBe(false);
    d.tags = ["a", "b"];
    d.created = "2020-01-01 00:00:00.000Z";
    expect(payload(posts, d, r)).toEqual({ tags: ["a", "b"] });
    expect(isDirty(posts, d, r)).toBe(true);
  });

  test("passwords go only when typed, with the confirmation", () => {
    const r = { ...rec({ email: "a@b.c", name: "A" }), collectionName: "users" };
    const d = draftOf(users, r);
    expect(d.password).toBe("");
    expect(payload(users, d, r)).toEqual({});
    d.password = "secret-123";
    d.passwordConfirm = "secret-123";
    expect(payload(users, d, r)).toEqual({ password: "secret-123", passwordConfirm: "secret-123" });
  });

  test("local errors: password required on create, confirmation must match", () => {
    const d = newDraft(users);
    expect(localErrors(users, d, {}, true)).toEqual({ password: "Cannot be blank." });
    d.password = "abc";
    d.passwordConfirm = "abd";
    expect(localErrors(users, d, {}, true)).toEqual({ passwordConfirm: "Values don't match." });
    expect(localErrors(users, { password: "" }, { meta: "Invalid JSON" }, false)).toEqual({ meta: "Invalid JSON" });
  });
});

describe("searchFilter", () => {
  test("matches id and text-like fields, quoted", () => {
    expect(searchFilter(users, "o'k")).toBe("id ~ 'o\\'k' || email ~ 'o\\'k' || name ~ 'o\\'k'");
    expect(searchFilter(users, "  ")).toBe("");
  });
});

describe("file fields", () => {
  const albums = {
    id: "c_a",
    name: "albums",
    type: "base",
    fields: [f("id", "text", { system: true }), f("title", "text"), f("cover", "file", { maxSelect: 1 }), f("photos", "file", { maxSelect: 5 })],
  } as unknown as Collection;
  const stored = rec({ collectionId: "c_a", title: "Trip", cover: "c.png", photos: ["p1.png", "p2.png"] });
  const png = (name: string) => new File(["x"], name, { type: "image/png" });
  let n = 0;
  const key = () => `k${++n}`;

  test("a stored record's files start unchanged and nothing is sent for them", () => {
    const d = draftOf(albums, stored);
    expect(d.photos).toEqual({ names: ["p1.png", "p2.png"], removed: [], added: [] });
    expect(payload(albums, d, stored)).toEqual({});
    expect(uploads(albums, d)).toEqual({});
    expect(isDirty(albums, d, stored)).toBe(false);
  });

  test("a removal or a new order is sent as JSON: the names to keep", () => {
    const d = draftOf(albums, stored);
    d.photos = moveStored(d.photos as FileValue, 1, 0);
    d.cover = removeStored(d.cover as FileValue, "c.png");
    expect(isDirty(albums, d, stored)).toBe(true);
    expect(payload(albums, d, stored)).toEqual({ cover: "", photos: ["p2.png", "p1.png"] });
    expect(uploads(albums, d)).toEqual({});
  });

  test("new files go in uploads, beside the names kept", () => {
    const d = draftOf(albums, stored);
    d.photos = addFiles({ maxSelect: 5 }, removeStored(d.photos as FileValue, "p1.png"), [png("n.png")], key).value;
    expect(payload(albums, d, stored)).toEqual({ photos: ["p2.png"] });
    expect(uploads(albums, d).photos.map((x) => x.name)).toEqual(["n.png"]);
  });

  test("a new record is dirty once it has a file, and sends it", () => {
    const d = newDraft(albums);
    expect(isDirty(albums, d, null)).toBe(false);
    expect(payload(albums, d, null)).toEqual({ title: "" });
    d.cover = addFiles({ maxSelect: 1 }, d.cover as FileValue, [png("c.png")], key).value;
    expect(isDirty(albums, d, null)).toBe(true);
    expect(payload(albums, d, null)).toEqual({ title: "", cover: "" });
    expect(uploads(albums, d).cover.map((x) => x.name)).toEqual(["c.png"]);
  });
});
