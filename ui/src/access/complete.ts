// Suggestions for the filter language while a condition or an API rule is
// typed: field paths of the collection (through relations and
// back-relations, a geoPoint's lon and lat), the request values
// (@request.auth.* through the user's relations, @request.body.* with the
// collection's fields, query, headers, method, context),
// @collection.<name>.*, macros, functions, the modifiers each value takes
// (as the server accepts them) and, after an operator, the values of
// @request.context, @request.method, select and bool fields.

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

/** methods are the values of @request.method. */
export const methods = ["GET", "POST", "PATCH", "DELETE"];

/** literals may stand where a value is compared. */
const literals = ["true", "false", "null"];

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

/** geoItems are the parts of a geoPoint value. */
const geoItems: Suggestion[] = [
  { label: "lon", insert: "lon", detail: "longitude" },
  { label: "lat", insert: "lat", detail: "latitude" },
];

/** Place is where a path leads: a collection whose fields come next, or a geoPoint's parts. */
type Place = Collection | "geo" | undefined;

/** follow walks segs from c: relations and back-relations; a geoPoint field ends the walk. */
function follow(c: Place, segs: string[], all: Collection[]): Place {
  for (const [i, seg] of segs.entries()) {
    if (c === undefined || c === "geo") return undefined;
    if (i === segs.length - 1 && c.fields.find((f) => f.name === seg)?.type === "geoPoint") return "geo";
    c = step(c, seg, all);
  }
  return c;
}

/** itemsAt lists what may follow a path that leads to p. */
function itemsAt(p: Place, all: Collection[], prefix: string): Suggestion[] | null {
  if (p === "geo") return geoItems.filter((s) => matches(s.label, prefix));
  return p ? fieldItems(p, all, prefix) : null;
}

/** multi tells whether f holds a list (:each, :length). */
function multi(f: Field): boolean {
  return (f.type === "select" || f.type === "relation" || (f.type as string) === "file") && Number((f as { maxSelect?: number }).maxSelect ?? 1) > 1;
}

/** textual tells whether f holds one text (:lower). */
function textual(f: Field): boolean {
  return ["text", "editor", "email", "url", "select"].includes(f.type) && !multi(f);
}

/** Target is what a path names: a field (when known) and how the request reads it. */
interface Target {
  field?: Field;
  /** known is false when the path could not be followed (a json key, a typo). */
  known: boolean;
  /**
   * request: a value of the request itself (:isset); body: a field of the
   * collection as the request sends it (:isset, :changed); path: a record
   * field, or a path through a relation of the request.
   */
  scope: "path" | "request" | "body";
  /** kind of a request value that is no field: "text" or "list". */
  kind?: "text" | "list";
}

/** authField finds field name of the signed-in user (the first auth collection but superusers with it). */
function authField(name: string, all: Collection[]): Field | undefined {
  for (const c of all) {
    if (c.type !== "auth" || c.name === "_superusers") continue;
    const f = filterFields(c).find((x) => x.name === name);
    if (f) return f;
  }
  return undefined;
}

/** fieldAt finds the field that segs (the last one included) name from p. */
function fieldAt(p: Place, segs: string[], all: Collection[]): Target {
  const at = follow(p, segs.slice(0, -1), all);
  if (at === undefined || at === "geo") return { known: false, scope: "path" };
  const field = filterFields(at).find((f) => f.name === segs.at(-1));
  return { field, known: field !== undefined, scope: "path" };
}

