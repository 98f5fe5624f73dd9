import type { DryRunResult, PlanStep, SaveOptions, SchemaPlan } from "./api";

/** stepLosesData tells whether a step destroys existing values. */
export function stepLosesData(step: PlanStep): boolean {
  return step.affectedRows > 0 && !!step.impact;
}

/** PlanSummary is what a confirmation needs to know about plans. */
export interface PlanSummary {
  steps: number;
  blocked: string[];
  lossySteps: PlanStep[];
  /** lostRows is the largest count of records one lossy step touches. */
  lostRows: number;
}

/** summarize reads plans into a PlanSummary. */
export function summarize(plans: SchemaPlan[]): PlanSummary {
  const s: PlanSummary = { steps: 0, blocked: [], lossySteps: [], lostRows: 0 };
  for (const p of plans) {
    s.steps += p.steps.length;
    s.blocked.push(...(p.blocked ?? []));
    for (const st of p.steps) {
      if (stepLosesData(st)) {
        s.lossySteps.push(st);
        s.lostRows = Math.max(s.lostRows, st.affectedRows);
      }
    }
  }
  return s;
}

/** confirmLabel is the text of the button that applies the plans. */
export function confirmLabel(s: PlanSummary, verb = "Apply"): string {
  if (s.blocked.length > 0) return "Cannot apply";
  if (s.lossySteps.length > 0) {
    const n = s.lostRows;
    return `${verb} and lose data (${n} record${n === 1 ? "" : "s"})`;
  }
  if (s.steps === 0) return `${verb} (no SQL changes)`;
  return `${verb} ${s.steps} step${s.steps === 1 ? "" : "s"}`;
}

/** PreparedPlan is a dry run ready to confirm. */
export interface PreparedPlan {
  result: DryRunResult;
  summary: PlanSummary;
  /** allowDataLoss must be sent with the real request. */
  allowDataLoss: boolean;
}

/**
 * preparePlan runs a dry run; when it is blocked, it asks again allowing
 * data loss, and keeps that plan if data loss is all that blocked it.
 */
export async function preparePlan(dryRun: (o: SaveOptions & { dryRun: true }) => Promise<DryRunResult>): Promise<PreparedPlan> {
  const first = await dryRun({ dryRun: true });
  const s1 = summarize(first.plans);
  if (s1.blocked.length === 0) {
    return { result: first, summary: s1, allowDataLoss: s1.lossySteps.length > 0 };
  }
  const second = await dryRun({ dryRun: true, allowDataLoss: true });
  const s2 = summarize(second.plans);
  if (s2.blocked.length === 0) return { result: second, summary: s2, allowDataLoss: true };
  return { result: first, summary: s1, allowDataLoss: false };
}
