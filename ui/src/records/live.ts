// Merging realtime events into the page the grid shows.

import type { RecordModel } from "../lib/api";
import type { RealtimeAction } from "../lib/realtime";

/** PageState is what the grid shows of the current query. */
export interface PageState {
  items: RecordModel[];
  totalItems: number;
  /** pending counts new records not shown: the "N new records" notice. */
  pending: number;
}

/** MergeContext says where the grid is. */
export interface MergeContext {
  /** atHead is set on the first page with the default (newest first) sort:
   * new records belong at the top. */
  atHead: boolean;
  perPage: number;
  /** relations names relation fields, whose expand is kept while their value is unchanged. */
  relations?: string[];
  /** replayed is set for events that arrived while the page was loading
   * and are applied again to the page that load brought. */
  replayed?: boolean;
}

/** MergeResult is the page after an event and the row to highlight, if any. */
export interface MergeResult extends PageState {
  changed?: string;
  removed?: string;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** mergeRow takes an event's record over a shown row, keeping the row's
 * expand of relations whose value did not change. */
export function mergeRow(old: RecordModel, incoming: RecordModel, relations: string[] = []): RecordModel {
  const next: RecordModel = { ...old, ...incoming };
  const kept: Record<string, RecordModel | RecordModel[]> = {};
  for (const name of relations) {
    const e = old.expand?.[name];
    if (e !== undefined && sameValue(old[name], incoming[name] ?? old[name])) kept[name] = e;
  }
  next.expand = { ...kept, ...(incoming.expand ?? {}) };
  if (Object.keys(next.expand).length === 0) delete next.expand;
  return next;
}

/**
 * mergeEvent applies one realtime event to the page: a shown row that
 * changed is replaced in place; a new one is put at the top when the grid
 * is at the head (first page, newest first), else counted as pending; a
 * deleted or no longer matching row is removed.
 */
export function mergeEvent(state: PageState, action: RealtimeAction, record: RecordModel, ctx: MergeContext): MergeResult {
  const i = state.items.findIndex((r) => r.id === record.id);
  switch (action) {
    case "create":
    case "enter":
    case "update": {
      if (i >= 0) {
        const items = state.items.slice();
        items[i] = mergeRow(items[i], record, ctx.relations);
        return { ...state, items, changed: record.id };
      }
      if (action === "update") return { ...state };
      if (action === "create" && ctx.atHead) {
        const items = [record, ...state.items].slice(0, ctx.perPage);
        return { ...state, items, totalItems: state.totalItems + 1, changed: record.id };
      }
      return { ...state, pending: state.pending + 1 };
    }
    case "delete":
    case "leave": {
      if (i < 0) {
        // A replayed delete may be one the fresh page already left out.
        return ctx.replayed ? { ...state } : { ...state, totalItems: Math.max(0, state.totalItems - 1) };
      }
      const items = state.items.filter((r) => r.id !== record.id);
      return { ...state, items, totalItems: Math.max(0, state.totalItems - 1), removed: record.id };
    }
  }
}
