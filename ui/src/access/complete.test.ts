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
  fields: [field("id", "text"), field("title", "text"), field("owner", "relation", { collectionId: "pbc_users" }), field("team", "text")],
} as unknown as Collection;
const comments = {
  id: "pbc_comments",
  name: "comments",
  type: "base",
  fields: [field("id", "text"), field("post", "relation", { collectionId: "pbc_posts" }), field("text", "text")],
} as unknown as Collection;
const all = [users, superusers, posts, comments];

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
    expect(labels("@request.body.title:")).toEqual([":lower", ":length", ":each", ":isset", ":changed"]);
    expect(labels("@request.query.page:i")).toEqual([":isset"]);
    expect(labels("@request.auth.teamRef.title:")).toEqual([":lower", ":length", ":each", ":isset"]);
    expect(labels("title:")).toEqual([":lower", ":length", ":each"]);
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

  it("completes modifiers", () => {
    expect(labels("title:l")).toEqual([":lower", ":length"]);
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
