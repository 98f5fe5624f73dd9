import { withQuery, type Location } from "../lib/router.svelte";

// The record open in the editor is in the location's query:
// "#/collections/posts?record=<id>", or "?record=new" for the new-record form.

/** recordKey is the query key naming the record open in the editor. */
export const recordKey = "record";

/** newRecord is recordKey's value for the new-record form. */
export const newRecord = "new";

/** OpenRecord is what the editor shows: the record with id, or the new-record form when id is null. */
export interface OpenRecord {
  id: string | null;
}

/**
 * openRecord reads the editor's record from recordKey's value, null for
 * none. A read-only collection has no new-record form, so there "new" is an
 * id like any other.
 */
export function openRecord(value: string | null, readonly: boolean): OpenRecord | null {
  if (value === null || value === "") return null;
  return { id: value === newRecord && !readonly ? null : value };
}

/** recordLink is a link to l with record open (an id or newRecord), or with none when record is null. */
export function recordLink(l: Location, record: string | null): string {
  return withQuery(l, recordKey, record);
}

/** sameRecord reports whether two locations show the same records screen with the same record open. */
export function sameRecord(a: Location, b: Location): boolean {
  return a.path === b.path && (a.query.get(recordKey) ?? "") === (b.query.get(recordKey) ?? "");
}