/** target tells what the path parts (without a modifier) name in a condition on c. */
function target(parts: string[], c: Collection, all: Collection[]): Target {
  if (parts[0] === "@request") {
    const [, area, key] = parts;
    if ((area === "method" || area === "context") && parts.length === 2) return { known: true, scope: "request", kind: "text" };
    if ((area === "query" || area === "headers") && parts.length === 3) return { known: true, scope: "request", kind: "text" };
    if (area === "auth" && parts.length === 3) {
      if (key === "roles") return { known: true, scope: "request", kind: "list" };
      if (authExtras.some((s) => s.label === key)) return { known: true, scope: "request", kind: "text" };
      const field = authField(key, all);
      return { field, known: field !== undefined, scope: "request" };
    }
    if (area === "auth" && parts.length > 3) {
      const f = authField(key, all);
      const start: Place = f?.type === "relation" ? all.find((x) => x.id === f.collectionId) : undefined;
      return fieldAt(start, parts.slice(3), all);
    }
    if (area === "body" && parts.length === 3) {
      const field = filterFields(c).find((f) => f.name === key);
      return field ? { field, known: true, scope: "body" } : { known: true, scope: "request", kind: "text" };
    }
    if (area === "body" && parts.length > 3) return fieldAt(c, parts.slice(2), all);
    return { known: false, scope: "request" };
  }
  if (parts[0] === "@collection") {
    return fieldAt(all.find((x) => x.name === parts[1]?.split(":")[0]), parts.slice(2), all);
  }
  return fieldAt(c, parts, all);
}

/** modifiersOf lists the modifiers t takes, as the server accepts them. */
function modifiersOf(t: Target): Suggestion[] {
  const [lower, length, each] = modifiers;
  let out: Suggestion[];
  if (t.field) out = multi(t.field) ? [length, each] : textual(t.field) ? [lower] : [];
  else if (t.kind === "text") out = [lower];
  else if (t.kind === "list") out = [length, each];
  else out = [lower, length, each];
  if (t.scope !== "path") out = [...out, ...requestModifiers];
  if (t.scope === "body") out = [...out, ...bodyModifiers];
  return out;
}

const quoted = (v: string, q: string) => (q ? q + v.replaceAll("\\", "\\\\").replaceAll(q, "\\" + q) + q : v);

/** valuesOf lists the values a comparison with the path left may want. */
function valuesOf(left: string, c: Collection, all: Collection[], q: string, inString = false): Suggestion[] {
  const parts = left.split(":")[0].split(".");
  if (left === "@request.context") return contexts.map((v) => ({ label: quoted(v, q), insert: quoted(v, q), detail: "context" }));
  if (left === "@request.method") return methods.map((v) => ({ label: quoted(v, q), insert: quoted(v, q), detail: "method" }));
  const f = target(parts, c, all).field;
  if (f?.type === "select") return (f.values ?? []).map((v) => ({ label: quoted(v, q), insert: quoted(v, q), detail: "choice" }));
  if (f?.type === "bool" && !inString) return ["true", "false"].map((v) => ({ label: v, insert: v, detail: "bool" }));
  return [];
}

/** openQuote is the position of the quote that opens the string pos lies in, or -1. */
function openQuote(text: string, pos: number): number {
  let at = -1;
  for (let i = 0; i < pos; i++) {
    const ch = text[i];
    if (at >= 0) {
      if (ch === "\\") i++;
      else if (ch === text[at]) at = -1;
    } else if (ch === "'" || ch === '"') {
      at = i;
    }
  }
  return at;
}

const comparedWith = /([A-Za-z0-9_@.:]+)\s*\??(?:!=|>=|<=|!~|=|>|<|~)\s*$/;

/**
 * valueCompletion completes a value after an operator: in an open string
 * the quoted values of the left side (undefined when no operator precedes
 * the caret's word, so other completions go on).
 */
function valueCompletion(text: string, caret: number, c: Collection, all: Collection[], force: boolean): Completion | null | undefined {
  const q = openQuote(text, caret);
  if (q >= 0) {
    const m = comparedWith.exec(text.slice(0, q));
    const typed = text.slice(q, caret);
    const items = m ? valuesOf(m[1], c, all, text[q], true).filter((s) => s.label.startsWith(typed) && s.label !== typed) : [];
    const to = text[caret] === text[q] ? caret + 1 : caret;
    return items.length ? { from: q, to, items: items.slice(0, maxItems) } : null;
  }
  const { start, token } = tokenAt(text, caret);
  if (/[.@:]/.test(token)) return undefined;
  const m = comparedWith.exec(text.slice(0, start));
  if (!m) return undefined;
  const values = valuesOf(m[1], c, all, "'");
  if (token === "") return values.length ? { from: start, to: caret, items: values.slice(0, maxItems) } : force ? undefined : null;
  return undefined;
}

