// Autocomplete for the filter bar: field names, one-level relation paths,
// a geoPoint's lon and lat, the modifiers a field takes, functions,
// operators and a few literals, depending on where the cursor is.

import type { Collection, Field } from "../lib/api";

/** Suggestion is one completion: insert replaces text[from, to). */
export interface Suggestion {
  label: string;
  insert: string;
  kind: "field" | "operator" | "join" | "value";
  detail?: string;
}

/** Suggestions are the completions at a cursor position. */
export interface Suggestions {
  from: number;
  to: number;
  items: Suggestion[];
}

/** FilterField is a name the filter can use, with its type. */
export interface FilterField {
  name: string;
  type: string;
  /** values are a select field's choices. */
  values?: string[];
  /** target names the collection of a relation. */
  target?: string;
  /** multi is set for a field holding a list (:each, :length). */
  multi?: boolean;
}

const operators: [string, string][] = [
  ["=", "equal"],
  ["!=", "not equal"],
  [">", "greater"],
  [">=", "greater or equal"],
  ["<", "less"],
  ["<=", "less or equal"],
  ["~", "contains / like"],
  ["!~", "does not contain"],
  ["?=", "any equal"],
  ["?!=", "any not equal"],
  ["?>", "any greater"],
  ["?>=", "any greater or equal"],
  ["?<", "any less"],
  ["?<=", "any less or equal"],
  ["?~", "any contains"],
  ["?!~", "any does not contain"],
];

const macros = ["@now", "@todayStart", "@todayEnd", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd", "@request.auth.id"];

/** functions are the filter language's functions, offered where an operand starts. */
const functions: Suggestion[] = [
  { label: "strftime(", insert: "strftime('%Y-%m-%d', ", kind: "field", detail: "a date as text" },
  { label: "geoDistance(", insert: "geoDistance(", kind: "field", detail: "kilometres between two points" },
];

function asFilterField(f: Field, all: Collection[]): FilterField {
  const out: FilterField = { name: f.name, type: f.type };
  if (Number((f as { maxSelect?: number }).maxSelect ?? 1) > 1) out.multi = true;
  if (f.type === "select") out.values = f.values ?? [];
  if (f.type === "relation") out.target = all.find((c) => c.id === f.collectionId || c.name === f.collectionId)?.name;
  return out;
}

/**
 * filterFields lists what a filter on c may name: its fields and, for each
 * relation, the fields of the target ("author.name"), one level deep.
 */
export function filterFields(c: Collection, all: Collection[]): FilterField[] {
  const out: FilterField[] = [];
  for (const f of c.fields) {
    if (f.type === "password") continue;
    out.push(asFilterField(f, all));
    if (f.type === "geoPoint") {
      out.push({ name: `${f.name}.lon`, type: "number" }, { name: `${f.name}.lat`, type: "number" });
    }
    if (f.type === "relation") {
      const target = all.find((t) => t.id === f.collectionId || t.name === f.collectionId);
      for (const tf of target?.fields ?? []) {
        if (tf.type === "password") continue;
        out.push({ ...asFilterField(tf, all), name: `${f.name}.${tf.name}`, target: undefined });
      }
    }
  }
  return out;
}

type Expect = "left" | "op" | "right" | "join";

interface Token {
  kind: "word" | "string" | "op" | "join" | "open" | "close";
  text: string;
  start: number;
  end: number;
}

const wordChar = /[A-Za-z0-9_.@:]/;
const opChar = /[=!<>~?]/;

/** tokenize splits text into filter tokens; unterminated is set when it ends inside a string. */
export function tokenize(text: string): { tokens: Token[]; unterminated: boolean } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'" || ch === '"') {
      const start = i++;
      while (i < text.length && text[i] !== ch) i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) return { tokens, unterminated: true };
      i++;
      tokens.push({ kind: "string", text: text.slice(start, i), start, end: i });
    } else if (ch === "(" || ch === ")") {
      tokens.push({ kind: ch === "(" ? "open" : "close", text: ch, start: i, end: i + 1 });
      i++;
    } else if ((ch === "&" || ch === "|") && text[i + 1] === ch) {
      tokens.push({ kind: "join", text: ch + ch, start: i, end: i + 2 });
      i += 2;
    } else if (opChar.test(ch)) {
      const start = i;
      while (i < text.length && opChar.test(text[i])) i++;
      tokens.push({ kind: "op", text: text.slice(start, i), start, end: i });
    } else if (wordChar.test(ch) || ch === "-") {
      const start = i++;
      while (i < text.length && wordChar.test(text[i])) i++;
      tokens.push({ kind: "word", text: text.slice(start, i), start, end: i });
    } else {
      tokens.push({ kind: "word", text: ch, start: i, end: i + 1 });
      i++;
    }
  }
  return { tokens, unterminated: false };
}

function advance(expect: Expect, t: Token): Expect {
  switch (t.kind) {
    case "open":
    case "join":
      return "left";
    case "close":
      return "join";
    case "op":
      return "right";
    default:
      return expect === "left" ? "op" : expect === "right" ? "join" : expect;
  }
}

