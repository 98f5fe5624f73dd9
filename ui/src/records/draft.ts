// The record editor's model: which fields it edits and what it sends.

import type { Collection, Field, RecordModel } from "../lib/api";
import { fileChanged, fileJSON, fileValueOf, isFileValue } from "./files";
import { emptyValue, quote } from "./format";

/** Draft holds the editor's values by field name (plus passwordConfirm); a
 * file field's value is a FileValue (files.ts). */
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
  for (const f of editorFields(c, true)) d[f.name] = f.name === "id" ? "" : f.type === "file" ? fileValueOf(null) : emptyValue(f);
  if (c.type === "auth") d.passwordConfirm = "";
  return d;
}

/** draftOf copies a record into a draft; password fields start empty. */
export function draftOf(c: Collection, r: RecordModel): Draft {
  const d: Draft = {};
  for (const f of editorFields(c, false)) {
    if (f.type === "file") d[f.name] = fileValueOf(r[f.name]);
    else d[f.name] = f.type === "password" ? "" : structuredClone(r[f.name] ?? emptyValue(f));
  }
  if (c.type === "auth") d.passwordConfirm = "";
  return d;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * payload is what a save sends as JSON: for a new record every editable
 * value (an empty id left to the server), for an existing one only the
 * changed values. Passwords go only when typed, with their confirmation.
 * A file field gives the stored files to keep; its new files are in
 * uploads.
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
    if (f.type === "file") {
      if (!isFileValue(v)) continue;
      if (isNew ? v.added.length > 0 || v.names.length > 0 : fileChanged(original[f.name], v)) out[f.name] = fileJSON(f, v);
      continue;
    }
    if (f.name === "id" && (v === "" || v === undefined)) continue;
    if (isNew || !same(v, original[f.name] ?? emptyValue(f))) out[f.name] = v;
  }
  return out;
}

/** uploads are the new files a save sends, by field. */
export function uploads(c: Collection, draft: Draft): Record<string, File[]> {
  const out: Record<string, File[]> = {};
  for (const f of c.fields) {
    const v = draft[f.name];
    if (f.type === "file" && isFileValue(v) && v.added.length > 0) out[f.name] = v.added.map((a) => a.file);
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
  if (original === null) {
    const fresh = newDraft(c);
    return Object.keys(draft).some((k) => (isFileValue(draft[k]) ? fileChanged(null, draft[k]) : !same(draft[k], fresh[k])));
  }
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
