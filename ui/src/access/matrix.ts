// The policy matrix of one collection: subjects × actions, and how it maps
// to and from the policies the server stores.

import type { Action, Policy, PolicyInput } from "../lib/api";

/** CellAction is an action with a column of its own in the matrix. */
export type CellAction = Exclude<Action, "*">;

/** actions are the matrix columns, in order. */
export const actions: CellAction[] = ["list", "view", "create", "update", "delete"];

/** Cell is what one subject may do with one action. */
export interface Cell {
  allowed: boolean;
  /** condition is a filter expression; "" = every record. */
  condition: string;
  /** fields limits readable/writable fields; empty = every field. */
  fields: string[];
}

/** Matrix holds the cells by subject, then action. */
export type Matrix = Record<string, Record<CellAction, Cell>>;

/** MatrixState is a collection's policies as the matrix edits them. */
export interface MatrixState {
  /** subjects are the matrix rows, in order. */
  subjects: string[];
  cells: Matrix;
  /** other are the policies the matrix has no cell for: users' own and "*" actions. */
  other: PolicyInput[];
}

/** builtIns are the implicit roles, first in every list. */
export const builtIns = ["guest", "authenticated"];

/** isUserKey tells a user subject ("<collectionId>:<recordId>") from a role. */
export function isUserKey(subject: string): boolean {
  return subject.includes(":");
}

/** orderSubjects puts the built-in roles first, then the others by name. */
export function orderSubjects(names: Iterable<string>): string[] {
  const set = new Set(names);
  const rest = [...set].filter((n) => !builtIns.includes(n)).sort();
  return [...builtIns.filter((n) => set.has(n)), ...rest];
}

export function emptyCell(): Cell {
  return { allowed: false, condition: "", fields: [] };
}

function strip(p: Policy | PolicyInput): PolicyInput {
  return { subject: p.subject, action: p.action, condition: p.condition.trim(), fields: p.fields?.length ? [...p.fields] : null };
}

/**
 * mergeCell shows the policies of one subject and action as one cell: as
 * the server decides, their conditions are OR-ed (one without a condition
 * grants every record) and their field lists united (one without a list
 * grants every field).
 */
export function mergeCell(ps: PolicyInput[]): Cell {
  if (ps.length === 0) return emptyCell();
  const conds = [...new Set(ps.map((p) => p.condition.trim()))];
  const condition = conds.includes("") ? "" : conds.length === 1 ? conds[0] : conds.map((c) => `(${c})`).join(" || ");
  const fields = ps.some((p) => !p.fields?.length) ? [] : [...new Set(ps.flatMap((p) => p.fields ?? []))];
  return { allowed: true, condition, fields };
}

/** sameCell compares cells as the server would decide them. */
export function sameCell(a: Cell, b: Cell): boolean {
  if (!a.allowed || !b.allowed) return a.allowed === b.allowed;
  return a.condition.trim() === b.condition.trim() && sameSet(a.fields, b.fields);
}

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

const key = (subject: string, action: string) => `${subject}\u0000${action}`;

function groups(ps: PolicyInput[]): Map<string, PolicyInput[]> {
  const m = new Map<string, PolicyInput[]>();
  for (const p of ps) {
    const k = key(p.subject, p.action);
    const g = m.get(k);
    if (g) g.push(p);
    else m.set(k, [p]);
  }
  return m;
}

function isCellPolicy(p: PolicyInput): p is PolicyInput & { action: CellAction } {
  return !isUserKey(p.subject) && p.action !== "*";
}

/** toMatrix lays a collection's policies out for roles (any role with a policy is added). */
export function toMatrix(policies: (Policy | PolicyInput)[], roles: string[]): MatrixState {
  const ps = policies.map(strip);
  const subjects = orderSubjects([...builtIns, ...roles, ...ps.filter(isCellPolicy).map((p) => p.subject)]);
  const byKey = groups(ps.filter(isCellPolicy));
  const cells: Matrix = {};
  for (const s of subjects) {
    cells[s] = Object.fromEntries(actions.map((a) => [a, mergeCell(byKey.get(key(s, a)) ?? [])])) as Record<CellAction, Cell>;
  }
  return { subjects, cells, other: ps.filter((p) => !isCellPolicy(p)) };
}

/**
 * fromMatrix gives the policies to save: cells left as they were keep their
 * original policies (several policies stay several), changed cells become
 * one policy each, and the other policies follow.
 */
