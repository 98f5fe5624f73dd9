// The webhook form and its mapping to and from the server's JSON. The
// secret is write-only: the form never holds the stored one, only a new one
// typed (or generated) to set or replace it.

import type { Collection } from "../lib/api";
import type { Delivery, Webhook, WebhookEvent, WebhookInput } from "./webhooksApi";

/** deliveriesKey is the query key naming the webhook whose deliveries the screen shows. */
export const deliveriesKey = "deliveries";

/** events are the actions a webhook may ask for, in the order the form lists them. */
export const events: WebhookEvent[] = ["create", "update", "delete"];

/** secretMin and secretMax bound a secret's length, as the server does. */
export const secretMin = 8;
export const secretMax = 512;

/** WebhookForm is what the webhook dialog edits. */
export interface WebhookForm {
  name: string;
  /** collection is a collection's name; "" for every collection. */
  collection: string;
  events: Record<WebhookEvent, boolean>;
  url: string;
  /** secret is a new secret; "" keeps the stored one (a new webhook needs one). */
  secret: string;
  filter: string;
  enabled: boolean;
}

/** newForm is the form of a new webhook: every event, enabled. */
export function newForm(): WebhookForm {
  return { name: "", collection: "", events: { create: true, update: true, delete: true }, url: "", secret: "", filter: "", enabled: true };
}

/** toForm copies a webhook into a form; the secret starts empty (kept). */
export function toForm(w: Webhook): WebhookForm {
  const on = new Set(w.events ?? []);
  return {
    name: w.name,
    // A collection the server no longer names (deleted) is kept by its id.
    collection: w.collection || w.collectionId || "",
    events: { create: on.has("create"), update: on.has("update"), delete: on.has("delete") },
    url: w.url,
    secret: "",
    filter: w.filter ?? "",
    enabled: w.enabled,
  };
}

function chosen(f: WebhookForm): WebhookEvent[] {
  return events.filter((e) => f.events[e]);
}

/**
 * toInput is the body that saves the form: a new webhook (no original)
 * sends every field (the secret when one is typed); a change sends only the fields that differ from the
 * original, and the secret only when a new one was typed.
 */
export function toInput(f: WebhookForm, original?: Webhook): WebhookInput {
  const full: Required<Omit<WebhookInput, "secret">> = {
    name: f.name.trim(),
    collection: f.collection,
    events: chosen(f),
    url: f.url.trim(),
    filter: f.filter.trim(),
    enabled: f.enabled,
  };
  // An empty secret is left out: the server then says a new webhook needs one.
  if (!original) return f.secret === "" ? full : { ...full, secret: f.secret };
  const was = toForm(original);
  const out: WebhookInput = {};
  if (full.name !== was.name) out.name = full.name;
  if (full.collection !== was.collection) out.collection = full.collection;
  if (full.events.join(",") !== chosen(was).join(",")) out.events = full.events;
  if (full.url !== was.url) out.url = full.url;
  if (full.filter !== was.filter) out.filter = full.filter;
  if (full.enabled !== was.enabled) out.enabled = full.enabled;
  if (f.secret !== "") out.secret = f.secret;
  return out;
}

/** isEmptyInput tells whether a change changes nothing. */
export function isEmptyInput(i: WebhookInput): boolean {
  return Object.keys(i).length === 0;
}

/**
 * secretProblem is what is wrong with the typed secret before sending (""
 * when nothing): a new webhook needs one, and one typed has 8 to 512
 * characters. Empty on an existing webhook keeps the stored secret.
 */
export function secretProblem(secret: string, creating: boolean): string {
  if (secret === "") return creating ? "Give a secret: receivers check each request's signature with it." : "";
  if (secret.length < secretMin || secret.length > secretMax) return `A secret has ${secretMin} to ${secretMax} characters.`;
  return "";
}

/** secretHint says what saving does with the secret. */
export function secretHint(secret: string, secretSet: boolean, creating: boolean): string {
  if (creating) return "Receivers check the X-Lumbung-Signature header with it. It is not shown again after saving.";
  if (secret !== "") return secretSet ? "Saving replaces the stored secret." : "Saving sets this secret.";
  return secretSet ? "A secret is stored; it is never shown. Type a new one to replace it, or leave empty to keep it." : "No secret is stored.";
}

/** generateSecret returns a random secret of 32 hexadecimal characters. */
export function generateSecret(random: (b: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return [...random(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** webhookCollections are the collections a webhook may name: every one but views (they have no changes), by name. */
export function webhookCollections(all: Collection[]): Collection[] {
  return all.filter((c) => c.type !== "view").sort((a, b) => a.name.localeCompare(b.name));
}

/** WebhookState is how the list shows a webhook's state. */
export interface WebhookState {
  label: string;
  tone: "ok" | "warn" | "off" | "error";
  /** detail is the reason, the last error and when the next attempt is due. */
  detail: string;
}

/** webhookState summarizes a webhook: enabled, failing (retrying), disabled by a superuser or by the server with its reason. */
export function webhookState(w: Webhook): WebhookState {
  if (!w.enabled) {
    if (w.disabledReason) return { label: "Disabled", tone: "error", detail: w.disabledReason };
    return { label: "Disabled", tone: "off", detail: "" };
  }
  if (w.failures > 0) {
    const parts = [`${w.failures} failed attempt${w.failures === 1 ? "" : "s"} in a row`];
    if (w.lastError) parts.push(w.lastError);
    if (w.retryAt) parts.push(`next attempt ${formatTime(w.retryAt)}`);
    return { label: "Failing", tone: "warn", detail: parts.join(" · ") };
  }
  return { label: "Enabled", tone: "ok", detail: "" };
}

/** eventsLabel writes a webhook's events ("all events" for the three). */
export function eventsLabel(list: WebhookEvent[]): string {
  const on = events.filter((e) => list.includes(e));
  return on.length === events.length ? "all events" : on.join(", ");
}

/** deliveryStatus writes a delivery's answer: its status, or "no answer". */
export function deliveryStatus(d: Delivery): string {
  return d.status ? String(d.status) : "no answer";
}

/** formatLatency writes milliseconds: "0.8 ms", "42 ms", "1.2 s". */
export function formatLatency(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** formatTime writes the server's UTC date ("2026-12-06 06:30:00.000Z") in the browser's time. */
export function formatTime(date: string): string {
  if (!date) return "";
  const d = new Date(date.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? date : d.toLocaleString();
}

/** fieldKeys are the webhook's fields the form shows errors under. */
export const fieldKeys = ["name", "collection", "events", "url", "secret", "filter", "enabled"] as const;

/** otherErrors are the server's complaints about fields the form has no input for. */
export function otherErrors(errors: Record<string, { message: string }>): string[] {
  return Object.entries(errors)
    .filter(([k]) => !(fieldKeys as readonly string[]).includes(k))
    .map(([k, e]) => `${k}: ${e.message}`);
}
