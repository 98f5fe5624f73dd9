import { describe, expect, it } from "vitest";
import type { ExplainResult } from "../lib/api";
import { cellText, explainInput, inlineSQL, policySource, previewColumns, rolesOf, verdict } from "./explain";

const base: ExplainResult = {
  allowed: true,
  subject: "pbc_users:u1",
  roles: ["pbc_users:u1", "authenticated", "editor", "guest", "staff"],
  matchedPolicies: [
    { subject: "authenticated", collection: "c", action: "list", condition: "owner = @request.auth.id", fields: ["title"] },
    { subject: "guest", collection: "c", action: "list", condition: "published = true", fields: null },
    { subject: "staff", collection: "c", action: "list", condition: "", fields: null },
  ],
  conditions: ["owner = @request.auth.id", "published = true"],
  sqlCondition: `("r"."owner" = $1) OR ("r"."published" = $2::boolean)`,
  sqlArgs: ["u1", true],
  readableFields: ["id", "title", "body", "created", "updated"],
};

describe("explainInput", () => {
  it("asks for a user, a role, or the guest as an anonymous caller", () => {
    expect(explainInput({ kind: "user", collection: "users", id: "u1", label: "a@x" }, "posts", "view", " r1 ")).toEqual({
      collection: "posts",
      action: "view",
      recordId: "r1",
      user: { collection: "users", id: "u1" },
    });
    expect(explainInput({ kind: "role", role: "editor" }, "posts", "list")).toEqual({ collection: "posts", action: "list", subject: "editor" });
    expect(explainInput({ kind: "role", role: "guest" }, "posts", "list")).toEqual({ collection: "posts", action: "list" });
  });
});

describe("verdict", () => {
  it("says who may do what, and whether it is a simulation", () => {
    const v = verdict(base, { kind: "user", collection: "users", id: "u1", label: "alice@example.com" }, "list");
    expect(v).toEqual({ allowed: true, title: "alice@example.com may list records", scope: "Records matching any of 2 conditions", simulated: false });
    const r = verdict({ ...base, conditions: null }, { kind: "role", role: "editor" }, "update");
    expect(r.simulated).toBe(true);
    expect(r.scope).toMatch(/^Every record/);
    expect(verdict({ ...base, conditions: ["a = 1"] }, { kind: "role", role: "guest" }, "view")).toMatchObject({
      title: "A guest may view records",
      scope: "Only records matching a = 1",
      simulated: false,
    });
    const denied = verdict({ ...base, allowed: false, matchedPolicies: [], conditions: null }, { kind: "role", role: "staff" }, "delete");
    expect(denied).toMatchObject({ allowed: false, title: "A member of “staff” may not delete these records", scope: "No policy grants this." });
  });
});

describe("formatting", () => {
  it("lists roles without the user key and says where policies come from", () => {
    expect(rolesOf(base)).toEqual(["authenticated", "editor", "guest", "staff"]);
    expect(policySource(base.matchedPolicies[1], base)).toBe("role guest (the listRule)");
    expect(policySource(base.matchedPolicies[2], base)).toBe("role staff (held or inherited)");
    expect(policySource({ ...base.matchedPolicies[2], subject: "pbc_users:u1" }, base)).toBe("the user's own policy");
  });

  it("inlines SQL arguments for reading", () => {
    expect(inlineSQL(base.sqlCondition, base.sqlArgs)).toBe(`("r"."owner" = 'u1') OR ("r"."published" = true::boolean)`);
    expect(inlineSQL("a = $1 OR b = $10 OR c = $2", ["it's", null])).toBe("a = 'it''s' OR b = $10 OR c = NULL");
    expect(inlineSQL(`"r"."team" = ''`, null)).toBe(`"r"."team" = ''`);
  });

  it("picks preview columns and shortens values", () => {
    expect(previewColumns(base.readableFields)).toEqual(["id", "title", "body"]);
    expect(previewColumns(null)).toEqual([]);
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText("x".repeat(80), 10)).toBe("xxxxxxxxx…");
    expect(cellText(null)).toBe("");
  });
});
