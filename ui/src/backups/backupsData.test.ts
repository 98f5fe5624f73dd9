import { describe, expect, it } from "vitest";
import { checkName, formatModified, formatSize, isAutomatic } from "./backupsData";

describe("checkName", () => {
  it("applies PocketBase's rule", () => {
    expect(checkName("")).toBe("");
    expect(checkName("nightly_2026-12-06.zip")).toBe("");
    expect(checkName("Nightly.zip")).not.toBe("");
    expect(checkName("../x.zip")).not.toBe("");
    expect(checkName("x.dump")).not.toBe("");
    expect(checkName("a".repeat(147) + ".zip")).not.toBe("");
  });
});

describe("formatSize", () => {
  it("picks a unit", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(12 * 1024 * 1024)).toBe("12 MB");
    expect(formatSize(1.25 * 1024 ** 3)).toBe("1.3 GB");
  });
});

describe("isAutomatic", () => {
  it("tells scheduled backups apart", () => {
    expect(isAutomatic("@auto_lb_backup_20261206030000.zip")).toBe(true);
    expect(isAutomatic("by_hand.zip")).toBe(false);
  });
});

describe("formatModified", () => {
  it("reads the server's format", () => {
    expect(formatModified("2026-12-06 03:00:00.000Z")).toBe(new Date("2026-12-06T03:00:00.000Z").toLocaleString());
    expect(formatModified("nonsense")).toBe("nonsense");
  });
});
