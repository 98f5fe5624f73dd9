process.env.TZ = "Asia/Jakarta";

import { describe, expect, test } from "vitest";
import {
  apiToLocalInput,
  asList,
  cellText,
  formatDate,
  localInputToApi,
  parseApiDate,
  parseJSON,
  parseNumber,
  quote,
  relationLabel,
  stripHTML,
  toApiDate,
  toggleChoice,
  truncate,
} from "./format";

describe("dates", () => {
  test("parseApiDate reads the API format as UTC", () => {
    expect(parseApiDate("2026-01-02 15:04:05.123Z")?.toISOString()).toBe("2026-01-02T15:04:05.123Z");
    expect(parseApiDate("2026-01-02 15:04:05Z")?.toISOString()).toBe("2026-01-02T15:04:05.000Z");
    expect(parseApiDate("2026-01-02T15:04:05.5Z")?.toISOString()).toBe("2026-01-02T15:04:05.500Z");
    expect(parseApiDate("")).toBeNull();
    expect(parseApiDate("yesterday")).toBeNull();
    expect(parseApiDate(42)).toBeNull();
  });

  test("toApiDate writes UTC with milliseconds", () => {
    expect(toApiDate(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe("2026-01-02 03:04:05.006Z");
  });

  test("datetime-local values are local time (UTC+7 here)", () => {
    expect(apiToLocalInput("2026-01-02 20:30:00.000Z")).toBe("2026-01-03T03:30:00");
    expect(localInputToApi("2026-01-03T03:30")).toBe("2026-01-02 20:30:00.000Z");
    expect(localInputToApi("2026-01-03T03:30:15")).toBe("2026-01-02 20:30:15.000Z");
    expect(localInputToApi("")).toBe("");
    expect(apiToLocalInput("")).toBe("");
  });

  test("round trip keeps seconds", () => {
    const s = "2026-07-31 23:59:59.000Z";
    expect(localInputToApi(apiToLocalInput(s))).toBe(s);
  });

  test("formatDate shows local time; junk as is", () => {
    expect(formatDate("2026-01-02 20:30:00.000Z")).toBe("2026-01-03 03:30:00");
    expect(formatDate("")).toBe("");
    expect(formatDate("soon")).toBe("soon");
  });
});

describe("cells", () => {
  test("truncate counts characters, not UTF-16 units", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    expect(truncate("😀😀😀😀😀", 3)).toBe("😀😀…");
  });

  test("stripHTML keeps the text", () => {
    expect(stripHTML("<p>Hello <b>world</b></p><p>x &amp; y</p>")).toBe("Hello world x & y");
    expect(stripHTML("<script>alert(1)</script>ok")).toBe("ok");
  });

  test("cellText per type", () => {
    expect(cellText({ type: "json" }, { a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(cellText({ type: "json" }, { long: "x".repeat(100) }, 20)).toHaveLength(20);
    expect(cellText({ type: "editor" }, "<p>Hi <i>there</i></p>")).toBe("Hi there");
    expect(cellText({ type: "text" }, "y".repeat(100), 10)).toBe("yyyyyyyyy…");
    expect(cellText({ type: "number" }, 0)).toBe("0");
    expect(cellText({ type: "date" }, "2026-01-02 20:30:00.000Z")).toBe("2026-01-03 03:30:00");
    expect(cellText({ type: "select" }, ["a", "b"])).toBe("a, b");
    expect(cellText({ type: "text" }, null)).toBe("");
    expect(cellText({ type: "password" }, "secret")).toBe("");
  });

  test("asList normalizes single and multiple values", () => {
    expect(asList("a")).toEqual(["a"]);
    expect(asList("")).toEqual([]);
    expect(asList(null)).toEqual([]);
    expect(asList(["a", "", "b"])).toEqual(["a", "b"]);
  });

  test("relationLabel prefers the presentable value", () => {
    const rec = { id: "r1", collectionId: "c", collectionName: "authors", name: "Ada" };
    expect(relationLabel(rec, "name", "r1")).toBe("Ada");
    expect(relationLabel(rec, "", "r1")).toBe("r1");
    expect(relationLabel(undefined, "name", "r1")).toBe("r1");
    expect(relationLabel({ ...rec, name: "" }, "name", "r1")).toBe("r1");
  });
});

describe("editor values", () => {
  test("parseNumber", () => {
    expect(parseNumber("")).toEqual({ value: null });
    expect(parseNumber(" 4.5 ")).toEqual({ value: 4.5 });
    expect(parseNumber("-3")).toEqual({ value: -3 });
    expect(parseNumber("abc").error).toBeTruthy();
  });

  test("parseJSON", () => {
    expect(parseJSON("")).toEqual({ value: null });
    expect(parseJSON('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(parseJSON("[1,").error).toMatch(/^Invalid JSON/);
  });

  test("toggleChoice: single replaces or clears", () => {
    expect(toggleChoice("", "a", 1)).toBe("a");
    expect(toggleChoice("a", "b", 1)).toBe("b");
    expect(toggleChoice("a", "a", 1)).toBe("");
  });

  test("toggleChoice: multiple adds, removes, respects max", () => {
    expect(toggleChoice([], "a", 2)).toEqual(["a"]);
    expect(toggleChoice(["a"], "b", 2)).toEqual(["a", "b"]);
    expect(toggleChoice(["a", "b"], "c", 2)).toEqual(["a", "b"]);
    expect(toggleChoice(["a", "b"], "a", 2)).toEqual(["b"]);
  });

  test("quote escapes quotes and backslashes", () => {
    expect(quote("it's")).toBe("'it\\'s'");
    expect(quote("a\\b")).toBe("'a\\\\b'");
  });
});
