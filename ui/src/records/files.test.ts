import { describe, expect, it } from "vitest";
import type { FileField } from "../lib/api";
import {
  addFiles,
  badThumbs,
  extensionLabel,
  dropNew,
  fileChanged,
  fileCount,
  fileJSON,
  fileKind,
  fileValueOf,
  formatBytes,
  JSON_PAYLOAD,
  keptNames,
  moveItem,
  moveNew,
  moveStored,
  removeStored,
  requestBody,
  restoreStored,
} from "./files";

const single = { maxSelect: 1 } as Pick<FileField, "maxSelect">;
const multi = { maxSelect: 3 } as Pick<FileField, "maxSelect">;
const file = (name: string, body = "x", type = "text/plain") => new File([body], name, { type });
const keys = () => {
  let n = 0;
  return () => `k${++n}`;
};

/** roundTrip encodes form as multipart and parses it back, as a server would see it. */
async function roundTrip(form: FormData): Promise<[string, string | { name: string; text: string }][]> {
  const req = new Request("http://127.0.0.1/", { method: "POST", body: form });
  const parsed = await req.formData();
  const out: [string, string | { name: string; text: string }][] = [];
  for (const [k, v] of parsed.entries()) {
    out.push([k, typeof v === "string" ? v : { name: v.name, text: await v.text() }]);
  }
  return out;
}

describe("file values", () => {
  it("reads a record's value", () => {
    expect(fileValueOf("a.png")).toEqual({ names: ["a.png"], removed: [], added: [] });
    expect(fileValueOf(["a.png", "b.txt"]).names).toEqual(["a.png", "b.txt"]);
    expect(fileValueOf("").names).toEqual([]);
    expect(fileValueOf(null).names).toEqual([]);
  });

  it("adds files up to maxSelect and says how many were left out", () => {
    const v = fileValueOf(["a.png"]);
    const r = addFiles(multi, v, [file("b.txt"), file("c.txt"), file("d.txt")], keys());
    expect(r.value.added.map((a) => a.file.name)).toEqual(["b.txt", "c.txt"]);
    expect(r.value.added.map((a) => a.key)).toEqual(["k1", "k2"]);
    expect(r.skipped).toBe(1);
    expect(fileCount(r.value)).toBe(3);
    // Full: nothing more fits until a file is removed.
    expect(addFiles(multi, r.value, [file("e.txt")], keys()).skipped).toBe(1);
    const freed = removeStored(r.value, "a.png");
    expect(addFiles(multi, freed, [file("e.txt")], keys()).skipped).toBe(0);
  });

  it("replaces the file of a single-file field, and a restore takes the replacement back", () => {
    const v = fileValueOf("old.png");
    const r = addFiles(single, v, [file("new.png"), file("other.png")], keys());
    expect(r.skipped).toBe(1);
    expect(r.value.removed).toEqual(["old.png"]);
    expect(r.value.added.map((a) => a.file.name)).toEqual(["new.png"]);
    expect(fileCount(r.value)).toBe(1);
    const back = restoreStored(single, r.value, "old.png");
    expect(back).toEqual(fileValueOf("old.png"));
  });

  it("marks, restores and drops files", () => {
    let v = fileValueOf(["a", "b"]);
    v = removeStored(v, "a");
    expect(removeStored(v, "a")).toBe(v);
    expect(keptNames(v)).toEqual(["b"]);
    v = restoreStored(multi, v, "a");
    expect(keptNames(v)).toEqual(["a", "b"]);
    const added = addFiles(multi, v, [file("c")], keys()).value;
    expect(dropNew(added, "k1").added).toEqual([]);
  });

  it("reorders within the stored files and within the new ones", () => {
    expect(moveItem([1, 2, 3], 0, 2)).toEqual([2, 3, 1]);
    expect(moveItem([1, 2, 3], 2, 0)).toEqual([3, 1, 2]);
    const same = [1, 2];
    expect(moveItem(same, 0, 5)).toBe(same);
    expect(moveItem(same, -1, 0)).toBe(same);
    const v = fileValueOf(["a", "b", "c"]);
    expect(moveStored(v, 2, 0).names).toEqual(["c", "a", "b"]);
    expect(moveStored(v, 0, 0)).toBe(v);
    const added = addFiles({ maxSelect: 5 }, fileValueOf([]), [file("x"), file("y")], keys()).value;
    expect(moveNew(added, 1, 0).added.map((a) => a.file.name)).toEqual(["y", "x"]);
  });

  it("tells whether a save changes the field", () => {
    const v = fileValueOf(["a", "b"]);
    expect(fileChanged(["a", "b"], v)).toBe(false);
    expect(fileChanged(["a", "b"], moveStored(v, 1, 0))).toBe(true);
    expect(fileChanged(["a", "b"], removeStored(v, "b"))).toBe(true);
    expect(fileChanged(["a", "b"], addFiles(multi, v, [file("c")], keys()).value)).toBe(true);
    expect(fileChanged("", fileValueOf(""))).toBe(false);
    expect(fileChanged(null, fileValueOf(null))).toBe(false);
  });

  it("sends the names to keep: a name or \"\" for one file, a list for several", () => {
    expect(fileJSON(single, fileValueOf("a.png"))).toBe("a.png");
    expect(fileJSON(single, removeStored(fileValueOf("a.png"), "a.png"))).toBe("");
    expect(fileJSON(multi, moveStored(removeStored(fileValueOf(["a", "b", "c"]), "b"), 2, 0))).toEqual(["c", "a"]);
    expect(fileJSON(multi, removeStored(fileValueOf(["a"]), "a"))).toEqual([]);
  });
});

