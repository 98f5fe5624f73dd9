import { describe, expect, it } from "vitest";
import type { Field, FieldType } from "../../lib/api";
import { newField } from "../fieldTypes";
import { noteId, optionAttrs, optionId } from "./options";
import { optionEditors } from "./registry";

const field = (type: FieldType, extra: Record<string, unknown> = {}) => ({ ...newField(type, "f"), id: `${type}1`, ...extra }) as Field;

describe("option editors", () => {
  // Options the server's checks name in their errors, by field type.
  const named: [FieldType, string[]][] = [
    ["text", ["min", "pattern"]],
    ["number", ["min"]],
    ["password", ["min"]],
    ["date", ["min"]],
    ["editor", ["maxSize"]],
    ["json", ["maxSize"]],
    ["email", ["onlyDomains"]],
    ["url", ["onlyDomains"]],
    ["select", ["values"]],
    ["relation", ["collectionId"]],
    ["autodate", ["onCreate"]],
    ["file", ["maxSize", "mimeTypes", "thumbs"]],
  ];
  it.each(named)("%s shows the server's options under their inputs", (type, options) => {
    const inputs = optionEditors[type].inputs(field(type));
    for (const o of options) expect(inputs).toContain(o);
  });

  it("names options only while their input shows", () => {
    expect(optionEditors.relation.inputs(field("relation", { maxSelect: 1 }))).not.toContain("minSelect");
    expect(optionEditors.relation.inputs(field("relation", { maxSelect: 5 }))).toContain("minSelect");
    expect(optionEditors.select.inputs(field("select", { maxSelect: 1 }))).not.toContain("maxSelect");
    expect(optionEditors.file.inputs(field("file", { maxSelect: 1 }))).not.toContain("maxSelect");
    expect(optionEditors.file.inputs(field("file", { maxSelect: 4 }))).toContain("maxSelect");
    // The primary key has no input: its error stays with the options.
    expect(optionEditors.text.inputs(field("text"))).not.toContain("primaryKey");
    expect(optionEditors.bool.inputs(field("bool"))).toEqual([]);
  });
});

describe("optionAttrs", () => {
  const f = field("number");
  it("ties an input to its error", () => {
    expect(optionAttrs(f, "min", { min: "min must be at most max." })).toEqual({
      id: "field-number1-min",
      "aria-invalid": "true",
      "aria-describedby": "field-number1-min-note",
    });
  });
  it("ties an input to its hint while there is no error", () => {
    expect(optionAttrs(f, "max", { min: "x" }, true)).toEqual({ id: optionId(f, "max"), "aria-describedby": noteId(f, "max") });
    expect(optionAttrs(f, "max", { min: "x" })).toEqual({ id: optionId(f, "max") });
  });
});
