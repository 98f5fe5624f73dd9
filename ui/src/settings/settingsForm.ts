import type { AuditSettings, LogsSettings, RateLimitRule, Settings, SettingsPatch } from "../lib/api";

/** SmtpForm is the SMTP part of the form: the password is only ever typed, never read back. */
export interface SmtpForm {
  enabled: boolean;
  host: string;
  port: number | null;
  username: string;
  authMethod: string;
  tlsMode: Settings["smtp"]["tlsMode"];
  /** password is a new password; "" keeps the stored one. */
  password: string;
  /** clearPassword removes the stored password. */
  clearPassword: boolean;
}

/** RuleForm is one rate limit rule as edited; number inputs may be empty. */
export interface RuleForm {
  label: string;
  audience: string;
  duration: number | null;
  maxRequests: number | null;
}

/** LogsForm is the logs part of the form; the days input may be empty. */
export interface LogsForm {
  maxDays: number | null;
  minLevel: number;
  logIP: boolean;
  logAuthId: boolean;
}

/** MetricsForm is the metrics part of the form: the token is only ever typed, never read back. */
export interface MetricsForm {
  enabled: boolean;
  /** token is a new bearer token; "" keeps the stored one. */
  token: string;
  /** clearToken removes the stored token. */
  clearToken: boolean;
  /** addresses are the allowed addresses, one per line (commas also separate). */
  addresses: string;
}

/** AuditForm is the audit part of the form; the days input may be empty. */
export interface AuditForm {
  retentionDays: number | null;
}

/** SettingsForm is what the settings screen edits. */
export interface SettingsForm {
  meta: Settings["meta"];
  smtp: SmtpForm;
  rateLimits: { enabled: boolean; rules: RuleForm[] };
  logs: LogsForm;
  metrics: MetricsForm;
  /** audit is null when the server has no audit settings (an older server). */
  audit: AuditForm | null;
}

/** logLevels are the levels a logs setting names, on PocketBase's scale. */
export const logLevels = [
  { value: -4, label: "Debug" },
  { value: 0, label: "Info" },
  { value: 4, label: "Warn (4xx)" },
  { value: 8, label: "Error (5xx)" },
] as const;

/** toForm copies settings into a form. */
export function toForm(s: Settings): SettingsForm {
  return {
    meta: { ...s.meta },
    smtp: {
      enabled: s.smtp.enabled,
      host: s.smtp.host,
      port: s.smtp.port,
      username: s.smtp.username,
      authMethod: s.smtp.authMethod,
      tlsMode: s.smtp.tlsMode,
      password: "",
      clearPassword: false,
    },
    rateLimits: { enabled: s.rateLimits.enabled, rules: (s.rateLimits.rules ?? []).map((r) => ({ ...r })) },
    logs: { ...s.logs },
    metrics: {
      enabled: s.metrics?.enabled ?? false,
      token: "",
      clearToken: false,
      addresses: (s.metrics?.allowedAddresses ?? []).join("\n"),
    },
    audit: s.audit ? { retentionDays: s.audit.retentionDays } : null,
  };
}

