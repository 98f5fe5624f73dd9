// Suggestions for the filter language while a condition is typed: field
// paths of the collection (through relations and back-relations), the
// request values (@request.auth.* through the user's relations,
// @request.body.* with the collection's fields, query, headers, method,
// context), @collection.<name>.*, macros, modifiers and functions.

import type { Collection, Field } from "../lib/api";

/** Suggestion is one completion: the text to insert and a hint. */
export interface Suggestion {
  label: string;
  insert: string;
  detail: string;
}

/** Completion replaces text[from, to) with the chosen suggestion's insert. */
export interface Completion {
  from: number;
  to: number;
  items: Suggestion[];
}

/** macros are the filter language's @ identifiers for times. */
export const macros = [
  "now", "second", "minute", "hour", "weekday", "day", "month", "year",
  "todayStart", "todayEnd", "monthStart", "monthEnd", "yearStart", "yearEnd",
];

const modifiers: Suggestion[] = [
  { label: ":lower", insert: "lower", detail: "lowercase text" },
  { label: ":length", insert: "length", detail: "number of items" },
  { label: ":each", insert: "each", detail: "compare the items (without it a list is its JSON text)" },
];

/** requestModifiers apply to @request values only. */
const requestModifiers: Suggestion[] = [
  { label: ":isset", insert: "isset", detail: "whether the request has the value" },
];

/** bodyModifiers apply to @request.body.<field> only. */
const bodyModifiers: Suggestion[] = [
  { label: ":changed", insert: "changed", detail: "the request sets the field to a new value" },
];

/** contexts are the values of @request.context. */
export const contexts = ["default", "oauth2", "otp", "password", "realtime", "protectedFile", "batch", "expand"];

/** requestItems are the names after @request. */
const requestItems: Suggestion[] = [
  { label: "auth.", insert: "auth.", detail: "the signed-in user" },
  { label: "body.", insert: "body.", detail: "the values a create or update sends" },
  { label: "query.", insert: "query.", detail: "the request's query parameters" },
  { label: "headers.", insert: "headers.", detail: "the request's headers (x_token for X-Token)" },
  { label: "method", insert: "method", detail: "GET, POST, PATCH, DELETE" },
  { label: "context", insert: "context", detail: contexts.join(", ") },
];

/** headerItems are headers rules commonly read, as @request.headers names them. */
const headerItems: Suggestion[] = ["authorization", "content_type", "origin", "referer", "user_agent", "x_forwarded_for"].map((h) => ({
  label: h,
  insert: h,
  detail: "header",
}));

/** functions are the filter language's functions. */
const functions: Suggestion[] = [
  { label: "strftime(", insert: "strftime('%Y-%m-%d', ", detail: "strftime(format, date[, modifier…]): a date as text" },
  { label: "geoDistance(", insert: "geoDistance(", detail: "geoDistance(lonA, latA, lonB, latB): kilometres" },
];

/** authExtras are the @request.auth values every signed-in caller has besides its fields. */
const authExtras: Suggestion[] = [
  { label: "id", insert: "id", detail: "the user's id" },
  { label: "collectionId", insert: "collectionId", detail: "the user's collection id" },
  { label: "collectionName", insert: "collectionName", detail: "the user's collection name" },
  { label: "roles", insert: "roles", detail: "the user's roles (use roles:each ?= 'x')" },
];

const maxItems = 30;
const identChar = /[A-Za-z0-9_@.:]/;

function secret(f: Field, c: Collection): boolean {
  return f.type === "password" || (c.type === "auth" && f.name === "tokenKey");
}

/** filterFields are the fields a condition can name. */
function filterFields(c: Collection): Field[] {
  return c.fields.filter((f) => !secret(f, c));
}

function fieldDetail(f: Field, all: Collection[]): string {
  if (f.type === "relation") {
    const to = all.find((c) => c.id === f.collectionId);
    return `relation → ${to?.name ?? "?"}`;
  }
  return f.type;
}

/** insideString tells whether pos lies inside a quoted literal. */
function insideString(text: string, pos: number): boolean {
  let quote = "";
  for (let i = 0; i < pos; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    }
  }
  return quote !== "";
}

/** step follows one path segment from collection c: a relation field or a back-relation. */
function step(c: Collection, seg: string, all: Collection[]): Collection | undefined {
  const f = c.fields.find((x) => x.name === seg);
  if (f?.type === "relation") return all.find((x) => x.id === f.collectionId);
  const i = seg.lastIndexOf("_via_");
  if (i > 0) {
    const from = all.find((x) => x.name === seg.slice(0, i));
    const via = from?.fields.find((x) => x.name === seg.slice(i + 5));
    if (from && via?.type === "relation" && via.collectionId === c.id) return from;
  }
  return undefined;
}

/** fieldItems lists what may follow a path into c: its fields and back-relations. */
function fieldItems(c: Collection, all: Collection[], prefix: string): Suggestion[] {
  const items: Suggestion[] = filterFields(c).map((f) => ({
    label: f.name,
    insert: f.name,
    detail: fieldDetail(f, all),
  }));
  for (const other of all) {
    for (const f of other.fields) {
      if (f.type === "relation" && f.collectionId === c.id) {
        const name = `${other.name}_via_${f.name}`;
        items.push({ label: name, insert: name, detail: `back-relation ← ${other.name}.${f.name}` });
      }
    }
  }
  return items.filter((s) => matches(s.label, prefix));
}

