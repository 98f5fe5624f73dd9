import { describe, expect, it } from "vitest";
import type { CronRun } from "../lib/api";
import { formatDuration, formatRunTime, runResult } from "./cronsData";

const run = (over: Partial<CronRun>): CronRun => ({
  scheduled: "2026-12-06 06:30:00.000Z",
  started: "2026-12-06 06:30:00.010Z",
  finished: "2026-12-06 06:30:01.510Z",
  duration: 1500,
  error: "",
  manual: false,
  node: "a",
  ...over,
});

describe("runResult", () => {
  it("tells never, running, succeeded and failed apart", () => {
    expect(runResult(null)).toEqual({ label: "Never ran", tone: "none" });
    expect(runResult(run({ finished: "", duration: 0 }))).toEqual({ label: "Running", tone: "running" });
    expect(runResult(run({}))).toEqual({ label: "Succeeded", tone: "ok" });
    expect(runResult(run({ error: "panic: nil map" }))).toEqual({ label: "panic: nil map", tone: "error" });
  });
});

describe("formatDuration", () => {
  it("picks a unit", () => {
    expect(formatDuration(0.4)).toBe("0 ms");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
  });
});

describe("formatRunTime", () => {
  it("reads the server's format", () => {
    expect(formatRunTime("2026-12-06 06:30:00.000Z")).toBe(new Date("2026-12-06T06:30:00.000Z").toLocaleString());
    expect(formatRunTime("")).toBe("");
    expect(formatRunTime("nonsense")).toBe("nonsense");
  });
});
