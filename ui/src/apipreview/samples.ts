import type { Collection, Field } from "../lib/api";

/** placeholderId stands for a record id in examples. */
export const placeholderId = "RECORD_ID";

/** sampleValue is an example value for a field, valid for its type and limits. */
export function sampleValue(field: Field): unknown {
  switch (field.type) {
    case "text":
      return fit(`Sample ${field.name}`, field.min, field.max);
    case "editor":
      return "<p>Sample content</p>";
    case "number": {
      let n = field.onlyInt ? 42 : 12.5;
      if (field.min !== null && n < field.min) n = field.min;
      if (field.max !== null && n > field.max) n = field.max;
      return n;
    }
    case "bool":
      return true;
    case "email":
      return `user@${field.onlyDomains?.[0] || "example.com"}`;
    case "url":
      return `https://${field.onlyDomains?.[0] || "example.com"}`;
    case "date":
      return field.min || "2026-01-01 10:00:00.000Z";
    case "autodate":
      return "2026-01-01 10:00:00.000Z";
    case "select": {
      const values = field.values ?? [];
      return field.maxSelect > 1 ? values.slice(0, Math.min(2, field.maxSelect)) : (values[0] ?? "");
    }
    case "json":
      return { key: "value" };
    case "geoPoint":
      return { lon: 12.4964, lat: 41.9028 };
    case "relation":
      return field.maxSelect > 1 ? [placeholderId] : placeholderId;
    case "password":
      return fit("secret-password", Math.max(field.min, 8), field.max);
    case "file":
      return field.maxSelect > 1 ? ["photo_4hd7s0vq2m.png"] : "photo_4hd7s0vq2m.png";
  }
}

/** fit pads or cuts s to the length limits (0: no limit). */
function fit(s: string, min: number, max: number): string {
  let out = s;
  while (min > 0 && out.length < min) out += "x";
  if (max > 0 && out.length > max) out = out.slice(0, max);
  return out;
}

const authSystemInput = new Set(["email", "emailVisibility", "password"]);

/**
 * writableFields are the fields a create request may carry: not the id, not
 * autodates, not the auth system fields set by the server (tokenKey,
 * verified). View collections have none.
 */
export function writableFields(c: Collection): Field[] {
  if (c.type === "view") return [];
  return c.fields.filter((f) => {
    if (f.type === "autodate") return false;
    if (f.system) return c.type === "auth" && authSystemInput.has(f.name);
    return true;
  });
}

/** sampleBody is a create request body with a sample value for every
 * writable field but files, which a JSON body cannot carry (they are sent
 * as multipart/form-data). */
export function sampleBody(c: Collection): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of writableFields(c)) {
    if (f.type === "file") continue;
    body[f.name] = sampleValue(f);
    if (f.type === "password") body[`${f.name}Confirm`] = body[f.name];
  }
  return body;
}

/** sampleUpdate is an update body: the first writable own field, else a writable system field that is not a credential. */
export function sampleUpdate(c: Collection): Record<string, unknown> {
  const fields = writableFields(c).filter((x) => x.type !== "password" && x.type !== "file" && !(c.type === "auth" && x.name === "email"));
  const f = fields.find((x) => !x.system) ?? fields[0];
  return f ? { [f.name]: sampleValue(f) } : {};
}

/** readableFields are the fields a record carries in responses. */
export function readableFields(c: Collection): Field[] {
  return c.fields.filter((f) => !f.hidden && f.type !== "password");
}

/** sampleRecord is a record as the API would return it. */
export function sampleRecord(c: Collection): Record<string, unknown> {
  const r: Record<string, unknown> = { collectionId: c.id, collectionName: c.name };
  for (const f of readableFields(c)) {
    r[f.name] = f.type === "text" && f.primaryKey ? placeholderId : sampleValue(f);
  }
  return r;
}

/** sampleFilter is a filter over one of the collection's fields. */
export function sampleFilter(c: Collection): string {
  const fields = c.fields.filter((f) => !f.hidden && !(f.system && f.name === "id"));
  const num = fields.find((f) => f.type === "number");
  if (num) return `${num.name} > 0`;
  const text = fields.find((f) => f.type === "text" || f.type === "editor");
  if (text) return `${text.name} ~ 'sample'`;
  const address = fields.find((f) => f.type === "email" || f.type === "url");
  if (address) return `${address.name} ~ 'example'`;
  const bool = fields.find((f) => f.type === "bool");
  if (bool) return `${bool.name} = true`;
  return "id != ''";
}

/** sampleSort sorts by newest first when there is a "created" field. */
export function sampleSort(c: Collection): string {
  return c.fields.some((f) => f.name === "created") ? "-created" : "-id";
}

/** sampleExpand names the first relation field, or "". */
export function sampleExpand(c: Collection): string {
  return c.fields.find((f) => f.type === "relation" && !f.hidden)?.name ?? "";
}

/** sampleLookup is a field and value to find one record by: a text-like field, else the id. */
export function sampleLookup(c: Collection): { field: string; value: unknown } {
  const f = c.fields.find((x) => !x.hidden && !(x.type === "text" && x.primaryKey) && (x.type === "text" || x.type === "email"));
  return f ? { field: f.name, value: sampleValue(f) } : { field: "id", value: placeholderId };
}
