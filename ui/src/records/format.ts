// Record values per field type: display text for the grid, and the
// conversions between the API's values and what the editors hold.

import type { Field, GeoPoint, RecordModel } from "../lib/api";

// ---------------------------------------------------------------- dates

const apiDate = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** parseApiDate reads the API's "2006-01-02 15:04:05.000Z" (UTC); "" or junk is null. */
export function parseApiDate(s: unknown): Date | null {
  if (typeof s !== "string") return null;
  const m = apiDate.exec(s.trim());
  if (!m) return null;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}.${(m[7] ?? "0").padEnd(3, "0").slice(0, 3)}${m[8] ?? "Z"}`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** toApiDate writes d in the API's format, in UTC. */
export function toApiDate(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`
  );
}

/** apiToLocalInput turns an API date into a datetime-local value (local time); "" when unset. */
export function apiToLocalInput(s: unknown): string {
  const d = parseApiDate(s);
  if (!d) return "";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** localInputToApi turns a datetime-local value (local time) into an API date (UTC); "" stays "". */
export function localInputToApi(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(v.trim());
  if (!m) return "";
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), +(m[7] ?? "0").padEnd(3, "0"));
  return Number.isNaN(d.getTime()) ? "" : toApiDate(d);
}

/** formatDate shows an API date in local time, "2026-01-02 10:30:00"; junk is shown as is. */
export function formatDate(s: unknown): string {
  if (s === "" || s === null || s === undefined) return "";
  const local = apiToLocalInput(s);
  return local ? local.replace("T", " ") : String(s);
}

// ---------------------------------------------------------------- grid cells

/** truncate shortens s to max characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
}

/** stripHTML turns editor content into plain text. */
export function stripHTML(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>|<\/(p|div|li|h\d)>/gi, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** asList normalizes a select or relation value to a list of strings. */
export function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined && x !== "").map(String);
  if (v === null || v === undefined || v === "") return [];
  return [String(v)];
}

/** cellText is the plain text a grid cell shows for field types shown as text. */
export function cellText(field: Pick<Field, "type">, v: unknown, max = 60): string {
  if (v === null || v === undefined) return "";
  switch (field.type) {
    case "date":
    case "autodate":
      return formatDate(v);
    case "json":
      return truncate(JSON.stringify(v) ?? "", max);
    case "geoPoint":
      return formatGeoPoint(v);
    case "editor":
      return truncate(stripHTML(String(v)), max);
    case "number":
      return String(v);
    case "select":
    case "relation":
      return asList(v).join(", ");
    case "bool":
      return v ? "true" : "false";
    case "password":
      return "";
    default:
      return truncate(String(v), max);
  }
}

/** presentableField is the field that names a record of c: the first
 * presentable one, else none. */
export function presentableField(fields: Field[]): Field | undefined {
  return fields.find((f) => f.presentable && f.type !== "password");
}

/** relationLabel is what a related record is shown as: its presentable value, else its id. */
export function relationLabel(rec: RecordModel | undefined, presentable: string | undefined, id: string): string {
  if (!rec || !presentable) return id;
  const v = rec[presentable];
  if (v === null || v === undefined || v === "") return id;
  return truncate(Array.isArray(v) ? v.join(", ") : String(v), 40);
}

// ---------------------------------------------------------------- editor values

/** parseNumber reads a number input; "" is null. Anything else not a number is an error. */
export function parseNumber(s: string): { value: number | null; error?: string } {
  const t = s.trim();
  if (t === "") return { value: null };
  const n = Number(t);
  return Number.isFinite(n) ? { value: n } : { value: null, error: "Not a number." };
}

/** formatJSON shows a JSON value in the editor: pretty, "" for null. */
export function formatJSON(v: unknown): string {
  if (v === null || v === undefined) return "";
  return JSON.stringify(v, null, 2);
}

/** parseJSON reads the JSON editor's text; "" is null. */
export function parseJSON(s: string): { value: unknown; error?: string } {
  if (s.trim() === "") return { value: null };
  try {
    return { value: JSON.parse(s) };
  } catch (err) {
    return { value: null, error: `Invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

// ---------------------------------------------------------------- geo points

/** asGeoPoint reads a geoPoint value as the API gives it (an object, or its
 * JSON text); anything else is the zero point. */
export function asGeoPoint(v: unknown): GeoPoint {
  let x = v;
  if (typeof x === "string") {
    try {
      x = JSON.parse(x);
    } catch {
      return { lon: 0, lat: 0 };
    }
  }
  if (x === null || typeof x !== "object") return { lon: 0, lat: 0 };
  const o = x as Record<string, unknown>;
  const num = (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? n : 0);
  return { lon: num(o.lon), lat: num(o.lat) };
}

/** formatGeoPoint shows a point in a grid cell, "lon 12.4964, lat 41.9028";
 * the zero point (unset) is "". */
export function formatGeoPoint(v: unknown): string {
  const p = asGeoPoint(v);
  if (p.lon === 0 && p.lat === 0) return "";
  return `lon ${p.lon}, lat ${p.lat}`;
}

/** parseCoordinate reads the lon or lat input of the point editor: "" is 0,
 * and the value must be a number within ±180 (lon) or ±90 (lat) degrees. */
export function parseCoordinate(axis: "lon" | "lat", s: string): { value: number; error?: string } {
  const t = s.trim();
  if (t === "") return { value: 0 };
  const n = Number(t);
  if (!Number.isFinite(n)) return { value: 0, error: `The ${axis === "lon" ? "longitude" : "latitude"} is not a number.` };
  const limit = axis === "lon" ? 180 : 90;
  if (n < -limit || n > limit) {
    return { value: n, error: `${axis === "lon" ? "Longitude" : "Latitude"} must be between -${limit} and ${limit} degrees.` };
  }
  return { value: n };
}

/** toggleChoice adds or removes choice in a select/relation value: single (max ≤ 1)
 * values are a string, multiple ones a list of at most max. */
export function toggleChoice(current: unknown, choice: string, max: number): string | string[] {
  const list = asList(current);
  if (max <= 1) return list[0] === choice ? "" : choice;
  if (list.includes(choice)) return list.filter((x) => x !== choice);
  if (list.length >= max) return list;
  return [...list, choice];
}

/** emptyValue is a new record's value of field. */
export function emptyValue(field: Field): unknown {
  switch (field.type) {
    case "bool":
      return false;
    case "number":
      return null;
    case "json":
      return null;
    case "geoPoint":
      return { lon: 0, lat: 0 };
    case "select":
    case "relation":
      return field.maxSelect > 1 ? [] : "";
    default:
      return "";
  }
}

/** quote writes s as a filter string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
