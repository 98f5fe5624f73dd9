// Which columns the grid shows, how it sorts, and what it asks the server for.

import type { Collection, Field, RelationField } from "../lib/api";
import { presentableField } from "./format";

/** columnCandidates are the fields the grid can show: all but passwords. */
export function columnCandidates(c: Collection): Field[] {
  return c.fields.filter((f) => f.type !== "password");
}

/** defaultColumns shows every candidate that is not hidden. */
export function defaultColumns(c: Collection): string[] {
  return columnCandidates(c)
    .filter((f) => !f.hidden)
    .map((f) => f.name);
}

const storageKey = (c: Collection) => `lumbung.records.columns.${c.id}`;

/** loadColumns reads the chosen columns of c, keeping only fields that still exist. */
export function loadColumns(c: Collection, storage: Storage | null = globalThis.localStorage ?? null): string[] {
  try {
    const raw = storage?.getItem(storageKey(c));
    if (raw) {
      const names = JSON.parse(raw) as unknown;
      if (Array.isArray(names)) {
        const known = new Set(columnCandidates(c).map((f) => f.name));
        const kept = names.filter((n): n is string => typeof n === "string" && known.has(n));
        if (kept.length > 0) return kept;
      }
    }
  } catch {
    // a malformed value means the default
  }
  return defaultColumns(c);
}

/** saveColumns keeps the chosen columns of c. */
export function saveColumns(c: Collection, names: string[], storage: Storage | null = globalThis.localStorage ?? null) {
  try {
    storage?.setItem(storageKey(c), JSON.stringify(names));
  } catch {
    // storage full or unavailable: the choice lasts for this visit
  }
}

/** orderColumns returns names in the collection's field order. */
export function orderColumns(c: Collection, names: Iterable<string>): string[] {
  const set = new Set(names);
  return columnCandidates(c)
    .filter((f) => set.has(f.name))
    .map((f) => f.name);
}

/** RelationDisplay says how a relation column names its records. */
export interface RelationDisplay {
  /** presentable is the target's field shown on chips; "" shows ids. */
  presentable: string;
  target?: Collection;
}

/** relationDisplay finds the target collection of a relation and its presentable field. */
export function relationDisplay(f: RelationField, all: Collection[]): RelationDisplay {
  const target = all.find((c) => c.id === f.collectionId || c.name === f.collectionId);
  return { presentable: target ? (presentableField(target.fields)?.name ?? "") : "", target };
}

/** ListQuery is the projection of a grid request. */
export interface ListQuery {
  fields: string;
  expand: string;
}

/**
 * listQuery asks only for the shown columns, and expands shown relations
 * whose target has a presentable field (only its id and that field).
 */
export function listQuery(c: Collection, visible: string[], all: Collection[]): ListQuery {
  const fields = ["id", "collectionId", "collectionName"];
  const expand: string[] = [];
  for (const f of columnCandidates(c)) {
    if (!visible.includes(f.name)) continue;
    if (!fields.includes(f.name)) fields.push(f.name);
    if (f.type === "relation") {
      const { presentable } = relationDisplay(f, all);
      if (presentable) {
        expand.push(f.name);
        fields.push(`expand.${f.name}.id`, `expand.${f.name}.${presentable}`);
      }
    }
  }
  return { fields: fields.join(","), expand: expand.join(",") };
}

/** defaultSort is newest first when the collection has a created field. */
export function defaultSort(c: Collection): string {
  return c.fields.some((f) => f.name === "created") ? "-created" : "";
}

/** SortDir is how one column is sorted. */
export type SortDir = "asc" | "desc" | "none";

/** sortDir reads the direction of field in a sort parameter ("-created,title"). */
export function sortDir(sort: string, field: string): SortDir {
  for (const part of sort.split(",")) {
    const p = part.trim();
    if (p === field || p === `+${field}`) return "asc";
    if (p === `-${field}`) return "desc";
  }
  return "none";
}

/** nextSort cycles a header click through asc, desc and none. */
export function nextSort(sort: string, field: string): string {
  switch (sortDir(sort, field)) {
    case "none":
      return field;
    case "asc":
      return `-${field}`;
    default:
      return "";
  }
}