/** parseAddresses splits the allowed addresses input into its entries: by lines or commas, trimmed, blanks dropped. */
export function parseAddresses(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/** addressesError is the server's first complaint about an allowed address ("metrics.allowedAddresses.N"), named by its entry. */
export function addressesError(errors: Record<string, { message: string }>, addresses: string[]): string {
  for (const [key, e] of Object.entries(errors)) {
    const m = /^metrics\.allowedAddresses\.(\d+)$/.exec(key);
    if (m) {
      const entry = addresses[Number(m[1])];
      return entry === undefined ? e.message : `“${entry}”: ${e.message}`;
    }
  }
  return errors["metrics.allowedAddresses"]?.message ?? "";
}

function num(v: number | null | undefined): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function rule(r: RuleForm | RateLimitRule): RateLimitRule {
  return { label: r.label.trim(), audience: r.audience, duration: num(r.duration), maxRequests: num(r.maxRequests) };
}

function sameRules(a: RateLimitRule[], b: RateLimitRule[]): boolean {
  return a.length === b.length && a.every((r, i) => JSON.stringify(rule(r)) === JSON.stringify(rule(b[i])));
}

/**
 * diffSettings is the PATCH body that turns original into the form: only
 * changed keys, the whole rule list when any rule changed, and the SMTP
 * password only when a new one was typed (a string) or it is cleared (null).
 */
export function diffSettings(original: Settings, form: SettingsForm): SettingsPatch {
  const patch: SettingsPatch = {};

  const meta: Partial<Settings["meta"]> = {};
  for (const k of ["appName", "appURL", "senderName", "senderAddress"] as const) {
    if (form.meta[k] !== original.meta[k]) meta[k] = form.meta[k];
  }
  if (form.meta.hideControls !== original.meta.hideControls) meta.hideControls = form.meta.hideControls;
  if (Object.keys(meta).length) patch.meta = meta;

  const smtp: NonNullable<SettingsPatch["smtp"]> = {};
  const o = original.smtp;
  const f = form.smtp;
  if (f.enabled !== o.enabled) smtp.enabled = f.enabled;
  if (f.host !== o.host) smtp.host = f.host;
  if (num(f.port) !== o.port) smtp.port = num(f.port);
  if (f.username !== o.username) smtp.username = f.username;
  if (f.authMethod !== o.authMethod) smtp.authMethod = f.authMethod;
  if (f.tlsMode !== o.tlsMode) smtp.tlsMode = f.tlsMode;
  if (f.clearPassword) {
    if (o.passwordSet) smtp.password = null;
  } else if (f.password !== "") {
    smtp.password = f.password;
  }
  if (Object.keys(smtp).length) patch.smtp = smtp;

  const rateLimits: NonNullable<SettingsPatch["rateLimits"]> = {};
  if (form.rateLimits.enabled !== original.rateLimits.enabled) rateLimits.enabled = form.rateLimits.enabled;
  if (!sameRules(form.rateLimits.rules.map(rule), original.rateLimits.rules ?? [])) {
    rateLimits.rules = form.rateLimits.rules.map(rule);
  }
  if (Object.keys(rateLimits).length) patch.rateLimits = rateLimits;

  const logs: Partial<LogsSettings> = {};
  if (num(form.logs.maxDays) !== original.logs.maxDays) logs.maxDays = num(form.logs.maxDays);
  if (Number(form.logs.minLevel) !== original.logs.minLevel) logs.minLevel = Number(form.logs.minLevel);
  if (form.logs.logIP !== original.logs.logIP) logs.logIP = form.logs.logIP;
  if (form.logs.logAuthId !== original.logs.logAuthId) logs.logAuthId = form.logs.logAuthId;
  if (Object.keys(logs).length) patch.logs = logs;

  const metrics: NonNullable<SettingsPatch["metrics"]> = {};
  const om = original.metrics ?? { enabled: false, tokenSet: false, allowedAddresses: [] };
  const fm = form.metrics;
  if (fm.enabled !== om.enabled) metrics.enabled = fm.enabled;
  if (fm.clearToken) {
    if (om.tokenSet) metrics.token = null;
  } else if (fm.token !== "") {
    metrics.token = fm.token;
  }
  const addresses = parseAddresses(fm.addresses);
  if (JSON.stringify(addresses) !== JSON.stringify(om.allowedAddresses ?? [])) metrics.allowedAddresses = addresses;
  if (Object.keys(metrics).length) patch.metrics = metrics;

  if (form.audit && original.audit) {
    const audit: Partial<AuditSettings> = {};
    if (num(form.audit.retentionDays) !== original.audit.retentionDays) audit.retentionDays = num(form.audit.retentionDays);
    if (Object.keys(audit).length) patch.audit = audit;
  }

  return patch;
}

/** isEmptyPatch tells whether a patch changes nothing. */
export function isEmptyPatch(p: SettingsPatch): boolean {
  return !p.meta && !p.smtp && !p.rateLimits && !p.logs && !p.metrics && !p.audit;
}

/** changedSections names the sections a patch touches, for the save bar. */
export function changedSections(p: SettingsPatch): string[] {
  const out: string[] = [];
  if (p.meta) out.push("application");
  if (p.smtp) out.push("mail");
  if (p.rateLimits) out.push("rate limits");
  if (p.logs) out.push("logs");
  if (p.metrics) out.push("metrics");
  if (p.audit) out.push("audit");
  return out;
}

/** newRule is an empty rule for the rules table. */
export function newRule(): RuleForm {
  return { label: "", audience: "", duration: 60, maxRequests: 100 };
}

/** formatDuration writes seconds as the largest whole unit ("7 days", "30 min", "90 s"). */
export function formatDuration(seconds: number): string {
  const units: [number, string, string][] = [
    [86400, "day", "days"],
    [3600, "hour", "hours"],
    [60, "min", "min"],
  ];
  for (const [size, one, many] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${n === 1 ? one : many}`;
    }
  }
  return `${seconds} s`;
}
