import { describe, expect, it } from "vitest";
import type { CollectionInsight } from "../lib/api";
import { formatBytes, formatMs, formatRows, indexName, latest, orderInsights, removableUnused, withIndex } from "./insightsData";

const insight = (over: Partial<CollectionInsight>): CollectionInsight => ({
  id: "id",
  name: "posts",
  type: "base",
  system: false,
  rows: 0,
  rowsExact: true,
  tableSize: 0,
  indexesSize: 0,
  totalSize: 0,
  liveRows: 0,
  deadRows: 0,
  seqScans: 0,
  indexScans: 0,
  lastVacuum: null,
  lastAutovacuum: null,
  lastAnalyze: null,
  lastAutoanalyze: null,
  indexes: [],
  sampled: 0,
  slowLists: [],
  statements: null,
  suggestions: [],
  ...over,
});

describe("insights", () => {
  it("formats sizes, rows and times", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(8192)).toBe("8.0 kB");
    expect(formatBytes(12 * 1024 * 1024 + 5)).toBe("12 MB");
    expect(formatRows({ rows: 20000, rowsExact: true })).toBe("20,000");
    expect(formatRows({ rows: 1500000, rowsExact: false })).toBe("≈ 1,500,000");
    expect(formatRows({ rows: -1, rowsExact: false })).toBe("not analyzed yet");
    expect(formatMs(0.421)).toBe("0.42 ms");
    expect(formatMs(12.4)).toBe("12 ms");
    expect(formatMs(1500)).toBe("1.5 s");
    expect(latest(null, null)).toBeNull();
    expect(latest("2026-12-06 06:30:00.000Z", null)).toBe("2026-12-06 06:30:00.000Z");
    expect(latest("2026-12-06 06:30:00.000Z", "2026-12-07 01:00:00.000Z")).toBe("2026-12-07 01:00:00.000Z");
  });

  it("adds a suggested index once", () => {
    const s = "CREATE INDEX `idx_posts_status` ON `posts` (`status`)";
    expect(indexName(s)).toBe("idx_posts_status");
    expect(indexName('create unique index if not exists "a_b" on posts (a)')).toBe("a_b");
    expect(withIndex(["CREATE UNIQUE INDEX `idx_slug` ON `posts` (`slug`)"], s)).toEqual(["CREATE UNIQUE INDEX `idx_slug` ON `posts` (`slug`)", s]);
    expect(withIndex([s], s)).toEqual([s]);
    expect(withIndex(["CREATE INDEX idx_posts_status ON posts (title)"], s)).toEqual(["CREATE INDEX idx_posts_status ON posts (title)"]);
  });

  it("lists unused indexes and orders collections", () => {
    const ix = { columns: ["a"], unique: false, primary: false, size: 8192, scans: 0, definition: "" };
    const c = insight({
      indexes: [
        { ...ix, name: "a", unused: true, definition: "CREATE INDEX `a` ON `posts` (`a`)" },
        { ...ix, name: "ord_x", unused: true },
        { ...ix, name: "pk", primary: true, unused: false },
      ],
    });
    expect(removableUnused(c).map((i) => i.name)).toEqual(["a"]);
    const list = [
      insight({ name: "small", totalSize: 10 }),
      insight({ name: "_superusers", system: true, totalSize: 1000 }),
      insight({ name: "big", totalSize: 100 }),
      insight({ name: "hinted", totalSize: 1, suggestions: [{ field: "a", filters: 5, sorts: 0, index: "" }] }),
    ];
    expect(orderInsights(list, false).map((c) => c.name)).toEqual(["hinted", "big", "small"]);
    expect(orderInsights(list, true).map((c) => c.name)).toEqual(["hinted", "_superusers", "big", "small"]);
  });
});
