import { describe, expect, it } from "vitest";
import {
  bucketStats,
  combineFilters,
  displayUrl,
  formatExecTime,
  formatLogDate,
  logsFilter,
  niceMax,
  parseLogDate,
  logUser,
  statusTone,
  windowStart,
} from "./logsData";

describe("dates", () => {
  it("round-trip the server's format", () => {
    const d = parseLogDate("2026-11-25 01:02:03.456Z");
    expect(d.toISOString()).toBe("2026-11-25T01:02:03.456Z");
    expect(formatLogDate(d)).toBe("2026-11-25 01:02:03.456Z");
  });
});

describe("bucketStats", () => {
  const now = new Date("2026-11-25T02:00:30.000Z");

  it("fills empty minutes with 0, oldest first, up to the current minute", () => {
    const b = bucketStats(
      [
        { date: "2026-11-25 01:05:00.000Z", total: 3 },
        { date: "2026-11-25 01:59:00.000Z", total: 7 },
        { date: "2026-11-25 02:00:00.000Z", total: 1 },
      ],
      now,
    );
    expect(b).toHaveLength(60);
    expect(b[0].start.toISOString()).toBe("2026-11-25T01:01:00.000Z");
    expect(b[59].start.toISOString()).toBe("2026-11-25T02:00:00.000Z");
    expect(b[4].total).toBe(3);
    expect(b[58].total).toBe(7);
    expect(b[59].total).toBe(1);
    expect(b.reduce((n, x) => n + x.total, 0)).toBe(11);
  });

  it("drops minutes outside the window and sums within a minute", () => {
    const b = bucketStats(
      [
        { date: "2026-11-25 01:00:00.000Z", total: 100 },
        { date: "2026-11-25 01:30:10.000Z", total: 2 },
        { date: "2026-11-25 01:30:50.000Z", total: 3 },
        { date: "2026-11-25 02:01:00.000Z", total: 100 },
        { date: "not a date", total: 100 },
      ],
      now,
    );
    expect(b.reduce((n, x) => n + x.total, 0)).toBe(5);
    expect(b[29]).toEqual({ start: new Date("2026-11-25T01:30:00.000Z"), total: 5 });
  });

  it("is all zeros without stats and takes other window sizes", () => {
    expect(bucketStats([], now).every((x) => x.total === 0)).toBe(true);
    expect(bucketStats([], now, 5)).toHaveLength(5);
    expect(windowStart(now).toISOString()).toBe("2026-11-25T01:01:00.000Z");
  });
});

describe("niceMax", () => {
  it("rounds up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 12, 20, 51, 999].map(niceMax)).toEqual([1, 1, 5, 10, 20, 20, 100, 1000]);
  });
});

describe("filters", () => {
  it("combine the input and the toggles", () => {
    expect(combineFilters("", null, false)).toBe("");
    expect(combineFilters("a = 1")).toBe("a = 1");
    expect(combineFilters("a = 1 || b = 2", "c = 3")).toBe("(a = 1 || b = 2) && (c = 3)");
    expect(logsFilter({ text: "", errorsOnly: true, method: "" })).toBe("status >= 400");
    expect(logsFilter({ text: "url ~ '/api/'", errorsOnly: true, method: "POST" })).toBe(
      "(url ~ '/api/') && (status >= 400) && (method = 'POST')",
    );
  });
});

describe("formatting", () => {
  it("colours statuses by class", () => {
    expect([200, 204, 304, 400, 404, 500, 503, 0].map(statusTone)).toEqual(["success", "success", "accent", "warning", "warning", "danger", "danger", ""]);
  });
  it("writes durations briefly", () => {
    expect(formatExecTime(0.4213)).toBe("0.42 ms");
    expect(formatExecTime(8.46)).toBe("8.46 ms");
    expect(formatExecTime(12.34)).toBe("12.3 ms");
    expect(formatExecTime(120.6)).toBe("121 ms");
    expect(formatExecTime(1250)).toBe("1.25 s");
  });
  it("decodes queries for reading", () => {
    expect(displayUrl("/api/logs?filter=status+%3E%3D+400&page=1")).toBe("/api/logs?filter=status >= 400&page=1");
    expect(displayUrl("/api/health")).toBe("/api/health");
    expect(displayUrl("/x?bad=%E0%A4%A")).toBe("/x?bad=%E0%A4%A");
  });
  it("reads auth", () => {
    expect(logUser({ auth: "" })).toBeNull();
    expect(logUser({ auth: "users", authId: "abc123" })).toEqual({ collection: "users", id: "abc123" });
    expect(logUser({ auth: "users" })).toEqual({ collection: "users", id: "" });
  });
});
