import type { Collection, CollectionInput, Field } from "../lib/api";

/** ChangeKind says what an import does to one collection. */
export type ChangeKind = "new" | "changed" | "deleted" | "unchanged";

/** CollectionDiff is one collection's line of an import preview. */
export interface CollectionDiff {
  name: string;
  kind: ChangeKind;
  details: string[];
}

/** parseImport reads pasted or uploaded JSON: an array of collections or {collections: […]}. */
export function parseImport(text: string): CollectionInput[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`Invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (v && typeof v === "object" && !Array.isArray(v) && Array.isArray((v as { collections?: unknown }).collections)) {
    v = (v as { collections: unknown[] }).collections;
  }
  if (!Array.isArray(v)) throw new Error("Expected a list of collections.");
  if (v.length === 0) throw new Error("The list of collections is empty.");
  v.forEach((c, i) => {
    if (!c || typeof c !== "object" || typeof (c as { name?: unknown }).name !== "string" || !(c as { name: string }).name) {
      throw new Error(`Collection #${i + 1} has no name.`);
    }
  });
  return v as CollectionInput[];
}

/** exportJSON writes collections as PocketBase's export does: dates left out, pretty printed. */
export function exportJSON(list: Collection[]): string {
  const clean = list.map((c) => {
    const { created: _c, updated: _u, ...rest } = c;
    return rest;
  });
  return JSON.stringify(clean, null, 2);
}

const ruleKeys = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"] as const;

/** differs compares the keys incoming sets with the same keys of current. */
function differs(current: object, incoming: object, skip: string[] = []): string[] {
  const out: string[] = [];
  const cur = current as Record<string, unknown>;
  for (const [k, v] of Object.entries(incoming)) {
    if (skip.includes(k) || v === undefined) continue;
    if (JSON.stringify(v) !== JSON.stringify(cur[k])) out.push(k);
  }
  return out;
}

function fieldChanges(current: Field[], incoming: Partial<Field>[]): string[] {
  const out: string[] = [];
  const matched = new Set<Field>();
  for (const f of incoming) {
    const old =
      (f.id ? current.find((c) => c.id === f.id) : undefined) ??
      current.find((c) => c.name.toLowerCase() === (f.name ?? "").toLowerCase());
    if (!old) {
      out.push(`add field "${f.name}" (${f.type})`);
      continue;
    }
    matched.add(old);
    if (f.name !== undefined && f.name !== old.name) out.push(`rename field "${old.name}" to "${f.name}"`);
    if (f.type !== undefined && f.type !== old.type) out.push(`change field "${f.name ?? old.name}" from ${old.type} to ${f.type}`);
    else {
      const keys = differs(old, f, ["id", "name", "type"]);
      if (keys.length) out.push(`change ${keys.join(", ")} of field "${f.name ?? old.name}"`);
    }
  }
  for (const f of current) {
    if (!matched.has(f) && !f.system) out.push(`remove field "${f.name}"`);
  }
  return out;
}

/** diffSchemas compares the current collections with an import. */
export function diffSchemas(current: Collection[], incoming: CollectionInput[], deleteMissing: boolean): CollectionDiff[] {
  const out: CollectionDiff[] = [];
  const matched = new Set<Collection>();
  for (const c of incoming) {
    const name = c.name ?? "";
    const old =
      (c.id ? current.find((x) => x.id === c.id) : undefined) ?? current.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!old) {
      out.push({ name, kind: "new", details: [`${c.type ?? "base"} collection with ${(c.fields ?? []).length} field(s)`] });
      continue;
    }
    matched.add(old);
    const details: string[] = [];
    if (old.name !== name) details.push(`rename from "${old.name}"`);
    if (c.type && c.type !== old.type) details.push(`type ${old.type} → ${c.type}`);
    if (c.fields && old.type !== "view") details.push(...fieldChanges(old.fields, c.fields));
    const oldIx = new Set(old.indexes ?? []);
    const newIx = new Set(c.indexes ?? []);
    if (c.indexes) {
      const added = [...newIx].filter((x) => !oldIx.has(x)).length;
      const removed = [...oldIx].filter((x) => !newIx.has(x)).length;
      if (added) details.push(`add ${added} index(es)`);
      if (removed) details.push(`remove ${removed} index(es)`);
    }
    const rules = ruleKeys.filter((k) => k in c && c[k] !== old[k]);
    if (rules.length) details.push(`change ${rules.join(", ")}`);
    if (c.type === "view" && old.type === "view" && c.viewQuery !== undefined && c.viewQuery !== old.viewQuery) {
      details.push("change the view query");
    }
    const other = differs(old, c, ["id", "name", "type", "fields", "indexes", "viewQuery", "system", "created", "updated", ...ruleKeys]);
    if (other.length) details.push(`change ${other.join(", ")}`);
    out.push({ name, kind: details.length ? "changed" : "unchanged", details });
  }
  if (deleteMissing) {
    for (const c of current) {
      if (!matched.has(c) && !c.system) out.push({ name: c.name, kind: "deleted", details: ["dropped with all its records"] });
    }
  }
  return out;
}
