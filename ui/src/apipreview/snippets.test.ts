import { describe, expect, it } from "vitest";
import type { Collection } from "../lib/api";
import { newCollection } from "../schema/draft";
import { newField } from "../schema/fieldTypes";
import { endpoints, ruleText } from "./endpoints";
import { curlSnippets, jsValue, sdkSnippets, shellQuote, wsSnippets } from "./snippets";

const base = "http://127.0.0.1:8090";

function posts(): Collection {
  const c = newCollection("base", "posts");
  c.id = "pbc_posts";
  c.listRule = "";
  c.fields.splice(1, 0, { ...newField("text", "title"), required: true }, newField("number", "views"));
  return c;
}

function code(list: { id: string; code: string }[], id: string): string {
  const s = list.find((x) => x.id === id);
  if (!s) throw new Error(`no snippet ${id}`);
  return s.code;
}

describe("shellQuote", () => {
  it("quotes only when needed and survives quotes", () => {
    expect(shellQuote("http://a/b?x=1")).toBe('"http://a/b?x=1"');
    expect(shellQuote("page=1")).toBe("page=1");
    expect(shellQuote("filter=title ~ 'x'")).toBe(`"filter=title ~ 'x'"`);
    expect(shellQuote(`{"a":"it's"}`)).toBe(`'{"a":"it'\\''s"}'`);
  });
});

describe("jsValue", () => {
  it("writes object literals with bare keys", () => {
    expect(jsValue({ title: "Hi", "odd-key": 1, tags: ["a", "b"], meta: {} })).toBe(
      '{\n  title: "Hi",\n  "odd-key": 1,\n  tags: ["a", "b"],\n  meta: {},\n}',
    );
  });
});

describe("sdkSnippets", () => {
  it("use the real collection and fields", () => {
    const s = sdkSnippets(posts(), base);
    expect(code(s, "sdk-setup")).toContain(`new PocketBase("${base}")`);
    expect(code(s, "sdk-list")).toContain('pb.collection("posts").getList(1, 20, {\n  filter: "views > 0",\n  sort: "-created",\n})');
    expect(code(s, "sdk-create")).toBe('const record = await pb.collection("posts").create({\n  title: "Sample title",\n  views: 12.5,\n});');
    expect(code(s, "sdk-subscribe")).toContain('pb.collection("posts").subscribe("*"');
    expect(s.some((x) => x.id === "sdk-auth")).toBe(false);
  });

  it("add sign-in for auth collections and leave writes out of views", () => {
    expect(code(sdkSnippets(newCollection("auth", "members"), base), "sdk-auth")).toContain('pb.collection("members").authWithPassword(');
    const ids = sdkSnippets(newCollection("view", "totals"), base).map((x) => x.id);
    expect(ids).toEqual(["sdk-setup", "sdk-list", "sdk-view"]);
  });
});

describe("curlSnippets", () => {
  it("build runnable commands", () => {
    const s = curlSnippets(posts(), base);
    expect(code(s, "curl-list")).toContain(`curl -G ${base}/api/collections/posts/records \\\n  -H "Authorization: $TOKEN"`);
    expect(code(s, "curl-list")).toContain('--data-urlencode "filter=views > 0"');
    expect(code(s, "curl-create")).toContain(`-d '{"title":"Sample title","views":12.5}'`);
    expect(code(s, "curl-delete")).toBe(`curl -X DELETE ${base}/api/collections/posts/records/RECORD_ID \\\n  -H "Authorization: $TOKEN"`);
  });
});

describe("wsSnippets", () => {
  it("speak the realtime protocol", () => {
    const [client, messages] = wsSnippets(posts(), "https://example.com");
    expect(client.code).toContain('new WebSocket("wss://example.com/api/realtime")');
    expect(client.code).toContain('topic: "posts/*"');
    expect(client.code).toContain('type: "auth"');
    const event = messages.code.slice(messages.code.indexOf('{\n  "type": "event"'));
    expect(event).toContain('"collectionName": "posts"');
    expect(wsSnippets(newCollection("view", "v"), base)).toEqual([]);
  });
});

describe("endpoints", () => {
  it("list records, auth, batch and realtime by type", () => {
    const paths = (c: Collection) => endpoints(c).map((e) => `${e.method} ${e.path}`);
    expect(paths(posts())).toEqual([
      "GET /api/collections/posts/records",
      "GET /api/collections/posts/records/:id",
      "POST /api/collections/posts/records",
      "PATCH /api/collections/posts/records/:id",
      "DELETE /api/collections/posts/records/:id",
      "POST /api/batch",
      "WS /api/realtime",
    ]);
    expect(paths(newCollection("auth", "users"))).toContain("POST /api/collections/users/auth-with-password");
    expect(paths(newCollection("view", "v"))).toHaveLength(2);
    expect(endpoints(posts())[0].rule).toBe("");
  });

  it("explain rules", () => {
    expect(ruleText(null)).toBe("superusers only");
    expect(ruleText("")).toBe("everyone");
    expect(ruleText("owner = @request.auth.id")).toBe("owner = @request.auth.id");
  });
});