function rank(items: Suggestion[], prefix: string, limit: number, loose = true): Suggestion[] {
  const p = prefix.toLowerCase();
  const starts = items.filter((s) => s.label.toLowerCase().startsWith(p) && s.label !== prefix);
  const contains = p && loose ? items.filter((s) => !s.label.toLowerCase().startsWith(p) && s.label.toLowerCase().includes(p)) : [];
  return [...starts, ...contains].slice(0, limit);
}

function fieldItems(fields: FilterField[], prefix: string): Suggestion[] {
  const dotted = prefix.includes(".");
  return fields
    .filter((f) => f.name.includes(".") === dotted)
    .map((f) => ({
      label: f.name,
      insert: f.name,
      kind: "field" as const,
      detail: f.target ? `relation → ${f.target}` : f.type,
    }));
}

/** modifierItems are the modifiers the field before the colon in prefix takes, as the server accepts them. */
function modifierItems(fields: FilterField[], prefix: string): Suggestion[] {
  const name = prefix.slice(0, prefix.indexOf(":"));
  const f = fields.find((x) => x.name === name);
  if (!f) return [];
  const mods: [string, string][] = f.multi
    ? [
        ["each", "compare each item"],
        ["length", "number of items"],
      ]
    : ["text", "editor", "email", "url", "select"].includes(f.type)
      ? [["lower", "lowercase text"]]
      : [];
  return mods.map(([m, detail]) => ({ label: `${name}:${m}`, insert: `${name}:${m}`, kind: "field" as const, detail }));
}

function valueItems(left: FilterField | undefined): Suggestion[] {
  if (!left) return [];
  const out: Suggestion[] = [];
  if (left.type === "select") {
    for (const v of left.values ?? []) out.push({ label: `'${v}'`, insert: `'${v}'`, kind: "value", detail: "choice" });
  }
  if (left.type === "bool") {
    out.push({ label: "true", insert: "true", kind: "value" }, { label: "false", insert: "false", kind: "value" });
  }
  if (left.type === "date" || left.type === "autodate") {
    for (const m of macros.slice(0, 7)) out.push({ label: m, insert: m, kind: "value", detail: "macro" });
  }
  out.push({ label: "null", insert: "null", kind: "value" });
  return out;
}

/**
 * suggest returns the completions for the filter text at cursor: field
 * names where an operand starts, operators after one, values after an
 * operator (choices of a select, true/false, date macros), && and || after
 * a comparison. Nothing inside a string literal.
 */
export function suggest(text: string, cursor: number, fields: FilterField[], limit = 12): Suggestions {
  const before = text.slice(0, cursor);
  const { tokens, unterminated } = tokenize(before);
  const none = { from: cursor, to: cursor, items: [] };
  if (unterminated) return none;

  // The token under the cursor (touching it) is the one being completed.
  const last = tokens.at(-1);
  const partial = last && last.end === cursor && (last.kind === "word" || last.kind === "op") ? last : undefined;
  const done = partial ? tokens.slice(0, -1) : tokens;

  let expect: Expect = "left";
  let leftName = "";
  for (const t of done) {
    if (expect === "left" && t.kind === "word") leftName = t.text;
    expect = advance(expect, t);
  }
  const left = fields.find((f) => f.name === leftName.split(":")[0]);

  let to = cursor;
  while (to < text.length && partial?.kind === "word" && wordChar.test(text[to])) to++;
  const from = partial ? partial.start : cursor;
  const prefix = partial ? partial.text : "";

  let items: Suggestion[] = [];
  switch (expect) {
    case "left":
      if (partial?.kind === "op") return none;
      if (prefix.includes(":")) {
        items = rank(modifierItems(fields, prefix), prefix, limit, false);
        break;
      }
      items = rank(fieldItems(fields, prefix), prefix, limit);
      if (prefix && !prefix.includes(".")) items.push(...functions.filter((s) => s.label.startsWith(prefix)));
      items = items.slice(0, limit);
      break;
    case "op":
      if (partial?.kind === "word") return none;
      items = rank(
        operators.map(([op, detail]) => ({ label: op, insert: op, kind: "operator" as const, detail })),
        prefix,
        limit,
        false,
      );
      if (partial && items.length === 0) return none;
      break;
    case "right":
      if (partial?.kind === "op") return none;
      items = rank([...valueItems(left), ...fieldItems(fields, prefix)], prefix, limit);
      break;
    case "join":
      if (partial) {
        items = [];
      } else {
        items = [
          { label: "&&", insert: "&&", kind: "join", detail: "and" },
          { label: "||", insert: "||", kind: "join", detail: "or" },
        ];
      }
      break;
  }
  return { from, to, items };
}

/** applySuggestion inserts s into text, followed by a space; it returns the
 * new text and cursor. */
export function applySuggestion(text: string, range: { from: number; to: number }, s: Suggestion): { text: string; cursor: number } {
  const head = text.slice(0, range.from);
  const tail = text.slice(range.to);
  const lead = head && !/[\s(]$/.test(head) && s.kind !== "field" && s.kind !== "value" ? " " : "";
  const insert = lead + s.insert + (tail.startsWith(" ") ? "" : " ");
  return { text: head + insert + tail, cursor: head.length + insert.length + (tail.startsWith(" ") ? 1 : 0) };
}
