// The dashboard's HTTP client: every request to the server goes through here.

import { FileTokenCache } from "./fileToken";

// ---------------------------------------------------------------- errors

/** FieldError is one validation problem, as the server reports it. */
export interface FieldError {
  code: string;
  message: string;
}

/** ErrorData is the nested `data` of an error response. */
export interface ErrorData {
  [key: string]: FieldError | ErrorData;
}

function isFieldError(v: unknown): v is FieldError {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as FieldError).code === "string" &&
    typeof (v as FieldError).message === "string"
  );
}

/**
 * flattenErrors turns nested error data into dotted keys:
 * `{fields: {"3": {name: {code, message}}}}` becomes `{"fields.3.name": {code, message}}`.
 */
export function flattenErrors(data: unknown, prefix = ""): Record<string, FieldError> {
  const out: Record<string, FieldError> = {};
  if (typeof data !== "object" || data === null) return out;
  if (isFieldError(data) && prefix) out[prefix] = { code: data.code, message: data.message };
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== "object" || v === null) continue;
    Object.assign(out, flattenErrors(v, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

/** ApiError is a failed request: the server's `{status, message, data}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly data: ErrorData;
  /** fields holds the validation problems by dotted path ("fields.3.name"). */
  readonly fields: Record<string, FieldError>;
  /**
   * mfaId is set when a first sign-in method succeeded and the server asks
   * for a second one (401 {mfaId}): send it with the second method.
   */
  readonly mfaId: string;

  constructor(status: number, message: string, data: ErrorData = {}, mfaId = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.data = data;
    this.fields = flattenErrors(data);
    this.mfaId = mfaId;
  }

  /** fromBody reads an error response body (anything JSON, or nothing). */
  static fromBody(status: number, body: unknown): ApiError {
    if (typeof body === "object" && body !== null) {
      const b = body as { message?: unknown; data?: unknown; mfaId?: unknown };
      if (status === 401 && typeof b.mfaId === "string" && b.mfaId) {
        return new ApiError(status, "A second sign-in method is required.", {}, b.mfaId);
      }
      const message = typeof b.message === "string" && b.message ? b.message : defaultMessage(status);
      const data = typeof b.data === "object" && b.data !== null ? (b.data as ErrorData) : {};
      return new ApiError(status, message, data);
    }
    return new ApiError(status, defaultMessage(status));
  }
}

function defaultMessage(status: number): string {
  if (status === 0) return "The server cannot be reached.";
  if (status === 401) return "Please sign in again.";
  if (status === 403) return "You are not allowed to do this.";
  if (status === 404) return "The requested resource wasn't found.";
  if (status === 413) return "The request is larger than the server accepts (too large a file?).";
  if (status === 429) return "Too many requests; try again shortly.";
  if (status >= 500) return "Something went wrong while processing your request.";
  return `The request failed (${status}).`;
}

/** errorMessage gives a message for anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------- fields

/** FieldType names every field type the server knows. */
export type FieldType =
  | "text"
  | "number"
  | "bool"
  | "email"
  | "url"
  | "editor"
  | "date"
  | "autodate"
  | "select"
  | "json"
  | "relation"
  | "password"
  | "geoPoint"
  | "file";

interface FieldCommon {
  id: string;
  name: string;
  system: boolean;
  hidden: boolean;
  presentable: boolean;
  required: boolean;
}

export interface TextField extends FieldCommon {
  type: "text";
  min: number;
  max: number;
  pattern: string;
  autogeneratePattern: string;
  primaryKey: boolean;
}
export interface NumberField extends FieldCommon {
  type: "number";
  min: number | null;
  max: number | null;
  onlyInt: boolean;
}
export interface BoolField extends FieldCommon {
  type: "bool";
}
export interface EmailField extends FieldCommon {
  type: "email";
  exceptDomains: string[] | null;
  onlyDomains: string[] | null;
}
export interface URLField extends FieldCommon {
  type: "url";
  exceptDomains: string[] | null;
  onlyDomains: string[] | null;
}
export interface EditorField extends FieldCommon {
  type: "editor";
  maxSize: number;
  convertURLs: boolean;
}
export interface DateField extends FieldCommon {
  type: "date";
  min: string;
  max: string;
}
export interface AutodateField extends FieldCommon {
  type: "autodate";
  onCreate: boolean;
  onUpdate: boolean;
}
export interface SelectField extends FieldCommon {
  type: "select";
  values: string[] | null;
  maxSelect: number;
}
export interface JSONField extends FieldCommon {
  type: "json";
  maxSize: number;
}
export interface RelationField extends FieldCommon {
  type: "relation";
  collectionId: string;
  cascadeDelete: boolean;
  minSelect: number;
  maxSelect: number;
}
export interface PasswordField extends FieldCommon {
  type: "password";
  min: number;
  max: number;
  cost: number;
}

/** GeoPointField holds a {lon, lat} point; it has no options. */
export interface GeoPointField extends FieldCommon {
  type: "geoPoint";
}

/**
 * FileField holds the names of files stored with the record: one, or up
 * to maxSelect. maxSize is in bytes (0: the server's default), mimeTypes
 * limits the types (empty: any), thumbs lists the extra thumbnail sizes
 * ("100x50", "0x50f", …), and a protected file is read with a file token.
 */
export interface FileField extends FieldCommon {
  type: "file";
  maxSelect: number;
  maxSize: number;
  mimeTypes: string[] | null;
  thumbs: string[] | null;
  protected: boolean;
}

/** GeoPoint is the value of a geoPoint field. */
export interface GeoPoint {
  lon: number;
  lat: number;
}

/** Field is one column of a collection, discriminated by `type`. */
export type Field =
  | TextField
  | NumberField
  | BoolField
  | EmailField
  | URLField
  | EditorField
  | DateField
  | AutodateField
  | SelectField
  | JSONField
  | RelationField
  | PasswordField
  | GeoPointField
  | FileField;

/** FieldOf picks the field interface of one type. */
export type FieldOf<T extends FieldType> = Extract<Field, { type: T }>;

// ---------------------------------------------------------------- collections

export type CollectionType = "base" | "auth" | "view";

/** Rule is a PocketBase API rule: null = superusers only, "" = everyone, else a filter. */
export type Rule = string | null;

interface CollectionCommon {
  id: string;
  name: string;
  system: boolean;
  fields: Field[];
  indexes: string[];
  listRule: Rule;
  viewRule: Rule;
  createRule: Rule;
  updateRule: Rule;
  deleteRule: Rule;
  created?: string;
  updated?: string;
}

export interface TokenOptions {
  duration: number;
}
export interface EmailTemplate {
  subject: string;
  body: string;
}
export interface OAuth2Provider {
  name: string;
  displayName: string;
  clientId: string;
  clientSecret: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  pkce: boolean | null;
  scopes?: string[];
}
/** MFAOptions: with enabled, a sign-in needs two different methods within duration seconds, for the records rule matches (every record when empty). */
export interface MFAOptions {
  enabled: boolean;
  duration: number;
  rule: string;
}
/** OTPOptions: sign-in with a code of length digits sent by email, valid for duration seconds. */
export interface OTPOptions {
  enabled: boolean;
  duration: number;
  length: number;
  emailTemplate: EmailTemplate;
}
/** AuthAlertOptions: an email to a user who signs in from a new location. */
export interface AuthAlertOptions {
  enabled: boolean;
  emailTemplate: EmailTemplate;
}
export interface AuthOptions {
  authRule: Rule;
  manageRule: Rule;
  passwordAuth: { enabled: boolean; identityFields: string[] };
  oauth2: {
    enabled: boolean;
    mappedFields: { id: string; name: string; username: string; avatarURL: string };
    providers: OAuth2Provider[] | null;
  };
  mfa: MFAOptions;
  otp: OTPOptions;
  authAlert: AuthAlertOptions;
  authToken: TokenOptions;
  passwordResetToken: TokenOptions;
  emailChangeToken: TokenOptions;
  verificationToken: TokenOptions;
  fileToken: TokenOptions;
  verificationTemplate: EmailTemplate;
  resetPasswordTemplate: EmailTemplate;
  confirmEmailChangeTemplate: EmailTemplate;
}

export interface BaseCollection extends CollectionCommon {
  type: "base";
}
export interface ViewCollection extends CollectionCommon {
  type: "view";
  viewQuery: string;
}
export interface AuthCollection extends CollectionCommon, AuthOptions {
  type: "auth";
}

/** Collection is PocketBase's collection JSON, discriminated by `type`. */
export type Collection = BaseCollection | ViewCollection | AuthCollection;

/** CollectionInput is what create, update and import accept: any part of a collection. */
export type CollectionInput = Partial<Omit<AuthCollection, "type" | "fields">> &
  Partial<Omit<ViewCollection, "type" | "fields">> & { type?: CollectionType; fields?: Partial<Field>[] };

/** PlanStep is one SQL statement of a schema change. */
export interface PlanStep {
  sql: string;
  description: string;
  impact?: string;
  /** affectedRows is -1 when not applicable. */
  affectedRows: number;
}

/** SchemaPlan is the SQL one collection's change would run. */
export interface SchemaPlan {
  steps: PlanStep[];
  blocked: string[] | null;
}

/** DryRunResult answers a request made with dryRun. */
export interface DryRunResult {
  dryRun: true;
  collection?: Collection;
  plans: SchemaPlan[];
}

/** SaveOptions are the schema change query parameters. */
export interface SaveOptions {
  dryRun?: boolean;
  allowDataLoss?: boolean;
}

// ---------------------------------------------------------------- records

/** RecordModel is one record as the API returns it. */
export interface RecordModel {
  id: string;
  collectionId: string;
  collectionName: string;
  expand?: Record<string, RecordModel | RecordModel[]>;
  [field: string]: unknown;
}

/** ListResult is one page of a list. */
export interface ListResult<T> {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: T[];
}

/** ListOptions are the query parameters of record lists. */
export interface ListOptions {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
  fields?: string;
  expand?: string;
  skipTotal?: boolean;
}

/** ViewOptions are the query parameters of single record reads and writes. */
export interface ViewOptions {
  fields?: string;
  expand?: string;
}

/** BatchRequest is one sub-request of `POST /api/batch`. */
export interface BatchRequest {
  method: "POST" | "PATCH" | "PUT" | "DELETE";
  /** url is "/api/collections/{c}/records[/{id}]". */
  url: string;
  body?: Record<string, unknown>;
}

/** BatchResult answers one sub-request of a batch. */
export interface BatchResult {
  status: number;
  body: unknown;
}

/** AuthResponse answers sign-in, refresh and setup. */
export interface AuthResponse {
  token: string;
  record: RecordModel;
}

// ---------------------------------------------------------------- settings

export interface RateLimitRule {
  label: string;
  audience: string;
  duration: number;
  maxRequests: number;
}

export interface Settings {
  meta: {
    appName: string;
    appURL: string;
    senderName: string;
    senderAddress: string;
    hideControls: boolean;
  };
  smtp: {
    enabled: boolean;
    host: string;
    port: number;
    username: string;
    /** passwordSet tells whether a password is stored; it is never sent back. */
    passwordSet: boolean;
    authMethod: string;
    tls: boolean;
    tlsMode: "none" | "starttls" | "tls";
  };
  rateLimits: { enabled: boolean; rules: RateLimitRule[] };
  logs: LogsSettings;
  metrics: MetricsSettings;
  /** audit: how many days the audit log keeps its entries (0: none); absent from older servers. */
  audit?: AuditSettings;
}

/** AuditSettings decide how long the audit log keeps its entries: retentionDays days (0 keeps none). */
export interface AuditSettings {
  retentionDays: number;
}

/**
 * MetricsSettings decide who may read GET /metrics: nobody while disabled,
 * then a scraper sending the bearer token or one from allowedAddresses
 * (addresses or CIDR ranges). The token is never sent back: tokenSet tells
 * whether one is stored.
 */
export interface MetricsSettings {
  enabled: boolean;
  tokenSet: boolean;
  allowedAddresses: string[];
}

/**
 * LogsSettings decide what the request log keeps, as PocketBase's: requests
 * of minLevel and up (-4 debug, 0 info, 4 warn, 8 error) for maxDays days
 * (0: none), the client address with logIP, the record id with logAuthId.
 */
export interface LogsSettings {
  maxDays: number;
  minLevel: number;
  logIP: boolean;
  logAuthId: boolean;
}

/** SettingsPatch changes settings; smtp.password: a string sets it, null clears it. */
export interface SettingsPatch {
  meta?: Partial<Settings["meta"]>;
  smtp?: Partial<Omit<Settings["smtp"], "passwordSet" | "tls">> & { password?: string | null };
  rateLimits?: Partial<Settings["rateLimits"]>;
  logs?: Partial<LogsSettings>;
  /** metrics.token: a string sets it, null clears it. */
  metrics?: { enabled?: boolean; token?: string | null; allowedAddresses?: string[] };
  audit?: Partial<AuditSettings>;
}

/** TestEmailTemplate names the emails `POST /api/settings/test/email` can send. */
export type TestEmailTemplate = "verification" | "password-reset" | "email-change";

// ---------------------------------------------------------------- logs

/** LogLevel is PocketBase's: 0 (info) for a request that succeeded, 8
 * (error) for one that failed, 4xx included. */
export type LogLevel = number;

/** LogEntry is one request from the request log. */
export interface LogEntry {
  id: string;
  created: string;
  level: LogLevel;
  message: string;
  data: {
    method: string;
    url: string;
    status: number;
    /** execTime is in milliseconds. */
    execTime: number;
    /** auth is "" for guests, else the collection of the signed-in record. */
    auth: string;
    /** authId is the signed-in record's id, when the logs settings keep it (logAuthId). */
    authId?: string;
    /** ip is the client's address, when the logs settings keep it (logIP). */
    ip?: string;
    requestId: string;
    [key: string]: unknown;
  };
}

/** LogStat counts the requests of one minute. */
export interface LogStat {
  date: string;
  total: number;
}

/** LogListOptions are the query parameters of the request log. */
export interface LogListOptions {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
}

// ---------------------------------------------------------------- insights

/** InsightIndex is an index of a collection's table. */
export interface InsightIndex {
  name: string;
  /** columns are the key columns in order: names, or expressions in parentheses. */
  columns: string[];
  unique: boolean;
  primary: boolean;
  /** size is in bytes. */
  size: number;
  /** scans counts index scans since the statistics were reset. */
  scans: number;
  /** unused: no scan and no constraint to enforce. */
  unused: boolean;
  /** definition is the index as the collection's indexes hold it ("" for those Lumbung keeps itself). */
  definition: string;
}

/** SlowList is a filter and sort of this node's sampled list requests, timed in milliseconds. */
export interface SlowList {
  filter: string;
  sort: string;
  count: number;
  meanMs: number;
  maxMs: number;
  last: string;
}

/** SlowStatement is one of pg_stat_statements' slowest reads of a table. */
export interface SlowStatement {
  query: string;
  calls: number;
  meanMs: number;
  maxMs: number;
  totalMs: number;
  rows: number;
}

/** IndexSuggestion proposes an index (in the collection's indexes syntax) for a field often filtered or sorted on. */
export interface IndexSuggestion {
  field: string;
  filters: number;
  sorts: number;
  index: string;
}

/** CollectionInsight is the database's figures of one collection's table. */
export interface CollectionInsight {
  id: string;
  name: string;
  type: CollectionType;
  system: boolean;
  /** rows is counted when rowsExact, else the planner's estimate (-1: never analyzed). */
  rows: number;
  rowsExact: boolean;
  tableSize: number;
  indexesSize: number;
  totalSize: number;
  liveRows: number;
  deadRows: number;
  seqScans: number;
  indexScans: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  indexes: InsightIndex[];
  /** sampled is the number of this node's list requests kept. */
  sampled: number;
  slowLists: SlowList[];
  /** statements is null without pg_stat_statements. */
  statements: SlowStatement[] | null;
  suggestions: IndexSuggestion[];
}

/** Insights is GET /api/insights's answer. */
export interface Insights {
  statsReset: string | null;
  /** statements tells where slow queries come from. */
  statements: "pg_stat_statements" | "sampled";
  collections: CollectionInsight[];
}

// ---------------------------------------------------------------- crons

/** CronRun is a job's latest run, as GET /api/crons answers it. */
export interface CronRun {
  scheduled: string;
  started: string;
  /** finished is "" while the run goes on. */
  finished: string;
  /** duration is in milliseconds (0 while the run goes on). */
  duration: number;
  /** error is "" when the run succeeded. */
  error: string;
  /** manual runs were asked for with "Run now". */
  manual: boolean;
  node: string;
}

/** CronJob is a scheduled job: PocketBase's id and expression, and Lumbung's latest run. */
export interface CronJob {
  id: string;
  expression: string;
  lastRun: CronRun | null;
}

// ---------------------------------------------------------------- backups

/** BackupInfo is a backup as GET /api/backups lists it. */
export interface BackupInfo {
  key: string;
  size: number;
  /** modified is in the server's date format, UTC. */
  modified: string;
}

// ---------------------------------------------------------------- rbac

export type Action = "list" | "view" | "create" | "update" | "delete" | "*";

export interface Role {
  name: string;
  description: string;
  created: string;
  updated: string;
}

export interface Policy {
  subject: string;
  /** collection is a collection id or "*". */
  collection: string;
  action: Action;
  condition: string;
  fields: string[] | null;
}

/** PolicyInput is a policy of one collection, as PUT …/policies takes it. */
export type PolicyInput = Omit<Policy, "collection">;

export interface Assignment {
  subject: string;
  role: string;
}

/** AssignmentInput names a user ({collection, id}) or a subject key, and a role. */
export type AssignmentInput =
  | { collection: string; id: string; role: string }
  | { subject: string; role: string };

export interface ExplainInput {
  subject?: string;
  user?: { collection: string; id: string };
  collection: string;
  action: Exclude<Action, "*">;
  recordId?: string;
}

export interface ExplainResult {
  allowed: boolean;
  subject: string;
  roles: string[];
  matchedPolicies: Policy[];
  /** conditions is null when the decision is unconditional or denied. */
  conditions: string[] | null;
  sqlCondition: string;
  sqlArgs: unknown[] | null;
  /** readableFields is null when denied. */
  readableFields: string[] | null;
  record?: { id: string; allowed: boolean };
}

// ---------------------------------------------------------------- token store

/** TokenStore keeps the superuser's token and record. */
export interface TokenStore {
  readonly token: string;
  readonly record: RecordModel | null;
  save(token: string, record: RecordModel | null): void;
  clear(): void;
  onChange(fn: () => void): () => void;
}

const storageKey = "lumbung_auth";

/** localTokenStore keeps the token in localStorage (memory when unavailable). */
export function localTokenStore(storage: Storage | null = globalThis.localStorage ?? null): TokenStore {
  let token = "";
  let record: RecordModel | null = null;
  const listeners = new Set<() => void>();
  try {
    const raw = storage?.getItem(storageKey);
    if (raw) {
      const v = JSON.parse(raw) as { token?: string; record?: RecordModel };
      token = v.token ?? "";
      record = v.record ?? null;
    }
  } catch {
    // a malformed value counts as signed out
  }
  const notify = () => listeners.forEach((fn) => fn());
  return {
    get token() {
      return token;
    },
    get record() {
      return record;
    },
    save(t, r) {
      token = t;
      record = r;
      storage?.setItem(storageKey, JSON.stringify({ token, record }));
      notify();
    },
    clear() {
      token = "";
      record = null;
      storage?.removeItem(storageKey);
      notify();
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

// ---------------------------------------------------------------- client

type Query = Record<string, string | number | boolean | undefined | null>;

/** UploadProgress tells how much of a request's body was sent, in bytes. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** RequestOptions describe one call. */
export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * onprogress follows the upload of a multipart body. fetch cannot report
   * it, so such a request goes through XMLHttpRequest.
   */
  onprogress?: (p: UploadProgress) => void;
}

/** FileURLOptions choose what a file's address asks for. */
export interface FileURLOptions {
  /** thumb is a thumbnail size ("100x100"); the server falls back to the file itself for sizes the field does not list. */
  thumb?: string;
  /** token is a file token, needed for protected files. */
  token?: string;
  /** download asks for the file as an attachment. */
  download?: boolean;
}

/** Answer is a response's status and text, whichever way it came. */
interface Answer {
  status: number;
  text: string;
}

/** sendWithProgress sends body through XMLHttpRequest, reporting the upload's progress. */
function sendWithProgress(
  xhr: XMLHttpRequest,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: FormData,
  signal: AbortSignal | undefined,
  onprogress: (p: UploadProgress) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("The request was aborted.", "AbortError"));
      return;
    }
    const abort = () => xhr.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const done = () => signal?.removeEventListener("abort", abort);
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onprogress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, text: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, "The server cannot be reached."));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException("The request was aborted.", "AbortError"));
    };
    xhr.send(body);
  });
}

