import { describe, expect, it } from "vitest";
import type { DryRunResult, SchemaPlan } from "./api";
import { confirmLabel, preparePlan, summarize } from "./plan";

const rename: SchemaPlan = { steps: [{ sql: "ALTER …", description: "Rename field", affectedRows: -1 }], blocked: [] };
const drop: SchemaPlan = {
  steps: [{ sql: "ALTER … DROP COLUMN", description: "Drop field", impact: '3 record(s) lose their "x" value.', affectedRows: 3 }],
  blocked: [],
};
const dropEmpty: SchemaPlan = {
  steps: [{ sql: "ALTER … DROP COLUMN", description: "Drop field", impact: '0 record(s) lose their "x" value.', affectedRows: 0 }],
  blocked: null,
};

describe("summarize and confirmLabel", () => {
  it("counts steps", () => {
    const s = summarize([rename, dropEmpty]);
    expect(s.steps).toBe(2);
    expect(s.lossySteps).toHaveLength(0);
    expect(confirmLabel(s)).toBe("Apply 2 steps");
  });
  it("says when data is lost", () => {
    const s = summarize([rename, drop]);
    expect(s.lossySteps).toHaveLength(1);
    expect(confirmLabel(s)).toBe("Apply and lose data (3 records)");
  });
  it("refuses blocked plans", () => {
    const s = summarize([{ steps: [], blocked: ["Index cannot be unique."] }]);
    expect(confirmLabel(s)).toBe("Cannot apply");
    expect(confirmLabel(summarize([{ steps: [], blocked: [] }]), "Create")).toBe("Create (no SQL changes)");
  });
});

describe("preparePlan", () => {
  const result = (plans: SchemaPlan[]): DryRunResult => ({ dryRun: true, plans });

  it("asks again allowing data loss when blocked", async () => {
    const seen: boolean[] = [];
    const p = await preparePlan(async (o) => {
      seen.push(!!o.allowDataLoss);
      return o.allowDataLoss ? result([drop]) : result([{ steps: [], blocked: ["3 record(s) cannot be converted; fix them or allow data loss."] }]);
    });
    expect(seen).toEqual([false, true]);
    expect(p.allowDataLoss).toBe(true);
    expect(p.summary.blocked).toEqual([]);
  });

  it("keeps the first plan when still blocked", async () => {
    const blocked = result([{ steps: [], blocked: ["Index cannot be unique."] }]);
    const p = await preparePlan(async () => blocked);
    expect(p.allowDataLoss).toBe(false);
    expect(p.summary.blocked).toHaveLength(1);
  });

  it("asks once when nothing blocks", async () => {
    let n = 0;
    const p = await preparePlan(async () => (n++, result([rename])));
    expect(n).toBe(1);
    expect(p.allowDataLoss).toBe(false);
  });
});
