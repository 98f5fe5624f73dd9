import type { CronRun } from "../lib/api";

/** RunResult is how the dashboard shows a job's latest run. */
export interface RunResult {
  label: string;
  tone: "ok" | "error" | "running" | "none";
}

/** runResult summarizes a latest run: none yet, running, succeeded or failed (with the error). */
export function runResult(run: CronRun | null): RunResult {
  if (!run) return { label: "Never ran", tone: "none" };
  if (!run.finished) return { label: "Running", tone: "running" };
  if (run.error) return { label: run.error, tone: "error" };
  return { label: "Succeeded", tone: "ok" };
}

/** formatDuration writes milliseconds as "850 ms", "1.5 s" or "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** formatRunTime writes the server's UTC date ("2026-12-06 06:30:00.000Z") in the browser's time. */
export function formatRunTime(date: string): string {
  if (!date) return "";
  const d = new Date(date.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? date : d.toLocaleString();
}
