import type {
  AuthCollection,
  AuthOptions,
  Collection,
  CollectionInput,
  CollectionType,
  Field,
  FieldError,
} from "../lib/api";
import { newField } from "./fieldTypes";

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

/** randomString returns n characters from [a-z0-9]. */
export function randomString(n: number): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** newFieldId returns an id for a new field, as the server makes them. */
export function newFieldId(type: string): string {
  return type + randomString(10);
}

const reserved = new Set(["null", "true", "false", "expand", "collectionid", "collectionname", "pg_catalog", "information_schema", "public"]);

/** checkName validates a collection or field name as the server does; "" when fine. */
export function checkName(name: string, system = false): string {
  if (name === "") return "Cannot be blank.";
  if (name.length > 63) return "Must be at most 63 characters.";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return "Must start with a letter or underscore and contain only letters, digits and underscores.";
  }
  if (name.startsWith("_") && !system) return "Names starting with an underscore are reserved for system collections and fields.";
  if (reserved.has(name.toLowerCase())) return `"${name}" is a reserved word.`;
  return "";
}

function idField(): Field {
  return {
    ...newField("text", "id"),
    id: "text3208210256",
    system: true,
    required: true,
    min: 15,
    max: 15,
    pattern: "^[a-z0-9]+$",
    autogeneratePattern: "[a-z0-9]{15}",
    primaryKey: true,
  };
}

function autodates(): Field[] {
  return [
    { ...newField("autodate", "created"), id: newFieldId("autodate"), onCreate: true, onUpdate: false },
    { ...newField("autodate", "updated"), id: newFieldId("autodate"), onCreate: true, onUpdate: true },
  ];
}

function authFields(): Field[] {
  return [
    { ...newField("password", "password"), id: newFieldId("password"), system: true, hidden: true, required: true },
    {
      ...newField("text", "tokenKey"),
      id: newFieldId("text"),
      system: true,
      hidden: true,
      required: true,
      min: 30,
      max: 60,
      autogeneratePattern: "[a-zA-Z0-9]{50}",
    },
    { ...newField("email", "email"), id: newFieldId("email"), system: true, required: true },
    { ...newField("bool", "emailVisibility"), id: newFieldId("bool"), system: true },
    { ...newField("bool", "verified"), id: newFieldId("bool"), system: true },
  ];
}

/** defaultAuthOptions are a new auth collection's options; empty templates get the server's defaults. */
export function defaultAuthOptions(): AuthOptions {
  const tpl = () => ({ subject: "", body: "" });
  return {
    authRule: "",
    manageRule: null,
    passwordAuth: { enabled: true, identityFields: ["email"] },
    oauth2: { enabled: false, mappedFields: { id: "", name: "", username: "", avatarURL: "" }, providers: [] },
    mfa: { enabled: false, duration: 10 * 60, rule: "" },
    otp: { enabled: false, duration: 3 * 60, length: 8, emailTemplate: tpl() },
    authAlert: { enabled: true, emailTemplate: tpl() },
    authToken: { duration: 7 * 24 * 3600 },
    passwordResetToken: { duration: 30 * 60 },
    emailChangeToken: { duration: 30 * 60 },
    verificationToken: { duration: 3 * 24 * 3600 },
    fileToken: { duration: 3 * 60 },
    verificationTemplate: tpl(),
    resetPasswordTemplate: tpl(),
    confirmEmailChangeTemplate: tpl(),
  };
}

/** newCollection returns the draft of a new collection of the given type. */
export function newCollection(type: CollectionType, name = ""): Collection {
  const common = {
    id: "",
    name,
    system: false,
    indexes: [] as string[],
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
  };
  switch (type) {
    case "view":
      return { ...common, type, fields: [], viewQuery: "" };
    case "auth":
      return { ...common, type, fields: [idField(), ...authFields(), ...autodates()], ...defaultAuthOptions() };
    default:
      return { ...common, type: "base", fields: [idField(), ...autodates()] };
  }
}

/** retype turns a draft into another collection type, keeping its name, rules and own fields. */
export function retype(c: Collection, type: CollectionType): Collection {
  const next = newCollection(type, c.name);
  if (type !== "view" && c.type !== "view") {
    const have = new Set(next.fields.map((f) => f.name));
    const own = c.fields.filter((f) => !f.system && !have.has(f.name));
    const lastSystem = next.fields.findIndex((f) => f.type === "autodate");
    next.fields.splice(lastSystem < 0 ? next.fields.length : lastSystem, 0, ...own);
  }
  next.listRule = c.listRule;
  next.viewRule = c.viewRule;
  next.createRule = c.createRule;
  next.updateRule = c.updateRule;
  next.deleteRule = c.deleteRule;
  return next;
}

/** renameIndex gives an index definition a new index name. */
export function renameIndex(def: string, name: string): string {
  return def.replace(/^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+)(`[^`]*`|"[^"]*"|\S+)/i, `$1\`${name}\``);
}

