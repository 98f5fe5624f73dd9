import type { Collection, Field } from "../lib/api";

/** fieldNotes describes a field's constraints in a few words for the API preview. */
export function fieldNotes(f: Field, all: Collection[]): string[] {
  const notes: string[] = [];
  if (f.required) notes.push("required");
  if (f.system) notes.push("system");
  if (f.hidden) notes.push(f.type === "password" ? "write-only" : "hidden from responses");
  switch (f.type) {
    case "text":
      if (f.primaryKey) notes.push("primary key, generated when empty");
      else if (f.autogeneratePattern) notes.push(`generated: ${f.autogeneratePattern}`);
      if (f.min || f.max) notes.push(`length ${f.min || 0}–${f.max || "∞"}`);
      if (f.pattern && !f.primaryKey) notes.push(`pattern ${f.pattern}`);
      break;
    case "number":
      if (f.onlyInt) notes.push("integers only");
      if (f.min !== null || f.max !== null) notes.push(`range ${f.min ?? "−∞"}–${f.max ?? "∞"}`);
      break;
    case "select": {
      const values = (f.values ?? []).join(", ");
      notes.push(f.maxSelect > 1 ? `up to ${f.maxSelect} of: ${values}` : `one of: ${values}`);
      break;
    }
    case "relation": {
      const target = all.find((c) => c.id === f.collectionId)?.name ?? f.collectionId;
      notes.push(f.maxSelect > 1 ? `ids of up to ${f.maxSelect} ${target} records` : `id of a ${target} record`);
      break;
    }
    case "autodate":
      notes.push(f.onUpdate ? "set on create and update" : "set on create");
      break;
    case "date":
      notes.push('"2006-01-02 15:04:05.000Z" (UTC)');
      break;
    case "password":
      notes.push(`length ${f.min}–${f.max}; send with ${f.name}Confirm`);
      break;
    case "file":
      notes.push(f.maxSelect > 1 ? `up to ${f.maxSelect} files, sent as multipart/form-data` : "one file, sent as multipart/form-data");
      if (f.maxSize) notes.push(`at most ${f.maxSize} bytes each`);
      if (f.mimeTypes?.length) notes.push(`types ${f.mimeTypes.join(", ")}`);
      if (f.protected) notes.push("protected: read with a file token");
      break;
    case "email":
    case "url":
      if (f.onlyDomains?.length) notes.push(`only ${f.onlyDomains.join(", ")}`);
      if (f.exceptDomains?.length) notes.push(`not ${f.exceptDomains.join(", ")}`);
      break;
  }
  return notes;
}

/** jsonType is how a field's value looks in JSON. */
export function jsonType(f: Field): string {
  switch (f.type) {
    case "number":
      return "number";
    case "bool":
      return "boolean";
    case "json":
      return "any JSON";
    case "geoPoint":
      return "{lon: number, lat: number}";
    case "select":
      return f.maxSelect > 1 ? "string[]" : "string";
    case "relation":
      return f.maxSelect > 1 ? "string[]" : "string";
    case "file":
      return f.maxSelect > 1 ? "string[] (file names)" : "string (a file name)";
    default:
      return "string";
  }
}