function matches(label: string, prefix: string): boolean {
  return label.toLowerCase().startsWith(prefix.toLowerCase());
}

/** authItems lists @request.auth.<name>: the extras and the fields of every auth collection but superusers. */
export function authItems(all: Collection[], prefix = ""): Suggestion[] {
  const out = [...authExtras];
  const seen = new Set(out.map((s) => s.label));
  for (const c of all) {
    if (c.type !== "auth" || c.name === "_superusers") continue;
    for (const f of filterFields(c)) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      out.push({ label: f.name, insert: f.name, detail: `${f.type} of ${c.name}` });
    }
  }
  return out.filter((s) => matches(s.label, prefix));
}

/** authStep follows a relation field of the signed-in user: the target of
 * the first auth collection (but superusers) with a relation named seg. */
function authStep(seg: string, all: Collection[]): Collection | undefined {
  for (const c of all) {
    if (c.type !== "auth" || c.name === "_superusers") continue;
    const f = c.fields.find((x) => x.name === seg);
    if (f?.type === "relation") return all.find((x) => x.id === f.collectionId);
  }
  return undefined;
}

/** tokenAt finds the identifier under the caret: its start and the text up to the caret. */
export function tokenAt(text: string, caret: number): { start: number; token: string } {
  let start = caret;
  while (start > 0 && identChar.test(text[start - 1])) start--;
  return { start, token: text.slice(start, caret) };
}

/**
 * suggest completes the identifier before the caret in a condition on
 * collection c. An empty identifier is completed only when forced (the
 * user asked for suggestions).
 */
export function suggest(text: string, caret: number, c: Collection, all: Collection[], force = false): Completion | null {
  if (insideString(text, caret)) return null;
  const { start, token } = tokenAt(text, caret);
  if (token === "" && !force) return null;
  if (/^[0-9]/.test(token)) return null;
  const done = (from: number, items: Suggestion[]): Completion | null =>
    items.length ? { from, to: caret, items: items.slice(0, maxItems) } : null;

  const colon = token.lastIndexOf(":");
  const lastDot = token.lastIndexOf(".");
  if (colon > lastDot && !token.startsWith("@collection.")) {
    const mod = token.slice(colon + 1);
    const mods = [...modifiers];
    if (token.startsWith("@request.")) mods.push(...requestModifiers);
    if (token.startsWith("@request.body.") && token.split(".").length === 3) mods.push(...bodyModifiers);
    return done(start + colon + 1, mods.filter((m) => matches(m.insert, mod)));
  }

  const head = token.slice(0, lastDot + 1);
  const last = token.slice(lastDot + 1);
  const from = start + lastDot + 1;

  if (token.startsWith("@")) {
    if (lastDot < 0) {
      const items: Suggestion[] = [
        ...requestItems.map((s) => ({ ...s, label: `@request.${s.label}`, insert: `@request.${s.insert}` })),
        { label: "@collection.", insert: "@collection.", detail: "rows of another collection" },
        ...macros.map((m) => ({ label: `@${m}`, insert: `@${m}`, detail: "macro" })),
      ];
      return done(start, items.filter((s) => matches(s.label, token)));
    }
    const parts = head.slice(0, -1).split(".");
    if (parts[0] === "@request") {
      if (parts.length === 1) return done(from, requestItems.filter((s) => matches(s.label, last)));
      let cur: Collection | undefined;
      switch (parts[1]) {
        case "auth":
          if (parts.length === 2) return done(from, authItems(all, last));
          cur = authStep(parts[2], all);
          break;
        case "body":
          if (parts.length === 2) {
            return done(
              from,
              filterFields(c)
                .filter((f) => matches(f.name, last))
                .map((f) => ({ label: f.name, insert: f.name, detail: `sent ${fieldDetail(f, all)}` })),
            );
          }
          cur = step(c, parts[2], all);
          break;
        case "headers":
          return parts.length === 2 ? done(from, headerItems.filter((s) => matches(s.label, last))) : null;
        default:
          return null;
      }
      for (const seg of parts.slice(3)) cur = cur && step(cur, seg, all);
      return cur ? done(from, fieldItems(cur, all, last)) : null;
    }
    if (parts[0] === "@collection") {
      if (parts.length === 1) {
        return done(
          from,
          all.filter((x) => matches(x.name, last)).map((x) => ({ label: `${x.name}.`, insert: `${x.name}.`, detail: `${x.type} collection` })),
        );
      }
      let cur = all.find((x) => x.name === parts[1].split(":")[0]);
      for (const seg of parts.slice(2)) cur = cur && step(cur, seg, all);
      return cur ? done(from, fieldItems(cur, all, last)) : null;
    }
    return null;
  }

  let cur: Collection | undefined = c;
  for (const seg of head ? head.slice(0, -1).split(".") : []) cur = cur && step(cur, seg, all);
  if (!cur) return null;
  const items = fieldItems(cur, all, last);
  if (!head) items.push(...functions.filter((s) => matches(s.label, last)));
  if (!head && last === "") items.push({ label: "@request.auth.", insert: "@request.auth.", detail: "the signed-in user" });
  return done(from, items);
}

/** apply inserts a suggestion, returning the new text and caret. */
export function applySuggestion(text: string, c: Completion, s: Suggestion): { text: string; caret: number } {
  const next = text.slice(0, c.from) + s.insert + text.slice(c.to);
  return { text: next, caret: c.from + s.insert.length };
}