/** duplicate returns a new-collection draft copying c under another name. */
export function duplicate(c: Collection, name: string): Collection {
  const copy = plain(c);
  copy.id = "";
  copy.name = name;
  copy.system = false;
  delete copy.created;
  delete copy.updated;
  copy.fields = copy.fields.map((f) => ({ ...f, id: f.name === "id" ? f.id : newFieldId(f.type) }));
  copy.indexes = copy.indexes.map((ix) => renameIndex(ix, `idx_${randomString(10)}`));
  return copy;
}

function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const authKeys: (keyof AuthOptions)[] = Object.keys(defaultAuthOptions()) as (keyof AuthOptions)[];

/** payload is the JSON the server gets for a draft. */
export function payload(c: Collection): CollectionInput {
  const out = plain(c) as CollectionInput & { created?: string; updated?: string };
  delete out.created;
  delete out.updated;
  if (!out.id) delete out.id;
  if (c.type === "view") {
    delete out.fields;
    delete out.indexes;
  }
  if (c.type !== "auth") {
    for (const k of authKeys) delete out[k];
  }
  return out;
}

/** authOptions picks the auth options of an auth collection. */
export function authOptionsOf(c: AuthCollection): AuthOptions {
  const o = {} as Record<string, unknown>;
  for (const k of authKeys) o[k] = c[k];
  return o as unknown as AuthOptions;
}

/** sameJSON compares two values by their JSON. */
export function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** moveItem returns list with the item at from moved to to. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return list;
  const out = list.slice();
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

/** Problem is a validation error with a readable place. */
export interface Problem {
  key: string;
  where: string;
  message: string;
}

/** SentField is a field as the dashboard sent it: the server's "fields.<i>" keys count these. */
export type SentField = Partial<Pick<Field, "id" | "name">>;

/**
 * describeErrors lists errors with their place named after the fields sent
 * ("Field "title"", "Index 2").
 */
export function describeErrors(errors: Record<string, FieldError>, c: { fields?: SentField[] }): Problem[] {
  return Object.entries(errors).map(([key, e]) => {
    const parts = key.split(".");
    let where = key;
    if (parts[0] === "fields" && parts.length > 1) {
      const f = c.fields?.[Number(parts[1])];
      where = `Field ${f ? `"${f.name}"` : `#${Number(parts[1]) + 1}`}${parts.length > 2 ? ` (${parts.slice(2).join(".")})` : ""}`;
    } else if (parts[0] === "indexes" && parts.length > 1) {
      where = `Index #${Number(parts[1]) + 1}`;
    }
    return { key, where, message: e.message };
  });
}

/** FieldProblems are the server's errors about one field. */
export interface FieldProblems {
  /** field is about the field as a whole ("fields.3"). */
  field?: string;
  /** name is about its name ("fields.3.name"). */
  name?: string;
  /** type is about its type ("fields.3.type"). */
  type?: string;
  /** options are about its options, by option name ("fields.3.min"). */
  options: Record<string, string>;
}

/**
 * fieldProblems sorts the errors about fields by the id of the field sent at
 * the position the key names, so that they stay with their field when the
 * draft's fields move. A deeper key ("fields.3.values.1") counts for its
 * option.
 */
export function fieldProblems(errors: Record<string, FieldError>, sent: SentField[]): Record<string, FieldProblems> {
  const out: Record<string, FieldProblems> = {};
  for (const [key, e] of Object.entries(errors)) {
    const m = /^fields\.(\d+)(?:\.([^.]+))?/.exec(key);
    const id = m ? sent[Number(m[1])]?.id : undefined;
    if (!m || !id) continue;
    const p = (out[id] ??= { options: {} });
    const part = m[2];
    if (part === undefined) p.field = joined(p.field, e.message);
    else if (part === "name" || part === "type") p[part] = joined(p[part], e.message);
    else p.options[part] = joined(p.options[part], e.message);
  }
  return out;
}

function joined(a: string | undefined, b: string): string {
  return a ? `${a} ${b}` : b;
}

/** IndexSpec is what the index builder makes. */
export interface IndexSpec {
  columns: string[];
  unique: boolean;
}

/** buildIndex writes an index in PocketBase's form. */
export function buildIndex(table: string, spec: IndexSpec, name = `idx_${randomString(10)}`): string {
  const cols = spec.columns.map((c) => `\`${c}\``).join(", ");
  return `CREATE ${spec.unique ? "UNIQUE " : ""}INDEX \`${name}\` ON \`${table}\` (${cols})`;
}

/** parseIndex reads the parts of an index definition the dashboard shows; null when unreadable. */
export function parseIndex(def: string): { name: string; unique: boolean; columns: string[]; where?: string } | null {
  const m = /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"]?([^`"\s]+)[`"]?\s+ON\s+[`"]?[^`"\s(]+[`"]?\s*\((.*)\)\s*(?:WHERE\s+(.+?))?\s*;?\s*$/i.exec(def);
  if (!m) return null;
  const columns = m[3]
    .split(",")
    .map((c) => c.trim().replace(/\s+(COLLATE\s+NOCASE|ASC|DESC)\b/gi, "").replace(/[`"]/g, ""))
    .filter(Boolean);
  const parsed: { name: string; unique: boolean; columns: string[]; where?: string } = { name: m[2], unique: !!m[1], columns };
  if (m[4]) parsed.where = m[4].replace(/[`"]/g, "");
  return parsed;
}
