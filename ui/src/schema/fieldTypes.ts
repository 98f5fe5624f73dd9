import type { Field, FieldOf, FieldType } from "../lib/api";

/** FieldTypeInfo describes a field type for the designer. */
export interface FieldTypeInfo<T extends FieldType = FieldType> {
  type: T;
  label: string;
  /** icon is a short mark shown beside fields of this type. */
  icon: string;
  hint: string;
  /** options returns the type's default options. */
  options: () => Omit<FieldOf<T>, "id" | "name" | "type" | "system" | "hidden" | "presentable" | "required">;
  /** authOnly types can only be added to auth collections. */
  authOnly?: boolean;
}

type Registry = { [T in FieldType]: FieldTypeInfo<T> };

/** fieldTypes lists every field type the server knows, in menu order. */
export const fieldTypes: Registry = {
  text: {
    type: "text",
    label: "Plain text",
    icon: "T",
    hint: "A string, with optional length limits and pattern.",
    options: () => ({ min: 0, max: 0, pattern: "", autogeneratePattern: "", primaryKey: false }),
  },
  editor: { type: "editor", label: "Rich editor", icon: "¶", hint: "HTML content.", options: () => ({ maxSize: 0, convertURLs: false }) },
  number: { type: "number", label: "Number", icon: "#", hint: "A double precision number.", options: () => ({ min: null, max: null, onlyInt: false }) },
  bool: { type: "bool", label: "Bool", icon: "✓", hint: "True or false.", options: () => ({}) },
  email: { type: "email", label: "Email", icon: "@", hint: "An email address.", options: () => ({ exceptDomains: null, onlyDomains: null }) },
  url: { type: "url", label: "URL", icon: "⇗", hint: "A web address.", options: () => ({ exceptDomains: null, onlyDomains: null }) },
  date: { type: "date", label: "Datetime", icon: "▦", hint: "A date and time (UTC).", options: () => ({ min: "", max: "" }) },
  autodate: {
    type: "autodate",
    label: "Autodate",
    icon: "◷",
    hint: "Set by the server on create and/or update.",
    options: () => ({ onCreate: true, onUpdate: false }),
  },
  select: { type: "select", label: "Select", icon: "≡", hint: "One or more values from a list.", options: () => ({ values: [], maxSelect: 1 }) },
  json: { type: "json", label: "JSON", icon: "{}", hint: "Any JSON value.", options: () => ({ maxSize: 0 }) },
  relation: {
    type: "relation",
    label: "Relation",
    icon: "⇄",
    hint: "References to records of another collection.",
    options: () => ({ collectionId: "", cascadeDelete: false, minSelect: 0, maxSelect: 1 }),
  },
  geoPoint: {
    type: "geoPoint",
    label: "Geo point",
    icon: "⌖",
    hint: "A longitude and latitude; a required point cannot be 0, 0.",
    options: () => ({}),
  },
  file: {
    type: "file",
    label: "File",
    icon: "▤",
    hint: "Uploaded files; images get thumbnails.",
    options: () => ({ maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false }),
  },
  password: {
    type: "password",
    label: "Password",
    icon: "•",
    hint: "A hashed secret (auth collections).",
    options: () => ({ min: 8, max: 71, cost: 0 }),
    authOnly: true,
  },
};

/** fieldTypeList is fieldTypes in menu order. */
export const fieldTypeList: FieldTypeInfo[] = Object.values(fieldTypes);

/** typeInfo returns the description of a type, tolerating unknown ones. */
export function typeInfo(type: string): FieldTypeInfo {
  return (fieldTypes as Record<string, FieldTypeInfo>)[type] ?? { ...fieldTypes.text, type, label: type, icon: "?" };
}

/** newField returns a field of type with default options and no id. */
export function newField<T extends FieldType>(type: T, name: string): FieldOf<T> {
  const info = fieldTypes[type] as FieldTypeInfo<T>;
  return {
    id: "",
    name,
    type,
    system: false,
    hidden: false,
    presentable: false,
    required: false,
    ...info.options(),
  } as FieldOf<T>;
}

/** changeType returns field as a field of another type: common attributes kept, options reset. */
export function changeType(field: Field, type: FieldType): Field {
  const f = newField(type, field.name);
  return { ...f, id: field.id, hidden: field.hidden, presentable: field.presentable, required: field.required };
}