export function fromMatrix(state: MatrixState, original: (Policy | PolicyInput)[]): PolicyInput[] {
  const byKey = groups(original.map(strip).filter(isCellPolicy));
  const out: PolicyInput[] = [];
  for (const s of state.subjects) {
    for (const a of actions) {
      const cell = state.cells[s]?.[a];
      if (!cell) continue;
      const before = byKey.get(key(s, a)) ?? [];
      if (sameCell(cell, mergeCell(before))) {
        out.push(...before);
      } else if (cell.allowed) {
        out.push({ subject: s, action: a, condition: cell.condition.trim(), fields: cell.fields.length ? [...cell.fields] : null });
      }
    }
  }
  return [...out, ...state.other.map(strip)];
}

/** Change is what saving does to one subject and action. */
export interface Change {
  kind: "grant" | "revoke" | "change";
  subject: string;
  action: Action;
  before: PolicyInput[];
  after: PolicyInput[];
}

function sig(p: PolicyInput): string {
  return JSON.stringify([p.condition.trim(), [...(p.fields ?? [])].sort()]);
}

function sameGroup(a: PolicyInput[], b: PolicyInput[]): boolean {
  const x = a.map(sig).sort();
  const y = b.map(sig).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** diffPolicies lists the changes from before to after, by subject and action. */
export function diffPolicies(before: (Policy | PolicyInput)[], after: (Policy | PolicyInput)[]): Change[] {
  const b = groups(before.map(strip));
  const a = groups(after.map(strip));
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const changes: Change[] = [];
  for (const k of keys) {
    const was = b.get(k) ?? [];
    const now = a.get(k) ?? [];
    if (sameGroup(was, now)) continue;
    const p = (now[0] ?? was[0])!;
    changes.push({
      kind: was.length === 0 ? "grant" : now.length === 0 ? "revoke" : "change",
      subject: p.subject,
      action: p.action,
      before: was,
      after: now,
    });
  }
  const order = (c: Change) => [builtIns.indexOf(c.subject) >= 0 ? builtIns.indexOf(c.subject) : 9, c.subject, actionRank(c.action)] as const;
  return changes.sort((x, y) => {
    const [a1, a2, a3] = order(x);
    const [b1, b2, b3] = order(y);
    return a1 - b1 || a2.localeCompare(b2) || a3 - b3;
  });
}

function actionRank(a: Action): number {
  const i = actions.indexOf(a as CellAction);
  return i < 0 ? actions.length : i;
}

/** describePolicy says in a few words what a policy grants. */
export function describePolicy(p: PolicyInput): string {
  const rows = p.condition.trim() ? `where ${p.condition.trim()}` : "every record";
  const fields = p.fields?.length ? `fields ${p.fields.join(", ")}` : "all fields";
  return `${rows}; ${fields}`;
}

/** Problem is the server's complaint about one submitted policy. */
export interface Problem {
  subject: string;
  action: Action;
  /** condition is the condition as submitted: the problem is stale once it is edited. */
  condition: string;
  message: string;
  /** position is the 1-based character of the condition the message points at, if any. */
  position: number | null;
}

/**
 * problemsOf maps the server's validation errors ("items.3" or
 * "items.3.condition") back to the subject and action of the submitted
 * policy.
 */
export function problemsOf(fields: Record<string, { message: string }>, submitted: PolicyInput[]): Problem[] {
  const out: Problem[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const m = /^items\.(\d+)(?:\.\w+)?$/.exec(k);
    const p = m ? submitted[Number(m[1])] : undefined;
    if (!p) continue;
    out.push({ subject: p.subject, action: p.action, condition: p.condition, message: v.message, position: errorPosition(v.message) });
  }
  return out;
}

/** errorPosition reads "position 12" out of a filter error message. */
export function errorPosition(message: string): number | null {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : null;
}

/** ruleName is the PocketBase rule that the guest role's policy for action is. */
export function ruleName(action: Action): string {
  return action === "*" ? "every rule" : `${action}Rule`;
}

/** pointAt finds the line of text a 1-based position falls on, and the column within it. */
export function pointAt(text: string, position: number): { line: string; column: number; lineNumber: number } {
  const chars = [...text];
  const i = Math.max(0, Math.min(position - 1, chars.length));
  const before = chars.slice(0, i).join("");
  const start = before.lastIndexOf("\n") + 1;
  const end = text.indexOf("\n", before.length);
  return {
    line: text.slice(start, end < 0 ? text.length : end),
    column: [...before.slice(start)].length + 1,
    lineNumber: before.split("\n").length,
  };
}
