import type { Collection } from "../lib/api";
import type { AuditChange, AuditEntry } from "./auditApi";

/** masked is how the audit shows a password, a token key or a hidden field. */
export const masked = "***";

/** Actor is who made a change, for display. */
export interface Actor {
  kind: "user" | "superuser" | "system" | "plugin" | "guest" | "sql" | "other";
  /** label is a short text: "superuser", "plain SQL", the plugin's id... */
  label: string;
  /** collectionId and id name the record that acted, when one did. */
  collectionId?: string;
  id?: string;
}

/** parseActor reads the audit's actor ("user:<collectionId>:<id>", "superuser:<id>", "plugin:<id>", ...). */
export function parseActor(actor: string): Actor {
  const [kind, ...rest] = actor.split(":");
  switch (kind) {
    case "user":
      return { kind: "user", label: "user", collectionId: rest[0], id: rest.slice(1).join(":") };
    case "superuser":
      return { kind: "superuser", label: "superuser", id: rest.join(":") };
    case "plugin":
      return { kind: "plugin", label: `plugin ${rest.join(":")}` };
    case "system":
      return { kind: "system", label: "system" };
    case "guest":
      return { kind: "guest", label: "guest" };
    case "sql":
      return { kind: "sql", label: "plain SQL" };
  }
  return { kind: "other", label: actor };
}

/** AuditQuick are the toggles beside the audit's filter input. */
export interface AuditQuick {
  text: string;
  action: "" | "create" | "update" | "delete";
  collection: string;
}

/** quote writes s as a filter string literal. */
function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** auditFilter joins the filter text and the toggles with &&, parenthesising each when there are several. */
export function auditFilter(q: AuditQuick): string {
  const parts = [q.text.trim()];
  if (q.action) parts.push(`action = ${quote(q.action)}`);
  if (q.collection.trim()) parts.push(`collectionName = ${quote(q.collection.trim())}`);
  const xs = parts.filter(Boolean);
  return xs.length === 1 ? xs[0] : xs.map((x) => `(${x})`).join(" && ");
}

/** DiffRow is one field of a change, its values written for display. */
export interface DiffRow {
  field: string;
  old: string | null;
  new: string | null;
  /** masked is true when the values are hidden (a password, a token key, a hidden field). */
  masked: boolean;
}

/** showValue writes a value for display: strings as they are, anything else as JSON; absent is null. */
export function showValue(v: unknown): string | null {
  if (v === undefined) return null;
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** diffRows lists a change's fields in the collection's order (fields it no longer has last, by name). */
export function diffRows(diff: Record<string, AuditChange>, collection?: Collection | null): DiffRow[] {
  const order = new Map((collection?.fields ?? []).map((f, i) => [f.name, i]));
  const names = Object.keys(diff).sort((a, b) => {
    const ia = order.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ib = order.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ia !== ib ? ia - ib : a.localeCompare(b);
  });
  return names.map((field) => {
    const c = diff[field];
    return { field, old: showValue(c.old), new: showValue(c.new), masked: c.old === masked || c.new === masked };
  });
}

/** restorable reports whether a field's value can be written back by an update: not the id, a date set by the server, a password, a file or a masked value. */
export function restorable(collection: Collection, field: string, value: unknown): boolean {
  if (field === "id" || value === masked || value === undefined) return false;
  const f = collection.fields.find((x) => x.name === field);
  if (!f || f.hidden) return false;
  return !["autodate", "password", "file"].includes(f.type) && !(collection.type === "auth" && field === "tokenKey");
}

/** restoreValue is the update that puts one field back as it was before the change; null when it cannot be. */
export function restoreValue(collection: Collection, entry: AuditEntry, field: string): Record<string, unknown> | null {
  const c = entry.diff[field];
  if (!c || entry.action === "create") return null;
  const v = c.old;
  if (v === undefined) return null;
  if (!restorable(collection, field, v)) return null;
  return { [field]: v };
}

/** restoreVersion is the update that puts the record back as this version left it (fields that cannot be written back are left as they are); null for a delete. */
export function restoreVersion(collection: Collection, entry: AuditEntry): Record<string, unknown> | null {
  if (entry.action === "delete") return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry.data)) {
    if (restorable(collection, k, v)) out[k] = v;
  }
  return Object.keys(out).length ? out : null;
}

/** actionLabel is how an action reads in a list. */
export function actionLabel(action: string): string {
  return action === "create" ? "created" : action === "update" ? "updated" : action === "delete" ? "deleted" : action;
}
