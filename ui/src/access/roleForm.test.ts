import { describe, expect, it } from "vitest";
import { roleChanged, roleForm } from "./roleForm";

describe("roleForm", () => {
  it("starts empty for a new role and copies an existing one's parents", () => {
    expect(roleForm(null)).toEqual({ name: "", description: "", parents: [] });
    const role = { name: "editor", description: "Edits", parents: ["viewer"] };
    const form = roleForm(role);
    expect(form).toEqual(role);
    form.parents.push("writer");
    expect(role.parents).toEqual(["viewer"]);
  });
});

describe("roleChanged", () => {
  const start = { name: "editor", description: "Edits", parents: ["viewer", "writer"] };

  it("is false for the form as it started, whatever the order of the parents", () => {
    expect(roleChanged(start, roleForm(start))).toBe(false);
    expect(roleChanged(start, { ...start, parents: ["writer", "viewer"] })).toBe(false);
    expect(roleChanged(roleForm(null), roleForm(null))).toBe(false);
  });

  it("sees a new name, description or parent, and a parent taken away", () => {
    expect(roleChanged(roleForm(null), { ...roleForm(null), name: "e" })).toBe(true);
    expect(roleChanged(start, { ...start, description: "Edits things" })).toBe(true);
    expect(roleChanged(start, { ...start, parents: ["viewer", "writer", "admin"] })).toBe(true);
    expect(roleChanged(start, { ...start, parents: ["viewer"] })).toBe(true);
    expect(roleChanged(start, { ...start, parents: ["viewer", "admin"] })).toBe(true);
  });
});
