import { describe, expect, test } from "vitest";
import type { Collection } from "../lib/api";
import type { Delivery, Webhook } from "./webhooksApi";
import {
  deliveryStatus,
  eventsLabel,
  formatLatency,
  generateSecret,
  isEmptyInput,
  newForm,
  otherErrors,
  secretHint,
  secretProblem,
  toForm,
  toInput,
  webhookCollections,
  webhookState,
} from "./webhookForm";

function hook(over: Partial<Webhook> = {}): Webhook {
  return {
    id: "k3v0m9t2q8x1z7a",
    name: "orders to billing",
    collection: "orders",
    collectionId: "pbc_1",
    events: ["create", "update"],
    url: "https://billing.example.com/hook",
    secretSet: true,
    filter: "total > 100",
    enabled: true,
    disabledReason: "",
    failures: 0,
    retryAt: "",
    lastError: "",
    position: 12,
    lagging: "",
    created: "2026-12-06 08:00:00.000Z",
    updated: "2026-12-06 08:00:00.000Z",
    ...over,
  };
}

describe("form ↔ JSON", () => {
  test("a new webhook sends every field, the secret included, trimmed", () => {
    const f = newForm();
    f.name = "  all changes ";
    f.url = " https://example.com/in ";
    f.secret = "s3cret-value";
    f.events.update = false;
    expect(toInput(f)).toEqual({
      name: "all changes",
      collection: "",
      events: ["create", "delete"],
      url: "https://example.com/in",
      filter: "",
      enabled: true,
      secret: "s3cret-value",
    });
    f.secret = "";
    expect("secret" in toInput(f)).toBe(false);
  });

  test("a webhook read into the form and saved unchanged sends nothing, the stored secret kept", () => {
    const w = hook();
    const f = toForm(w);
    expect(f.secret).toBe("");
    expect(f.events).toEqual({ create: true, update: true, delete: false });
    const input = toInput(f, w);
    expect(input).toEqual({});
    expect(isEmptyInput(input)).toBe(true);
  });

  test("a change sends only what differs; events keep their order", () => {
    const w = hook();
    const f = toForm(w);
    f.events.delete = true;
    f.events.create = false;
    f.enabled = false;
    f.filter = "total > 200 ";
    expect(toInput(f, w)).toEqual({ events: ["update", "delete"], enabled: false, filter: "total > 200" });
  });

  test("a typed secret replaces the stored one; an empty one is never sent", () => {
    const w = hook();
    const f = toForm(w);
    f.secret = "a-new-secret";
    expect(toInput(f, w)).toEqual({ secret: "a-new-secret" });
    f.secret = "";
    expect("secret" in toInput(f, w)).toBe(false);
  });

  test("every collection is the empty name; a deleted collection is kept by its id", () => {
    expect(toForm(hook({ collection: "", collectionId: "" })).collection).toBe("");
    expect(toForm(hook({ collection: "", collectionId: "pbc_gone" })).collection).toBe("pbc_gone");
    const w = hook();
    const f = toForm(w);
    f.collection = "";
    expect(toInput(f, w)).toEqual({ collection: "" });
  });
});

describe("secret", () => {
  test("a new webhook needs one; an existing one keeps it when empty", () => {
    expect(secretProblem("", true)).toMatch(/Give a secret/);
    expect(secretProblem("", false)).toBe("");
    expect(secretProblem("short", false)).toMatch(/8 to 512/);
    expect(secretProblem("x".repeat(513), true)).toMatch(/8 to 512/);
    expect(secretProblem("x".repeat(8), true)).toBe("");
  });

  test("the hint says what saving does", () => {
    expect(secretHint("", true, false)).toMatch(/stored; it is never shown/);
    expect(secretHint("new-one-here", true, false)).toMatch(/replaces/);
    expect(secretHint("new-one-here", false, false)).toMatch(/sets/);
    expect(secretHint("", false, false)).toMatch(/No secret/);
  });

  test("a generated secret is 32 hex characters from the random bytes", () => {
    const s = generateSecret((b) => b.fill(171));
    expect(s).toBe("ab".repeat(16));
    expect(secretProblem(generateSecret(), true)).toBe("");
  });
});

describe("list", () => {
  test("state: enabled, failing with its error and retry, disabled by hand or by the server", () => {
    expect(webhookState(hook())).toEqual({ label: "Enabled", tone: "ok", detail: "" });
    const failing = webhookState(hook({ failures: 3, lastError: "status 500" }));
    expect(failing.tone).toBe("warn");
    expect(failing.detail).toBe("3 failed attempts in a row · status 500");
    expect(webhookState(hook({ enabled: false }))).toEqual({ label: "Disabled", tone: "off", detail: "" });
    expect(webhookState(hook({ enabled: false, disabledReason: "20 failures in a row" }))).toEqual({
      label: "Disabled",
      tone: "error",
      detail: "20 failures in a row",
    });
  });

  test("collections: views left out, by name", () => {
    const c = (name: string, type: string) => ({ name, type }) as unknown as Collection;
    expect(webhookCollections([c("posts", "base"), c("stats", "view"), c("users", "auth"), c("orders", "base")]).map((x) => x.name)).toEqual([
      "orders",
      "posts",
      "users",
    ]);
  });

  test("labels", () => {
    expect(eventsLabel(["delete", "create", "update"])).toBe("all events");
    expect(eventsLabel(["update", "create"])).toBe("create, update");
    expect(deliveryStatus({ status: 0 } as Delivery)).toBe("no answer");
    expect(deliveryStatus({ status: 204 } as Delivery)).toBe("204");
    expect(formatLatency(0.84)).toBe("0.8 ms");
    expect(formatLatency(42.4)).toBe("42 ms");
    expect(formatLatency(1234)).toBe("1.2 s");
    expect(otherErrors({ url: { message: "bad" }, "x.y": { message: "odd" } })).toEqual(["x.y: odd"]);
  });
});