describe("requestBody", () => {
  it("stays JSON without new files (removals and reorders included)", () => {
    const json = { title: "t", docs: ["b", "a"], cover: "" };
    expect(requestBody(json, {})).toBe(json);
    expect(requestBody(json, { docs: [] })).toBe(json);
  });

  it("keeps, reorders and appends: kept names first, then the files, under the field's name; the rest as @jsonPayload", async () => {
    const body = requestBody({ title: "Hello", views: 3, tags: ["x"], docs: ["c.txt", "a.txt"] }, { docs: [file("new.txt", "NEW")] });
    expect(body).toBeInstanceOf(FormData);
    const parts = await roundTrip(body as FormData);
    expect(parts).toEqual([
      ["docs", "c.txt"],
      ["docs", "a.txt"],
      ["docs", { name: "new.txt", text: "NEW" }],
      [JSON_PAYLOAD, JSON.stringify({ title: "Hello", views: 3, tags: ["x"] })],
    ]);
    // The JSON part keeps the values' types.
    expect(JSON.parse(parts[3][1] as string)).toEqual({ title: "Hello", views: 3, tags: ["x"] });
  });

  it("replaces a single file with only the new file under its name", async () => {
    const v = addFiles(single, fileValueOf("old.png"), [file("new.png", "PNG", "image/png")], keys()).value;
    const body = requestBody({ cover: fileJSON(single, v) }, { cover: v.added.map((a) => a.file) });
    expect(await roundTrip(body as FormData)).toEqual([["cover", { name: "new.png", text: "PNG" }]]);
  });

  it("removes every stored file and adds new ones: only the files go", async () => {
    let v = fileValueOf(["a", "b"]);
    v = removeStored(removeStored(v, "a"), "b");
    v = addFiles(multi, v, [file("c", "C"), file("d", "D")], keys()).value;
    const body = requestBody({ docs: fileJSON(multi, v) }, { docs: v.added.map((a) => a.file) });
    expect(await roundTrip(body as FormData)).toEqual([
      ["docs", { name: "c", text: "C" }],
      ["docs", { name: "d", text: "D" }],
    ]);
  });

  it("carries files of several fields and a field without new files as JSON", async () => {
    const body = requestBody({ cover: "", docs: ["a"], gallery: ["z", "y"] }, { cover: [file("c.png", "1")], docs: [file("d", "2")] });
    expect(await roundTrip(body as FormData)).toEqual([
      ["cover", { name: "c.png", text: "1" }],
      ["docs", "a"],
      ["docs", { name: "d", text: "2" }],
      [JSON_PAYLOAD, JSON.stringify({ gallery: ["z", "y"] })],
    ]);
  });
});

describe("kinds and sizes", () => {
  it("guesses kinds from extensions", () => {
    expect(fileKind("photo_ab12.JPG")).toBe("image");
    expect(fileKind("a.webp")).toBe("image");
    expect(fileKind("report.pdf")).toBe("document");
    expect(fileKind("x.zip")).toBe("archive");
    expect(fileKind("noext")).toBe("file");
  });
  it("labels files by extension", () => {
    expect(extensionLabel("report_x1.pdf")).toBe("PDF");
    expect(extensionLabel("a.tar.gz")).toBe("GZ");
    expect(extensionLabel("noext")).toBe("FILE");
    expect(extensionLabel(".env")).toBe("FILE");
    expect(extensionLabel("x.verylong")).toBe("FILE");
  });
  it("writes sizes for people", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5 MB");
    expect(formatBytes(15 * 1024 * 1024)).toBe("15 MB");
  });
});

describe("badThumbs", () => {
  it("accepts PocketBase's thumb formats and names the others", () => {
    expect(badThumbs(["100x100", "100x50t", "100x50b", "100x50f", "0x50", "100x0"])).toEqual([]);
    expect(badThumbs(["0x0", "100", "100x50z", "x50", "100 x 50", "-1x5"])).toEqual(["0x0", "100", "100x50z", "x50", "100 x 50", "-1x5"]);
    expect(badThumbs(null)).toEqual([]);
  });
});
