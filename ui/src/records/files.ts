// A file field in the record editor: the stored files kept, marked for
// removal or reordered, the new files picked, and the request a save sends.
//
// The request follows PocketBase's contract: without new files the field
// is plain JSON (the names to keep, in order; "" or [] removes every file).
// With new files the body is multipart: under the field's name the names
// to keep (as plain values, in order) and then the new files, which the
// server appends after them; every other value goes as JSON in one
// "@jsonPayload" part.

import type { FileField } from "../lib/api";
import { asList } from "./format";

/** NewFile is a file picked in the editor and not saved yet; key tells it apart. */
export interface NewFile {
  key: string;
  file: File;
}

/** FileValue is a file field's value in the editor. */
export interface FileValue {
  /** names are the stored files in the order they are to keep, including the ones marked for removal. */
  names: string[];
  /** removed are the stored files to delete on save. */
  removed: string[];
  /** added are the new files, saved after the kept ones in this order. */
  added: NewFile[];
}

/** fileValueOf reads a record's file value (a name or a list of names) into the editor's form. */
export function fileValueOf(v: unknown): FileValue {
  return { names: asList(v), removed: [], added: [] };
}

/** isFileValue tells whether v is the editor's form of a file value. */
export function isFileValue(v: unknown): v is FileValue {
  return typeof v === "object" && v !== null && Array.isArray((v as FileValue).names) && Array.isArray((v as FileValue).added);
}

/** keptNames are the stored files the value keeps, in order. */
export function keptNames(v: FileValue): string[] {
  return v.names.filter((n) => !v.removed.includes(n));
}

/** fileCount is how many files the field holds once saved. */
export function fileCount(v: FileValue): number {
  return keptNames(v).length + v.added.length;
}

/** maxFiles is how many files a field takes. */
export function maxFiles(f: Pick<FileField, "maxSelect">): number {
  return Math.max(1, f.maxSelect || 1);
}

/**
 * addFiles adds picked or dropped files. A single-file field takes the
 * first one in place of its file (the stored one is marked for removal);
 * a multi-file field takes as many as it has room for. skipped counts the
 * files left out.
 */
export function addFiles(
  f: Pick<FileField, "maxSelect">,
  v: FileValue,
  files: File[],
  newKey: () => string,
): { value: FileValue; skipped: number } {
  if (files.length === 0) return { value: v, skipped: 0 };
  const max = maxFiles(f);
  if (max === 1) {
    return {
      value: { names: v.names, removed: [...v.names], added: [{ key: newKey(), file: files[0] }] },
      skipped: files.length - 1,
    };
  }
  const room = Math.max(0, max - fileCount(v));
  const taken = files.slice(0, room).map((file) => ({ key: newKey(), file }));
  return { value: { ...v, added: [...v.added, ...taken] }, skipped: files.length - taken.length };
}

/** removeStored marks a stored file for removal on save. */
export function removeStored(v: FileValue, name: string): FileValue {
  return v.removed.includes(name) ? v : { ...v, removed: [...v.removed, name] };
}

/**
 * restoreStored takes a stored file's removal back. A single-file field
 * that gets its file back drops the new file that was to replace it.
 */
export function restoreStored(f: Pick<FileField, "maxSelect">, v: FileValue, name: string): FileValue {
  const removed = v.removed.filter((n) => n !== name);
  return { ...v, removed, added: maxFiles(f) === 1 ? [] : v.added };
}

/** dropNew takes a new file out before it is saved. */
export function dropNew(v: FileValue, key: string): FileValue {
  return { ...v, added: v.added.filter((a) => a.key !== key) };
}

/** moveItem moves the item at from to index to; out-of-range moves change nothing. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return list;
  const out = [...list];
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

/** moveStored moves a stored file to another place among the stored files. */
export function moveStored(v: FileValue, from: number, to: number): FileValue {
  const names = moveItem(v.names, from, to);
  return names === v.names ? v : { ...v, names };
}

