// Turning an explain request and answer into what the panel shows.

import type { Action, ExplainInput, ExplainResult, Policy } from "../lib/api";
import { isUserKey, ruleName } from "./matrix";

/** Who is the subject an explanation is asked for. */
export type Who =
  | { kind: "user"; collection: string; id: string; label: string }
  | { kind: "role"; role: string };

/**
 * explainInput builds the request. The guest role is asked as an anonymous
 * caller (no subject): asked by name, the server would treat it as a
 * signed-in member and add the authenticated role's policies.
 */
export function explainInput(who: Who, collection: string, action: Exclude<Action, "*">, recordId = ""): ExplainInput {
  const base = { collection, action, ...(recordId.trim() ? { recordId: recordId.trim() } : {}) };
  if (who.kind === "user") return { ...base, user: { collection: who.collection, id: who.id } };
  return who.role === "guest" ? base : { ...base, subject: who.role };
}

/** Verdict is the headline of an answer. */
export interface Verdict {
  allowed: boolean;
  title: string;
  /** scope says which records the action reaches. */
  scope: string;
  /** simulated tells that no real user was evaluated (a role on its own). */
  simulated: boolean;
}

/** verdict summarizes an answer for who. */
export function verdict(r: ExplainResult, who: Who, action: Action): Verdict {
  const simulated = who.kind === "role" && who.role !== "guest";
  const name = who.kind === "user" ? who.label : who.role === "guest" ? "A guest" : `A member of “${who.role}”`;
  if (!r.allowed) {
    return { allowed: false, title: `${name} may not ${action} these records`, scope: "No policy grants this.", simulated };
  }
  const conds = r.conditions ?? [];
  const scope =
    conds.length === 0
      ? "Every record: a matching policy has no condition."
      : conds.length === 1
        ? `Only records matching ${conds[0]}`
        : `Records matching any of ${conds.length} conditions`;
  return { allowed: true, title: `${name} may ${action} records`, scope, simulated };
}

/** rolesOf lists the roles an answer evaluated, without the user's own key. */
export function rolesOf(r: ExplainResult): string[] {
  return (r.roles ?? []).filter((x) => !isUserKey(x));
}

/** policySource says where a matched policy comes from, for the subject asked about. */
export function policySource(p: Policy, r: ExplainResult): string {
  if (isUserKey(p.subject)) return "the user's own policy";
  if (p.subject === "guest") return `role guest (the ${ruleName(p.action)})`;
  if (p.subject === "authenticated") return "role authenticated (every signed-in user)";
  if (p.subject === r.subject) return `role ${p.subject}`;
  return `role ${p.subject} (held or inherited)`;
}

/** sqlLiteral writes an argument as it would appear in SQL. */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return `'${v.replaceAll("'", "''")}'`;
  return `'${JSON.stringify(v).replaceAll("'", "''")}'`;
}

/** inlineSQL puts the arguments in place of $1, $2… for reading (never for running). */
export function inlineSQL(sql: string, args: unknown[] | null): string {
  const a = args ?? [];
  return sql.replace(/\$(\d+)/g, (m, n: string) => {
    const i = Number(n) - 1;
    return i >= 0 && i < a.length ? sqlLiteral(a[i]) : m;
  });
}

/** previewColumns picks the columns to show for records the subject can read. */
export function previewColumns(readable: string[] | null, max = 6): string[] {
  const skip = new Set(["collectionId", "collectionName", "created", "updated"]);
  const cols = (readable ?? []).filter((f) => !skip.has(f));
  return cols.slice(0, max);
}

/** cellText shows a record value in one line. */
export function cellText(v: unknown, max = 60): string {
  let s: string;
  if (v === null || v === undefined) s = "";
  else if (typeof v === "string") s = v;
  else s = JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}
