import { describe, expect, it } from "vitest";
import type { Policy, PolicyInput } from "../lib/api";
import { describePolicy, diffPolicies, errorPosition, fromMatrix, mergeCell, pointAt, problemsOf, toMatrix } from "./matrix";

const p = (subject: string, action: Policy["action"], condition = "", fields: string[] | null = null): Policy => ({
  subject,
  collection: "pbc_posts",
  action,
  condition,
  fields,
});

describe("toMatrix", () => {
  it("puts built-in roles first, adds roles that only have policies, and keeps the rest aside", () => {
    const m = toMatrix(
      [p("guest", "list", "published = true"), p("ghost", "view"), p("pbc_users:u1", "delete"), p("editor", "*", "team = 'x'")],
      ["editor", "authenticated", "guest"],
    );
    expect(m.subjects).toEqual(["guest", "authenticated", "editor", "ghost"]);
    expect(m.cells.guest.list).toEqual({ allowed: true, condition: "published = true", fields: [] });
    expect(m.cells.guest.view.allowed).toBe(false);
    expect(m.cells.ghost.view.allowed).toBe(true);
    expect(m.other.map((x) => [x.subject, x.action])).toEqual([
      ["pbc_users:u1", "delete"],
      ["editor", "*"],
    ]);
  });

  it("merges several policies of one cell as the server decides them", () => {
    expect(mergeCell([p("a", "list", "x = 1", ["title"]), p("a", "list", "y = 2", ["body", "title"])])).toEqual({
      allowed: true,
      condition: "(x = 1) || (y = 2)",
      fields: ["title", "body"],
    });
    expect(mergeCell([p("a", "list", "x = 1", ["title"]), p("a", "list", "", null)])).toEqual({
      allowed: true,
      condition: "",
      fields: [],
    });
  });
});

describe("fromMatrix", () => {
  const original = [
    p("guest", "list", "a = 1"),
    p("guest", "list", "b = 2"),
    p("authenticated", "view", "owner = @request.auth.id", ["title"]),
    p("pbc_users:u1", "delete"),
  ];

  it("gives back the same policies when nothing changed", () => {
    const m = toMatrix(original, []);
    const out = fromMatrix(m, original);
    expect(diffPolicies(original, out)).toEqual([]);
    expect(out.filter((x) => x.subject === "guest")).toHaveLength(2);
  });

  it("turns an edited cell into one policy and drops revoked ones", () => {
    const m = toMatrix(original, ["editor"]);
    m.cells.guest.list.condition = "a = 1 && b = 2";
    m.cells.authenticated.view.allowed = false;
    m.cells.editor.update = { allowed: true, condition: "  team = 'x' ", fields: ["title", "body"] };
    const out = fromMatrix(m, original);
    expect(out).toEqual<PolicyInput[]>([
      { subject: "guest", action: "list", condition: "a = 1 && b = 2", fields: null },
      { subject: "editor", action: "update", condition: "team = 'x'", fields: ["title", "body"] },
      { subject: "pbc_users:u1", action: "delete", condition: "", fields: null },
    ]);
  });

  it("does not count a changed condition on a denied cell", () => {
    const m = toMatrix(original, ["editor"]);
    m.cells.editor.list.condition = "x = 1";
    expect(diffPolicies(original, fromMatrix(m, original))).toEqual([]);
  });

  it("keeps a field list's order out of the comparison", () => {
    const m = toMatrix(original, []);
    m.cells.authenticated.view.fields = ["title"];
    expect(diffPolicies(original, fromMatrix(m, original))).toEqual([]);
  });
});

describe("diffPolicies", () => {
  it("names grants, revocations and changes, built-in roles first", () => {
    const before = [p("guest", "list", "a = 1"), p("editor", "view"), p("authenticated", "list", "", ["title"])];
    const after: PolicyInput[] = [
      { subject: "zeta", action: "create", condition: "", fields: null },
      { subject: "guest", action: "list", condition: "a = 2", fields: null },
      { subject: "authenticated", action: "list", condition: "", fields: ["title"] },
    ];
    const d = diffPolicies(before, after);
    expect(d.map((c) => [c.kind, c.subject, c.action])).toEqual([
      ["change", "guest", "list"],
      ["revoke", "editor", "view"],
      ["grant", "zeta", "create"],
    ]);
    expect(d[0].before[0].condition).toBe("a = 1");
    expect(d[0].after[0].condition).toBe("a = 2");
  });

  it("sees a change in fields only", () => {
    const d = diffPolicies([p("guest", "view", "", ["a"])], [p("guest", "view", "", ["a", "b"])]);
    expect(d).toHaveLength(1);
    expect(d[0].kind).toBe("change");
  });
});

describe("problems", () => {
  it("maps items.N back to the submitted policy with the position", () => {
    const submitted: PolicyInput[] = [
      { subject: "guest", action: "list", condition: "ok = 1", fields: null },
      { subject: "editor", action: "update", condition: "nope = 1", fields: null },
    ];
    const probs = problemsOf(
      { "items.1.condition": { message: 'Invalid filter at position 1: unknown field "nope" in "nope".' }, "other": { message: "x" } },
      submitted,
    );
    expect(probs).toEqual([
      { subject: "editor", action: "update", condition: "nope = 1", message: 'Invalid filter at position 1: unknown field "nope" in "nope".', position: 1 },
    ]);
    expect(errorPosition("Invalid filter at position 12: expected an operand")).toBe(12);
    expect(errorPosition("Unknown field")).toBeNull();
  });

  it("describes a policy in a few words", () => {
    expect(describePolicy({ subject: "g", action: "list", condition: "", fields: null })).toBe("every record; all fields");
    expect(describePolicy({ subject: "g", action: "list", condition: "a = 1", fields: ["x", "y"] })).toBe("where a = 1; fields x, y");
  });
});

describe("pointAt", () => {
  it("finds the line and column of a position", () => {
    expect(pointAt("a = 1 &&", 9)).toEqual({ line: "a = 1 &&", column: 9, lineNumber: 1 });
    expect(pointAt("a = 1 &&\n  nope = 2", 12)).toEqual({ line: "  nope = 2", column: 3, lineNumber: 2 });
    expect(pointAt("é = 1", 3)).toEqual({ line: "é = 1", column: 3, lineNumber: 1 });
  });
});
