import { describe, expect, it } from "vitest";
import { ApiError, createClient, flattenErrors, localTokenStore, queryString } from "./api";

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

function fakeFetch(status: number, body: unknown, calls: { url: string; init?: RequestInit }[] = []) {
  return (async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  }) as typeof fetch;
}

describe("flattenErrors", () => {
  it("turns nested data into dotted keys", () => {
    const data = {
      name: { code: "validation_required", message: "Cannot be blank." },
      fields: {
        "3": { name: { code: "validation_invalid_name", message: "Bad name." } },
        "4": { code: "validation_invalid_range", message: "min must be at most max." },
      },
    };
    expect(flattenErrors(data)).toEqual({
      name: { code: "validation_required", message: "Cannot be blank." },
      "fields.3.name": { code: "validation_invalid_name", message: "Bad name." },
      "fields.4": { code: "validation_invalid_range", message: "min must be at most max." },
    });
  });
  it("ignores junk", () => {
    expect(flattenErrors(null)).toEqual({});
    expect(flattenErrors({ a: 1, b: "x" })).toEqual({});
  });
});

describe("ApiError.fromBody", () => {
  it("keeps the server's message and data", () => {
    const e = ApiError.fromBody(400, { status: 400, message: "Failed to save the collection.", data: { name: { code: "x", message: "y" } } });
    expect(e.status).toBe(400);
    expect(e.message).toBe("Failed to save the collection.");
    expect(e.fields.name.message).toBe("y");
  });
  it("falls back to a message by status", () => {
    expect(ApiError.fromBody(500, undefined).message).toMatch(/went wrong/);
    expect(ApiError.fromBody(404, { message: "" }).message).toMatch(/wasn't found/);
  });
});

describe("queryString", () => {
  it("leaves out empty values and writes booleans as 1", () => {
    expect(queryString({ dryRun: true, allowDataLoss: false, page: 2, filter: "", sort: undefined })).toBe("?dryRun=1&page=2");
    expect(queryString({})).toBe("");
  });
});

describe("client", () => {
  it("signs in, keeps the token and sends it", async () => {
    const store = localTokenStore(memoryStorage());
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createClient({ store, fetch: fakeFetch(200, { token: "T1", record: { id: "a", collectionId: "c", collectionName: "_superusers" } }, calls) });
    await api.auth.withPassword("a@b.c", "pw");
    expect(store.token).toBe("T1");
    expect(calls[0].url).toBe("/api/collections/_superusers/auth-with-password");
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ identity: "a@b.c", password: "pw" });
    await api.collections.list();
    expect((calls[1].init?.headers as Record<string, string>).Authorization).toBe("T1");
  });

  it("reads the mfaId of a first sign-in method and completes with a one-time password", async () => {
    const store = localTokenStore(memoryStorage());
    const first = createClient({ store, fetch: fakeFetch(401, { mfaId: "m1" }) });
    const err = await first.auth.withPassword("a@b.c", "pw").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, mfaId: "m1" });
    expect(store.token).toBe("");
    const calls: { url: string; init?: RequestInit }[] = [];
    const ok = { token: "T2", record: { id: "a", collectionId: "c", collectionName: "_superusers" } };
    const second = createClient({ store, fetch: fakeFetch(200, ok, calls) });
    await second.auth.requestOTP("a@b.c");
    await second.auth.withOTP("o1", "123456", "m1");
    expect(calls.map((c) => c.url)).toEqual(["/api/collections/_superusers/request-otp", "/api/collections/_superusers/auth-with-otp"]);
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ email: "a@b.c" });
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ otpId: "o1", password: "123456", mfaId: "m1" });
    expect(store.token).toBe("T2");
    expect(ApiError.fromBody(401, { status: 401, message: "x", data: {} }).mfaId).toBe("");
  });

  it("sends the schema query parameters", async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createClient({ store: localTokenStore(memoryStorage()), fetch: fakeFetch(200, { dryRun: true, plans: [] }, calls) });
    await api.collections.update("posts", { name: "posts" }, { dryRun: true, allowDataLoss: true });
    expect(calls[0].url).toBe("/api/collections/posts?dryRun=1&allowDataLoss=1");
    expect(calls[0].init?.method).toBe("PATCH");
    await api.collections.import([{ name: "x" }], true, { dryRun: true });
    expect(calls[1].url).toBe("/api/collections/import?dryRun=1");
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ collections: [{ name: "x" }], deleteMissing: true });
  });

  it("throws ApiError and forgets a rejected token", async () => {
    const store = localTokenStore(memoryStorage());
    store.save("old", null);
    const api = createClient({ store, fetch: fakeFetch(401, { status: 401, message: "The token is invalid.", data: {} }) });
    await expect(api.collections.list()).rejects.toMatchObject({ status: 401, message: "The token is invalid." });
    expect(store.token).toBe("");
  });

  it("reports an unreachable server", async () => {
    const api = createClient({
      store: localTokenStore(memoryStorage()),
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    await expect(api.health()).rejects.toMatchObject({ status: 0 });
  });

  it("encodes record list options", async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createClient({ store: localTokenStore(memoryStorage()), fetch: fakeFetch(200, { items: [] }, calls) });
    await api.records.list("posts", { page: 2, perPage: 50, sort: "-created", filter: "a = 'b'", skipTotal: true });
    expect(calls[0].url).toBe("/api/collections/posts/records?page=2&perPage=50&sort=-created&filter=a+%3D+%27b%27&skipTotal=1");
  });
});

describe("localTokenStore", () => {
  it("persists and survives malformed data", () => {
    const s = memoryStorage();
    localTokenStore(s).save("tok", null);
    expect(localTokenStore(s).token).toBe("tok");
    s.setItem("lumbung_auth", "{nope");
    expect(localTokenStore(s).token).toBe("");
  });
});