/** moveNew moves a new file to another place among the new files. */
export function moveNew(v: FileValue, from: number, to: number): FileValue {
  const added = moveItem(v.added, from, to);
  return added === v.added ? v : { ...v, added };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** fileChanged tells whether saving v would change the record's stored value. */
export function fileChanged(stored: unknown, v: FileValue): boolean {
  return v.added.length > 0 || !sameList(keptNames(v), asList(stored));
}

/** fileJSON is the JSON value a save sends for the stored files to keep: a name ("" for none) or a list. */
export function fileJSON(f: Pick<FileField, "maxSelect">, v: FileValue): string | string[] {
  const kept = keptNames(v);
  return maxFiles(f) > 1 ? kept : (kept[0] ?? "");
}

/** JSON_PAYLOAD is the multipart part that carries the values other than files, as PocketBase reads them. */
export const JSON_PAYLOAD = "@jsonPayload";

/**
 * requestBody is what a save sends: json as it is when there are no new
 * files, else multipart. uploads holds the new files by field; json holds
 * each such field's names to keep, which go first under the field's name.
 */
export function requestBody(json: Record<string, unknown>, uploads: Record<string, File[]>): Record<string, unknown> | FormData {
  const withFiles = Object.entries(uploads).filter(([, files]) => files.length > 0);
  if (withFiles.length === 0) return json;
  const form = new FormData();
  const rest = { ...json };
  for (const [name, files] of withFiles) {
    for (const kept of asList(rest[name])) form.append(name, kept);
    delete rest[name];
    for (const file of files) form.append(name, file, file.name);
  }
  if (Object.keys(rest).length > 0) form.append(JSON_PAYLOAD, JSON.stringify(rest));
  return form;
}

// ---------------------------------------------------------------- kinds

/** FileKind is what a file looks like from its name. */
export type FileKind = "image" | "video" | "audio" | "document" | "archive" | "file";

const kinds: [FileKind, string[]][] = [
  ["image", [".jpg", ".jpeg", ".png", ".svg", ".gif", ".jfif", ".webp", ".avif"]],
  ["video", [".mp4", ".avi", ".mov", ".3gp", ".wmv", ".webm"]],
  ["audio", [".aa", ".aac", ".m4a", ".mp3", ".ogg", ".oga", ".mogg", ".amr", ".wav", ".flac"]],
  ["document", [".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odp", ".odt", ".ods", ".txt", ".csv", ".md"]],
  ["archive", [".zip", ".gz", ".tar", ".rar", ".7z"]],
];

/** fileKind guesses a file's kind from its name's extension, as PocketBase's dashboard does. */
export function fileKind(name: string): FileKind {
  const n = name.toLowerCase();
  return kinds.find(([, exts]) => exts.some((e) => n.endsWith(e)))?.[0] ?? "file";
}

/** extensionLabel marks a file without a preview: its extension in capitals (at most 4 letters), else "FILE". */
export function extensionLabel(name: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1) : "";
  return /^[a-z0-9]{1,4}$/i.test(ext) ? ext.toUpperCase() : "FILE";
}

/** PREVIEW_THUMB is the thumbnail size the dashboard shows, which the server makes for every image. */
export const PREVIEW_THUMB = "100x100";

/** formatBytes writes a size for people: "512 B", "1.5 KB", "12 MB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

// ---------------------------------------------------------------- options

const thumbSpec = /^(\d+)x(\d+)([tbf])?$/;

/** badThumbs lists the thumb sizes that are not PocketBase's WxH, WxHt, WxHb, WxHf, 0xH or Wx0 (0x0 is none). */
export function badThumbs(thumbs: string[] | null): string[] {
  return (thumbs ?? []).filter((t) => {
    const m = thumbSpec.exec(t);
    return !m || (Number(m[1]) === 0 && Number(m[2]) === 0);
  });
}

/** MimePreset is a named list of MIME types the designer offers in one click. */
export interface MimePreset {
  label: string;
  types: string[];
}

/** mimePresets are PocketBase's presets of allowed MIME types. */
export const mimePresets: MimePreset[] = [
  { label: "Images", types: ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"] },
  {
    label: "Documents",
    types: [
      "application/pdf",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
  },
  { label: "Videos", types: ["video/mp4", "video/mpeg", "video/x-msvideo", "video/quicktime", "video/3gpp"] },
  { label: "Archives", types: ["application/zip", "application/x-7z-compressed", "application/x-rar-compressed"] },
];