/**
 * operandItems are the values and literals that fit token (a bare word)
 * when it follows an operator: 'draft' for dr after a select, true for tr.
 */
function operandItems(text: string, start: number, token: string, c: Collection, all: Collection[]): Suggestion[] {
  const m = comparedWith.exec(text.slice(0, start));
  if (!m || token === "") return [];
  const values = valuesOf(m[1], c, all, "'");
  const bare = (s: Suggestion) => s.label.replace(/^'|'$/g, "");
  return [
    ...values.filter((s) => matches(bare(s), token)),
    ...literals.filter((l) => matches(l, token) && l !== token).map((l) => ({ label: l, insert: l, detail: "literal" })),
  ];
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
  const value = valueCompletion(text, caret, c, all, force);
  if (value !== undefined) return value;
  if (insideString(text, caret)) return null;
  const { start, token } = tokenAt(text, caret);
  if (token === "" && !force) return null;
  if (/^[0-9]/.test(token)) return null;
  const done = (from: number, items: Suggestion[]): Completion | null =>
    items.length ? { from, to: caret, items: items.slice(0, maxItems) } : null;

  const colon = token.lastIndexOf(":");
  const lastDot = token.lastIndexOf(".");
  // In @collection.<name>:<alias> the colon names an alias, not a modifier.
  const alias = token.startsWith("@collection.") && token.slice(0, colon).split(".").length < 3;
  if (colon > lastDot && !alias) {
    const mod = token.slice(colon + 1);
    const mods = modifiersOf(target(token.slice(0, colon).split("."), c, all));
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
      let cur: Place;
      switch (parts[1]) {
        case "auth": {
          if (parts.length === 2) return done(from, authItems(all, last));
          const f = authField(parts[2], all);
          cur = f?.type === "relation" ? all.find((x) => x.id === f.collectionId) : f?.type === "geoPoint" && parts.length === 3 ? "geo" : undefined;
          break;
        }
        case "body":
          if (parts.length === 2) {
            return done(
              from,
              filterFields(c)
                .filter((f) => matches(f.name, last))
                .map((f) => ({ label: f.name, insert: f.name, detail: `sent ${fieldDetail(f, all)}` })),
            );
          }
          cur = follow(c, [parts[2]], all);
          break;
        case "headers":
          return parts.length === 2 ? done(from, headerItems.filter((s) => matches(s.label, last))) : null;
        default:
          return null;
      }
      const items = itemsAt(follow(cur, parts.slice(3), all), all, last);
      return items ? done(from, items) : null;
    }
    if (parts[0] === "@collection") {
      if (parts.length === 1) {
        return done(
          from,
          all.filter((x) => matches(x.name, last)).map((x) => ({ label: `${x.name}.`, insert: `${x.name}.`, detail: `${x.type} collection` })),
        );
      }
      const items = itemsAt(follow(all.find((x) => x.name === parts[1].split(":")[0]), parts.slice(2), all), all, last);
      return items ? done(from, items) : null;
    }
    return null;
  }

  const items = itemsAt(follow(c, head ? head.slice(0, -1).split(".") : [], all), all, last);
  if (!items) return null;
  if (!head) items.unshift(...operandItems(text, start, token, c, all));
  if (!head) items.push(...functions.filter((s) => matches(s.label, last)));
  if (!head && last === "") items.push({ label: "@request.auth.", insert: "@request.auth.", detail: "the signed-in user" });
  return done(from, items);
}

/** apply inserts a suggestion, returning the new text and caret. */
export function applySuggestion(text: string, c: Completion, s: Suggestion): { text: string; caret: number } {
  const next = text.slice(0, c.from) + s.insert + text.slice(c.to);
  return { text: next, caret: c.from + s.insert.length };
}
