import type { CollectionInsight, InsightIndex } from "../lib/api";

/** formatBytes writes a size as "0 B", "512 B", "8.0 kB", "12 MB" or "1.5 GB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** formatRows writes a row count: exact ("1,234"), an estimate ("≈ 1,234"), or "not analyzed yet". */
export function formatRows(ci: Pick<CollectionInsight, "rows" | "rowsExact">): string {
  if (ci.rowsExact) return ci.rows.toLocaleString("en-US");
  if (ci.rows < 0) return "not analyzed yet";
  return `≈ ${ci.rows.toLocaleString("en-US")}`;
}

/** formatMs writes milliseconds as "0.42 ms", "12 ms" or "1.5 s". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** latest returns the later of two of the server's dates ("2026-12-06 06:30:00.000Z"), or null when both are. */
export function latest(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

/** indexName reads the name of an index in the collection's syntax (CREATE [UNIQUE] INDEX `name` ON ...). */
export function indexName(def: string): string {
  const m = /^\s*create\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?[`"[]?([A-Za-z0-9_]+)/i.exec(def);
  return m ? m[1] : "";
}

/** withIndex returns a collection's indexes with index added, unless one of that name is there already. */
export function withIndex(indexes: string[], index: string): string[] {
  const name = indexName(index);
  if (indexes.some((i) => i === index || (name !== "" && indexName(i) === name))) return [...indexes];
  return [...indexes, index];
}

/**
 * removableUnused are the unused indexes (no scan since the statistics were
 * reset, no constraint to enforce) that the collection's own indexes hold,
 * so the schema can remove them; those Lumbung keeps itself (such as the
 * default order's) are left out.
 */
export function removableUnused(ci: Pick<CollectionInsight, "indexes">): InsightIndex[] {
  return ci.indexes.filter((i) => i.unused && i.definition !== "");
}

/** orderInsights puts collections with suggestions first, then the largest; system collections only when asked for. */
export function orderInsights(list: CollectionInsight[], showSystem: boolean): CollectionInsight[] {
  return list
    .filter((c) => showSystem || !c.system)
    .sort((a, b) => Number(b.suggestions.length > 0) - Number(a.suggestions.length > 0) || b.totalSize - a.totalSize || a.name.localeCompare(b.name));
}
