// The record editor's model: which fields it edits and what it sends.

import type { Collection, Field, RecordModel } from "../lib/api";
import { emptyValue, quote } from "./format";

/** Draft holds the editor's values by field name (plus passwordConfirm). */
export type Draft = Record<string, unknown>;

/** editable tells whether the editor may change field (else it is shown read-only or not at all). */
export function editable(f: Field, isNew: boolean): boolean {
  if (f.type === "autodate") return false;
  if (f.name === "id") return isNew;
  if (f.name === "tokenKey") return false;
  return true;
}

/** editorFields lists the fields the editor shows, in order: hidden system fields
 * other than the password are left out, autodates only for existing records. */
export function editorFields(c: Collection, isNew: boolean): Field[] {
  return c.fields.filter((f) => {
    if (f.type === "password") return c.type === "auth";
    if (f.system && f.hidden) return false;
    if (f.type === "autodate") return !isNew;
    return true;
  });
}

/** newDraft is the starting point of a new record. */
export function newDraft(c: Collection): Draft {
  const d: Draft = {};
  for (const f of editorFields(c, true)) d[f.name] = f.name === "id" ? "" : emptyValue(f);
  if (c.type === "auth") d.passwordConfirm = "";
  return d;
}

/** draftOf copies a record into a draft; password fields start empty. */
export function draftOf(c: Collection, r: RecordModel): Draft {
  const d: Draft = {};
  for (const f of editorFields(c, false)) {
    d[f.name] = f.type === "password" ? "" : structuredClone(r[f.name] ?? emptyValue(f));
  }
  if (c.type === "auth") d.passwordConfirm = "";
  return d;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * payload is what a save sends: for a new record every editable value
 * (an empty id left to the server), for an existing one only the changed
 * values. Passwords go only when typed, with their confirmation.
 */
export function payload(c: Collection, draft: Draft, original: RecordModel | null): Record<string, unknown> {
  const isNew = original === null;
  const out: Record<string, unknown> = {};
  for (const f of editorFields(c, isNew)) {
    if (!editable(f, isNew)) continue;
    const v = draft[f.name];
    if (f.type === "password") {
      if (typeof v === "string" && v !== "") {
        out[f.name] = v;
        out.passwordConfirm = draft.passwordConfirm ?? "";
      }
      continue;
    }
    if (f.name === "id" && (v === "" || v === undefined)) continue;
    if (isNew || !same(v, original[f.name] ?? emptyValue(f))) out[f.name] = v;
  }
  return out;
}

/** localErrors are the problems the editor knows before asking the server. */
export function localErrors(c: Collection, draft: Draft, jsonErrors: Record<string, string>, isNew: boolean): Record<string, string> {
  const out: Record<string, string> = { ...jsonErrors };
  if (c.type === "auth") {
    const pw = typeof draft.password === "string" ? draft.password : "";
    if (isNew && pw === "") out.password = "Cannot be blank.";
    if (pw !== "" && draft.passwordConfirm !== pw) out.passwordConfirm = "Values don't match.";
  }
  return out;
}

/** isDirty tells whether the draft differs from the record it started from. */
export function isDirty(c: Collection, draft: Draft, original: RecordModel | null): boolean {
  if (original === null) return !same(draft, newDraft(c));
  return Object.keys(payload(c, draft, original)).length > 0;
}

/** searchFilter finds records of c whose id or text-like fields contain q. */
export function searchFilter(c: Collection, q: string): string {
  const t = q.trim();
  if (!t) return "";
  const names = c.fields
    .filter((f) => !f.hidden && (f.type === "text" || f.type === "email" || f.type === "url" || f.presentable) && f.type !== "password")
    .filter((f) => f.type !== "json" && f.type !== "geoPoint" && f.type !== "relation" && f.type !== "bool")
    .map((f) => f.name);
  if (!names.includes("id")) names.unshift("id");
  return names.map((n) => `${n} ~ ${quote(t)}`).join(" || ");
}
