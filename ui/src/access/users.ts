// Users as subjects: their keys, labels and how to search for them.

import type { Collection, RecordModel } from "../lib/api";

/** parseUserKey splits "<collectionId>:<recordId>"; null for a role name. */
export function parseUserKey(subject: string): { collectionId: string; id: string } | null {
  const i = subject.indexOf(":");
  if (i <= 0 || i === subject.length - 1) return null;
  return { collectionId: subject.slice(0, i), id: subject.slice(i + 1) };
}

/** quote writes a filter string literal. */
export function quote(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** searchFields are the text fields of an auth collection worth searching by. */
export function searchFields(c: Collection): string[] {
  const wanted = ["email", "name", "username"];
  return c.fields.filter((f) => wanted.includes(f.name) && (f.type === "email" || f.type === "text")).map((f) => f.name);
}

/** searchFilter finds records by id, or by email/name/username containing q. */
export function searchFilter(c: Collection, q: string): string {
  const t = q.trim();
  if (!t) return "";
  const parts = [`id = ${quote(t)}`, ...searchFields(c).map((f) => `${f} ~ ${quote(t)}`)];
  return parts.join(" || ");
}

/** userLabel names a user record: email, then name or username, then id. */
export function userLabel(r: RecordModel): string {
  for (const k of ["email", "name", "username"]) {
    const v = r[k];
    if (typeof v === "string" && v) return v;
  }
  return r.id;
}

/** idsFilter selects records by id. */
export function idsFilter(ids: string[]): string {
  return ids.map((id) => `id = ${quote(id)}`).join(" || ");
}

/** authCollections are the collections whose records can hold roles. */
export function authCollections(all: Collection[]): Collection[] {
  return all.filter((c) => c.type === "auth" && c.name !== "_superusers");
}