/** queryString encodes parameters, leaving out empty ones; booleans become 1. */
export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    p.set(k, v === true ? "1" : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;
const superusers = "_superusers";

function saveQuery(o: SaveOptions = {}): Query {
  return { dryRun: o.dryRun, allowDataLoss: o.allowDataLoss };
}

/** createClient returns the API bound to a base URL, token store and fetch. */
export function createClient(
  opts: { baseUrl?: string; store?: TokenStore; fetch?: typeof fetch; xhr?: () => XMLHttpRequest } = {},
) {
  const baseUrl = (opts.baseUrl ?? "").replace(/\/$/, "");
  const store = opts.store ?? localTokenStore();
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const newXHR = opts.xhr ?? (() => new XMLHttpRequest());

  async function request<T>(path: string, o: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (store.token) headers.Authorization = store.token;
    let body: BodyInit | undefined;
    if (o.body instanceof FormData) {
      body = o.body; // multipart: the browser sets the type and its boundary
    } else if (o.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(o.body);
    }
    const url = baseUrl + path + queryString(o.query);
    const method = o.method ?? "GET";
    let res: Answer;
    if (o.onprogress && body instanceof FormData) {
      res = await sendWithProgress(newXHR(), method, url, headers, body, o.signal, o.onprogress);
    } else {
      try {
        const r = await doFetch(url, { method, headers, body, signal: o.signal });
        res = { status: r.status, text: await r.text() };
      } catch (err) {
        if (err instanceof DOMException && err.name === "AbortError") throw err;
        throw new ApiError(0, "The server cannot be reached.");
      }
    }
    const text = res.text;
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (res.status < 200 || res.status > 299) {
      const err = ApiError.fromBody(res.status, parsed);
      if (res.status === 401 && store.token) store.clear();
      throw err;
    }
    return parsed as T;
  }

  async function signedIn(p: Promise<AuthResponse>): Promise<AuthResponse> {
    const r = await p;
    store.save(r.token, r.record);
    return r;
  }

  const collections = {
    list(q: { page?: number; perPage?: number; sort?: string; filter?: string } = {}) {
      return request<ListResult<Collection>>("/api/collections", { query: q });
    },
    /** all lists every collection, sorted by name. */
    async all(): Promise<Collection[]> {
      const out: Collection[] = [];
      for (let page = 1; ; page++) {
        const r = await collections.list({ page, perPage: 500, sort: "name" });
        out.push(...r.items);
        if (page >= r.totalPages || r.items.length === 0) return out;
      }
    },
    get(idOrName: string) {
      return request<Collection>(`/api/collections/${enc(idOrName)}`);
    },
    create<O extends SaveOptions>(c: CollectionInput, o?: O) {
      return request<O extends { dryRun: true } ? DryRunResult : Collection>("/api/collections", {
        method: "POST",
        body: c,
        query: saveQuery(o),
      });
    },
    update<O extends SaveOptions>(idOrName: string, c: CollectionInput, o?: O) {
      return request<O extends { dryRun: true } ? DryRunResult : Collection>(`/api/collections/${enc(idOrName)}`, {
        method: "PATCH",
        body: c,
        query: saveQuery(o),
      });
    },
    delete<O extends SaveOptions>(idOrName: string, o?: O) {
      return request<O extends { dryRun: true } ? DryRunResult : undefined>(`/api/collections/${enc(idOrName)}`, {
        method: "DELETE",
        query: saveQuery(o),
      });
    },
    truncate<O extends SaveOptions>(idOrName: string, o?: O) {
      return request<O extends { dryRun: true } ? DryRunResult : undefined>(
        `/api/collections/${enc(idOrName)}/truncate`,
        { method: "DELETE", query: saveQuery(o) },
      );
    },
    /** previewView runs a view query read-only and returns its first rows. */
    previewView(viewQuery: string) {
      return request<{ items: Record<string, unknown>[] }>("/api/collections/view-preview", {
        method: "POST",
        body: { viewQuery },
      });
    },
    import<O extends SaveOptions>(list: CollectionInput[], deleteMissing: boolean, o?: O) {
      return request<O extends { dryRun: true } ? DryRunResult : undefined>("/api/collections/import", {
        method: "PUT",
        body: { collections: list, deleteMissing },
        query: saveQuery(o),
      });
    },
  };

  const records = {
    list(collection: string, q: ListOptions = {}, signal?: AbortSignal) {
      return request<ListResult<RecordModel>>(`/api/collections/${enc(collection)}/records`, {
        query: { ...q },
        signal,
      });
    },
    get(collection: string, id: string, q: ViewOptions = {}) {
      return request<RecordModel>(`/api/collections/${enc(collection)}/records/${enc(id)}`, { query: { ...q } });
    },
    /** create saves a new record; a FormData body carries files (onprogress follows its upload). */
    create(collection: string, body: Record<string, unknown> | FormData, q: ViewOptions = {}, onprogress?: (p: UploadProgress) => void) {
      return request<RecordModel>(`/api/collections/${enc(collection)}/records`, {
        method: "POST",
        body,
        query: { ...q },
        onprogress,
      });
    },
    /** update changes a record; a FormData body carries files (onprogress follows its upload). */
    update(
      collection: string,
      id: string,
      body: Record<string, unknown> | FormData,
      q: ViewOptions = {},
      onprogress?: (p: UploadProgress) => void,
    ) {
      return request<RecordModel>(`/api/collections/${enc(collection)}/records/${enc(id)}`, {
        method: "PATCH",
        body,
        query: { ...q },
        onprogress,
      });
    },
    delete(collection: string, id: string) {
      return request<undefined>(`/api/collections/${enc(collection)}/records/${enc(id)}`, { method: "DELETE" });
    },
    /** batch runs up to 50 record writes in one transaction: all succeed or none is kept. */
    batch(requests: BatchRequest[]) {
      return request<BatchResult[]>("/api/batch", { method: "POST", body: { requests } });
    },
    /** recordURL is a record's path, as batch sub-requests name it. */
    recordURL(collection: string, id = "") {
      return `/api/collections/${enc(collection)}/records${id ? `/${enc(id)}` : ""}`;
    },
  };

  const auth = {
    store,
    /**
     * withPassword signs a superuser in and keeps the token. When MFA
     * applies it fails with an ApiError carrying mfaId; mfaId (from an
     * earlier first method) completes such a sign-in.
     */
    withPassword(identity: string, password: string, mfaId = "") {
      return signedIn(
        request<AuthResponse>(`/api/collections/${superusers}/auth-with-password`, {
          method: "POST",
          body: mfaId ? { identity, password, mfaId } : { identity, password },
        }),
      );
    },
    /** requestOTP emails a one-time password to the superuser with the email. */
    requestOTP(email: string) {
      return request<{ otpId: string }>(`/api/collections/${superusers}/request-otp`, {
        method: "POST",
        body: { email },
      });
    },
    /** withOTP signs a superuser in with an emailed code (and mfaId, as withPassword). */
    withOTP(otpId: string, code: string, mfaId = "") {
      return signedIn(
        request<AuthResponse>(`/api/collections/${superusers}/auth-with-otp`, {
          method: "POST",
          body: mfaId ? { otpId, password: code, mfaId } : { otpId, password: code },
        }),
      );
    },
    /** refresh swaps the kept token for a new one. */
    refresh() {
      return signedIn(request<AuthResponse>(`/api/collections/${superusers}/auth-refresh`, { method: "POST" }));
    },
    /** setup creates the first superuser with the one-time setup token and signs in. */
    setup(token: string, email: string, password: string) {
      return signedIn(request<AuthResponse>("/api/setup", { method: "POST", body: { token, email, password } }));
    },
    signOut() {
      store.clear();
    },
  };

  const settings = {
    get() {
      return request<Settings>("/api/settings");
    },
    update(patch: SettingsPatch) {
      return request<Settings>("/api/settings", { method: "PATCH", body: patch });
    },
    /** testEmail sends a sample email of an auth collection (default: superusers) through the saved SMTP settings. */
    testEmail(email: string, template: TestEmailTemplate = "verification", collection?: string) {
      return request<undefined>("/api/settings/test/email", {
        method: "POST",
        body: { email, template, ...(collection ? { collection } : {}) },
      });
    },
  };

  const logs = {
    list(q: LogListOptions = {}, signal?: AbortSignal) {
      return request<ListResult<LogEntry>>("/api/logs", { query: { ...q }, signal });
    },
    /** stats counts requests per minute (only minutes with requests), oldest first. */
    stats(filter = "", signal?: AbortSignal) {
      return request<LogStat[]>("/api/logs/stats", { query: { filter }, signal });
    },
  };

  const crons = {
    list(signal?: AbortSignal) {
      return request<CronJob[]>("/api/crons", { signal });
    },
    /** run starts a job now, in the background. */
    run(id: string) {
      return request<undefined>(`/api/crons/${enc(id)}`, { method: "POST" });
    },
  };

  const insights = {
    list(signal?: AbortSignal) {
      return request<Insights>("/api/insights", { signal });
    },
    of(collection: string, signal?: AbortSignal) {
      return request<Insights>(`/api/insights/${enc(collection)}`, { signal });
    },
  };

  const backups = {
    list(signal?: AbortSignal) {
      return request<BackupInfo[]>("/api/backups", { signal });
    },
    /** create backs the database up; an empty name lets the server pick one. */
    create(name: string) {
      return request<undefined>("/api/backups", { method: "POST", body: name ? { name } : {} });
    },
    upload(file: File) {
      const form = new FormData();
      form.append("file", file);
      return request<undefined>("/api/backups/upload", { method: "POST", body: form });
    },
    restore(key: string) {
      return request<undefined>(`/api/backups/${enc(key)}/restore`, { method: "POST" });
    },
    remove(key: string) {
      return request<undefined>(`/api/backups/${enc(key)}`, { method: "DELETE" });
    },
    /** downloadURL links a backup for a superuser's file token (files.token). */
    downloadURL(key: string, token: string) {
      return `${baseUrl}/api/backups/${enc(key)}${queryString({ token })}`;
    },
  };

  const fileTokens = new FileTokenCache(() => files.token());
  store.onChange(() => fileTokens.clear());

  const files = {
    /** token returns a short-lived file token of the signed-in record. */
    token() {
      return request<{ token: string }>("/api/files/token", { method: "POST" }).then((r) => r.token);
    },
    /** cachedToken returns a file token, reusing one until shortly before it expires. */
    cachedToken() {
      return fileTokens.get();
    },
    /** url is the address of a record's file. */
    url(record: { collectionId: string; id: string }, filename: string, o: FileURLOptions = {}) {
      const q = queryString({ thumb: o.thumb, token: o.token, download: o.download });
      return `${baseUrl}/api/files/${enc(record.collectionId)}/${enc(record.id)}/${enc(filename)}${q}`;
    },
  };

  const rbac = {
    roles() {
      return request<{ items: Role[] }>("/api/rbac/roles").then((r) => r.items);
    },
    createRole(name: string, description = "") {
      return request<Role>("/api/rbac/roles", { method: "POST", body: { name, description } });
    },
    updateRole(name: string, description: string) {
      return request<Role>(`/api/rbac/roles/${enc(name)}`, { method: "PATCH", body: { description } });
    },
    deleteRole(name: string) {
      return request<undefined>(`/api/rbac/roles/${enc(name)}`, { method: "DELETE" });
    },
    policies(q: { subject?: string; collection?: string } = {}) {
      return request<{ items: Policy[] }>("/api/rbac/policies", { query: q }).then((r) => r.items);
    },
    collectionPolicies(collection: string) {
      return request<{ items: Policy[] }>(`/api/rbac/collections/${enc(collection)}/policies`).then((r) => r.items);
    },
    setCollectionPolicies(collection: string, items: PolicyInput[]) {
      return request<{ items: Policy[] }>(`/api/rbac/collections/${enc(collection)}/policies`, {
        method: "PUT",
        body: { items },
      }).then((r) => r.items);
    },
    assignments(q: { subject?: string; role?: string } = {}) {
      return request<{ items: Assignment[] }>("/api/rbac/assignments", { query: q }).then((r) => r.items);
    },
    assign(a: AssignmentInput) {
      return request<Assignment>("/api/rbac/assignments", { method: "POST", body: a });
    },
    unassign(a: AssignmentInput) {
      return request<undefined>("/api/rbac/assignments", { method: "DELETE", query: { ...a } });
    },
    explain(input: ExplainInput) {
      return request<ExplainResult>("/api/rbac/explain", { method: "POST", body: input });
    },
    /** impersonate gets a short-lived, non-refreshable token for an auth record. */
    impersonate(collection: string, id: string, duration = 60) {
      return request<AuthResponse>(`/api/collections/${enc(collection)}/impersonate/${enc(id)}`, {
        method: "POST",
        body: { duration },
      });
    },
    /** recordsAs reads records with another token ("" for a guest), leaving the session alone. */
    recordsAs(token: string) {
      const s = localTokenStore(null);
      if (token) s.save(token, null);
      return createClient({ baseUrl, store: s, fetch: doFetch }).records;
    },
  };

  return {
    request,
    auth,
    collections,
    records,
    settings,
    logs,
    crons,
    insights,
    backups,
    files,
    /** openapi reads the server's OpenAPI document. */
    openapi: () => request<unknown>("/api/openapi.json"),
    rbac,
    health: () => request<{ code: number; message: string }>("/api/health"),
  };
}

/** Api is the client's shape. */
export type Api = ReturnType<typeof createClient>;

/** api is the dashboard's client: same origin, token in localStorage. */
export const api: Api = createClient();
