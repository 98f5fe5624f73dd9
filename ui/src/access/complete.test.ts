import { describe, expect, it } from "vitest";
import type { Collection, Field } from "../lib/api";
import { applySuggestion, suggest, tokenAt } from "./complete";

function field(name: string, type: Field["type"], extra: Record<string, unknown> = {}): Field {
  return { id: name, name, type, system: false, hidden: false, presentable: false, required: false, ...extra } as Field;
}

const users = {
  id: "pbc_users",
  name: "users",
  type: "auth",
  fields: [
    field("id", "text"),
    field("email", "email"),
    field("password", "password"),
    field("tokenKey", "text"),
    field("name", "text"),
    field("team", "text"),
    field("teamRef", "relation", { collectionId: "pbc_posts" }),
  ],
} as unknown as Collection;
const superusers = {
  id: "pbc_su",
  name: "_superusers",
  type: "auth",
  fields: [field("id", "text"), field("email", "email"), field("secretThing", "text")],
} as unknown as Collection;
const posts = {
  id: "pbc_posts",
  name: "posts",
  type: "base",
  fields: [field("id", "text"), field("title", "text"), field("owner", "relation", { collectionId: "pbc_users", maxSelect: 1 }), field("team", "text")],
} as unknown as Collection;
const comments = {
  id: "pbc_comments",
  name: "comments",
  type: "base",
  fields: [field("id", "text"), field("post", "relation", { collectionId: "pbc_posts" }), field("text", "text")],
} as unknown as Collection;
const all = [users, superusers, posts, comments];
const tasks = {
  id: "pbc_tasks",
  name: "tasks",
  type: "base",
  fields: [
    field("id", "text"),
    field("title", "text"),
    field("owner", "relation", { collectionId: "pbc_users", maxSelect: 1 }),
    field("views", "number"),
    field("tags", "select", { values: ["a", "b"], maxSelect: 3 }),
    field("status", "select", { values: ["draft", "live"], maxSelect: 1 }),
    field("published", "bool"),
    field("editors", "relation", { collectionId: "pbc_users", maxSelect: 5 }),
    field("place", "geoPoint"),
    field("meta", "json"),
  ],
} as unknown as Collection;
const withTasks = [...all, tasks];
/** typed completes in tasks, a collection with a field of each kind. */
const typed = (text: string, caret = text.length) => suggest(text, caret, tasks, withTasks)?.items.map((s) => s.label) ?? [];

const labels = (text: string, caret = text.length, force = false) => suggest(text, caret, posts, all, force)?.items.map((s) => s.label) ?? [];

