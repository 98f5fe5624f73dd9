import type { LogStat } from "../lib/api";

const minute = 60_000;

/** parseLogDate reads the server's "2026-11-25 01:02:03.456Z". */
export function parseLogDate(s: string): Date {
  return new Date(s.includes("T") ? s : s.replace(" ", "T"));
}

/** formatLogDate writes a date as the filter language expects it: "2026-11-25 01:02:03.000Z". */
export function formatLogDate(d: Date): string {
  return d.toISOString().replace("T", " ");
}

/** Bucket is the number of requests in the minute starting at start. */
export interface Bucket {
  start: Date;
  total: number;
}

/**
 * bucketStats spreads per-minute counts over the `minutes` minutes up to and
 * including the one now falls in, oldest first; minutes without requests are 0.
 */
export function bucketStats(stats: LogStat[], now: Date, minutes = 60): Bucket[] {
  const last = Math.floor(now.getTime() / minute) * minute;
  const first = last - (minutes - 1) * minute;
  const totals = new Map<number, number>();
  for (const s of stats) {
    const t = parseLogDate(s.date).getTime();
    if (Number.isNaN(t)) continue;
    const m = Math.floor(t / minute) * minute;
    if (m < first || m > last) continue;
    totals.set(m, (totals.get(m) ?? 0) + s.total);
  }
  const out: Bucket[] = [];
  for (let m = first; m <= last; m += minute) out.push({ start: new Date(m), total: totals.get(m) ?? 0 });
  return out;
}

/** windowStart is where a chart of `minutes` minutes up to now begins. */
export function windowStart(now: Date, minutes = 60): Date {
  return new Date(Math.floor(now.getTime() / minute) * minute - (minutes - 1) * minute);
}

/** niceMax rounds a maximum up to 1, 2 or 5 times a power of ten (at least 1). */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const f of [1, 2, 5, 10]) if (f * p >= n) return f * p;
  return 10 * p;
}

/** combineFilters joins filter expressions with &&, parenthesising each when there are several. */
export function combineFilters(...parts: (string | false | null | undefined)[]): string {
  const xs = parts.map((p) => (p || "").trim()).filter(Boolean);
  return xs.length === 1 ? xs[0] : xs.map((x) => `(${x})`).join(" && ");
}

/** QuickFilters are the toggles beside the filter input. */
export interface QuickFilters {
  text: string;
  errorsOnly: boolean;
  method: string;
}

/** logsFilter is the filter for the log list from the input and toggles. */
export function logsFilter(q: QuickFilters): string {
  return combineFilters(q.text, q.errorsOnly && "status >= 400", q.method && `method = '${q.method.replace(/'/g, "")}'`);
}

/** statusTone is the badge class of a status: success, accent (3xx), warning (4xx), danger (5xx). */
export function statusTone(status: number): "success" | "accent" | "warning" | "danger" | "" {
  if (status >= 500) return "danger";
  if (status >= 400) return "warning";
  if (status >= 300) return "accent";
  if (status >= 200) return "success";
  return "";
}

/** formatExecTime writes milliseconds briefly: "0.42 ms", "8.5 ms", "120 ms", "1.25 s". */
export function formatExecTime(ms: number): string {
  if (!Number.isFinite(ms)) return "";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/**
 * logUser reads who sent a logged request: the collection (data.auth) and
 * the record id (data.authId, "" when the logs settings do not keep it);
 * null for guests.
 */
export function logUser(data: { auth: string; authId?: string }): { collection: string; id: string } | null {
  if (!data.auth) return null;
  return { collection: data.auth, id: data.authId ?? "" };
}

/** formatTime shows a log time: the time for today, else the date and time, local. */
export function formatTime(created: string, now = new Date()): string {
  const d = parseLogDate(created);
  if (Number.isNaN(d.getTime())) return created;
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${time}`;
}

/** displayUrl decodes the query of a logged URL for reading; the raw URL is kept elsewhere. */
export function displayUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  try {
    return url.slice(0, q + 1) + decodeURIComponent(url.slice(q + 1).replace(/\+/g, " "));
  } catch {
    return url;
  }
}