describe("suggest", () => {
  it("completes field names of the collection", () => {
    expect(labels("ti")).toEqual(["title"]);
    expect(labels("t")).toEqual(["title", "team"]);
    expect(labels("title = 'x' && o")).toEqual(["owner"]);
  });

  it("follows relations and back-relations", () => {
    expect(labels("owner.")).toEqual(["id", "email", "name", "team", "teamRef", "posts_via_owner"]);
    expect(labels("owner.na")).toEqual(["name"]);
    expect(labels("com")).toEqual(["comments_via_post"]);
    expect(labels("comments_via_post.te")).toEqual(["text"]);
  });

  it("completes @request.auth with every auth collection's fields but secrets and superusers'", () => {
    expect(labels("@")).toContain("@request.auth.");
    expect(labels("@re")).toEqual(["@request.auth.", "@request.body.", "@request.query.", "@request.headers.", "@request.method", "@request.context"]);
    const auth = labels("owner = @request.auth.");
    expect(auth).toEqual(["id", "collectionId", "collectionName", "roles", "email", "name", "team", "teamRef"]);
    expect(labels("owner = @request.auth.te")).toEqual(["team", "teamRef"]);
  });

  it("completes the other request values", () => {
    expect(labels("@request.")).toEqual(["auth.", "body.", "query.", "headers.", "method", "context"]);
    expect(labels("@request.b")).toEqual(["body."]);
    expect(labels("@request.body.")).toEqual(["id", "title", "owner", "team"]);
    expect(labels("@request.body.ow")).toEqual(["owner"]);
    expect(labels("@request.body.owner.na")).toEqual(["name"]);
    expect(labels("@request.headers.us")).toEqual(["user_agent"]);
    expect(labels("@request.query.")).toEqual([]);
    expect(suggest("@request.cont", 13, posts, all)?.items[0].detail).toContain("realtime");
  });

  it("follows the user's relations from @request.auth", () => {
    expect(labels("@request.auth.tea")).toEqual(["team", "teamRef"]);
    expect(labels("@request.auth.teamRef.")).toEqual(["id", "title", "owner", "team", "users_via_teamRef", "comments_via_post"]);
    expect(labels("@request.auth.teamRef.owner.na")).toEqual(["name"]);
  });

  it("completes request modifiers", () => {
    expect(labels("@request.body.title:")).toEqual([":lower", ":isset", ":changed"]);
    expect(labels("@request.query.page:i")).toEqual([":isset"]);
    expect(labels("@request.query.page:")).toEqual([":lower", ":isset"]);
    expect(labels("@request.headers.x_token:")).toEqual([":lower", ":isset"]);
    expect(labels("@request.method:")).toEqual([":lower", ":isset"]);
    expect(labels("@request.auth.name:")).toEqual([":lower", ":isset"]);
    expect(labels("@request.auth.roles:")).toEqual([":length", ":each", ":isset"]);
    // Paths through a relation take no :isset or :changed (the server refuses them).
    expect(labels("@request.auth.teamRef.title:")).toEqual([":lower"]);
    expect(labels("@request.body.owner.name:")).toEqual([":lower"]);
    // A key that is no field of the collection is read as sent.
    expect(labels("@request.body.other:")).toEqual([":lower", ":isset"]);
  });

  it("offers the modifiers the field's type takes, as PocketBase does", () => {
    expect(typed("title:")).toEqual([":lower"]);
    expect(typed("tags:")).toEqual([":length", ":each"]);
    expect(typed("tags:e")).toEqual([":each"]);
    expect(typed("editors:")).toEqual([":length", ":each"]);
    expect(typed("editors.name:")).toEqual([":lower"]);
    expect(typed("@request.body.tags:")).toEqual([":length", ":each", ":isset", ":changed"]);
    expect(typed("views:")).toEqual([]);
    expect(typed("owner:")).toEqual([]);
    expect(typed("@collection.comments.text:")).toEqual([":lower"]);
    // Unknown paths (json keys) get every modifier.
    expect(typed("meta.a:")).toEqual([":lower", ":length", ":each"]);
  });

  it("completes a geoPoint's lon and lat", () => {
    expect(typed("place.")).toEqual(["lon", "lat"]);
    expect(typed("place.l")).toEqual(["lon", "lat"]);
    expect(typed("@request.body.place.la")).toEqual(["lat"]);
    expect(typed("geoDistance(place.lo")).toEqual(["lon"]);
  });

  it("completes @request.auth through any number of relations", () => {
    expect(typed("@request.auth.teamRef.owner.teamRef.ti")).toEqual(["title"]);
    expect(typed("@request.auth.coll")).toEqual(["collectionId", "collectionName"]);
  });

  it("completes the values of @request.context, @request.method, selects and booleans after an operator", () => {
    expect(typed("@request.context = ")).toEqual(["'default'", "'oauth2'", "'otp'", "'password'", "'realtime'", "'protectedFile'", "'batch'", "'expand'"]);
    expect(typed("@request.context != 'o")).toEqual(["'oauth2'", "'otp'"]);
    expect(typed("@request.method = ")).toEqual(["'GET'", "'POST'", "'PATCH'", "'DELETE'"]);
    expect(typed('@request.method = "P')).toEqual(['"POST"', '"PATCH"']);
    expect(typed("status = ")).toEqual(["'draft'", "'live'"]);
    expect(typed("@request.body.status = 'd")).toEqual(["'draft'"]);
    expect(typed("published = ")).toEqual(["true", "false"]);
    expect(typed("title = tr")).toEqual(["true"]);
    expect(typed("title = nu")).toEqual(["null"]);
    const text = "@request.context = 'oa";
    const c = suggest(text, text.length, tasks, withTasks)!;
    expect(applySuggestion(text, c, c.items[0])).toEqual({ text: "@request.context = 'oauth2'", caret: 27 });
    // Nothing after a comparison is done, nor inside other strings.
    expect(typed("title = 'x'")).toEqual([]);
    expect(typed("title = 'x")).toEqual([]);
  });

  it("completes functions where an operand starts", () => {
    expect(labels("str")).toEqual(["strftime("]);
    expect(labels("title = 'x' && geo")).toEqual(["geoDistance("]);
    expect(labels("owner.str")).toEqual([]);
    const c = suggest("str", 3, posts, all)!;
    expect(applySuggestion("str", c, c.items[0])).toEqual({ text: "strftime('%Y-%m-%d', ", caret: 21 });
  });

  it("completes @collection names and their fields, and macros", () => {
    expect(labels("@collection.co")).toEqual(["comments."]);
    expect(labels("@collection.comments.po")).toEqual(["post"]);
    expect(labels("@collection.comments:c.post.ti")).toEqual(["title"]);
    expect(labels("created > @to")).toEqual(["@todayStart", "@todayEnd"]);
  });

  it("completes modifiers by prefix", () => {
    expect(labels("title:l")).toEqual([":lower"]);
    expect(typed("tags:l")).toEqual([":length"]);
    expect(typed("meta.a:l")).toEqual([":lower", ":length"]);
  });

  it("stays quiet inside strings, numbers and on an empty word unless asked", () => {
    expect(labels("title = 'ti")).toEqual([]);
    expect(labels('title = "a\\" ti')).toEqual([]);
    expect(labels("team = 1")).toEqual([]);
    expect(labels("title = 'x' && ")).toEqual([]);
    expect(labels("title = 'x' && ", undefined, true)).toContain("@request.auth.");
    expect(labels("title = 'x' && ", undefined, true)).toContain("title");
  });

  it("completes at the caret, not at the end", () => {
    const text = "ow = 1 && title = 'x'";
    const c = suggest(text, 2, posts, all)!;
    expect(c.items.map((s) => s.label)).toEqual(["owner"]);
    expect(applySuggestion(text, c, c.items[0])).toEqual({ text: "owner = 1 && title = 'x'", caret: 5 });
  });

  it("replaces only the last path segment", () => {
    const text = "owner.na";
    const c = suggest(text, text.length, posts, all)!;
    expect(applySuggestion(text, c, c.items[0])).toEqual({ text: "owner.name", caret: 10 });
    expect(tokenAt("a && (owner.na", 14)).toEqual({ start: 6, token: "owner.na" });
  });
});
