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
    expect(ApiError.fromBody(413, undefined).message).toMatch(/larger than the server accepts/);
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

/** FakeXHR stands in for XMLHttpRequest: it reports the upload in two steps, then answers. */
class FakeXHR {
  static last: FakeXHR | null = null;
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  responseText = "";
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor(private answer: { status: number; body: unknown }) {
    FakeXHR.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.body = body;
    queueMicrotask(() => {
      this.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true });
      this.upload.onprogress?.({ loaded: 100, total: 100, lengthComputable: true });
      this.status = this.answer.status;
      this.responseText = JSON.stringify(this.answer.body);
      this.onload?.();
    });
  }
  abort() {
    this.onabort?.();
  }
}

describe("files", () => {
  const record = { id: "r1", collectionId: "c_1", collectionName: "posts" };

  it("builds file addresses: thumbnails, downloads, tokens", () => {
    const api = createClient({ baseUrl: "http://127.0.0.1:8090/", store: localTokenStore(memoryStorage()), fetch: fakeFetch(200, {}) });
    expect(api.files.url(record, "a b.png")).toBe("http://127.0.0.1:8090/api/files/c_1/r1/a%20b.png");
    expect(api.files.url(record, "a.png", { thumb: "100x100" })).toBe("http://127.0.0.1:8090/api/files/c_1/r1/a.png?thumb=100x100");
    expect(api.files.url(record, "a.png", { thumb: "100x100", token: "T" })).toBe(
      "http://127.0.0.1:8090/api/files/c_1/r1/a.png?thumb=100x100&token=T",
    );
    expect(api.files.url(record, "a.pdf", { download: true, token: "" })).toBe("http://127.0.0.1:8090/api/files/c_1/r1/a.pdf?download=1");
  });

  it("asks for a file token once while it lasts, and again after a sign-out", async () => {
    const store = localTokenStore(memoryStorage());
    store.save("S", null);
    const calls: { url: string; init?: RequestInit }[] = [];
    const exp = Math.floor(Date.now() / 1000) + 120;
    const token = `h.${btoa(JSON.stringify({ exp })).replace(/=+$/, "")}.s`;
    const api = createClient({ store, fetch: fakeFetch(200, { token }, calls) });
    expect(await api.files.cachedToken()).toBe(token);
    expect(await api.files.cachedToken()).toBe(token);
    expect(calls.map((c) => [c.url, c.init?.method])).toEqual([["/api/files/token", "POST"]]);
    expect((calls[0].init?.headers as Record<string, string>).Authorization).toBe("S");
    store.clear();
    store.save("S2", null);
    await api.files.cachedToken();
    expect(calls).toHaveLength(2);
  });

  it("sends a multipart record through fetch without a JSON content type", async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createClient({ store: localTokenStore(memoryStorage()), fetch: fakeFetch(200, record, calls) });
    const form = new FormData();
    form.append("docs", new File(["x"], "x.txt"));
    await api.records.update("posts", "r1", form);
    expect(calls[0].init?.body).toBe(form);
    expect((calls[0].init?.headers as Record<string, string>)["Content-Type"]).toBeUndefined();
  });

  it("follows an upload's progress through XMLHttpRequest and reads its answer", async () => {
    const store = localTokenStore(memoryStorage());
    store.save("S", null);
    const api = createClient({
      store,
      fetch: fakeFetch(500, {}),
      xhr: () => new FakeXHR({ status: 200, body: record }) as unknown as XMLHttpRequest,
    });
    const form = new FormData();
    form.append("docs", new File(["x"], "x.txt"));
    const seen: number[] = [];
    const saved = await api.records.create("posts", form, { expand: "author" }, (p) => seen.push(p.loaded / p.total));
    expect(saved).toEqual(record);
    expect(seen).toEqual([0.5, 1]);
    const xhr = FakeXHR.last!;
    expect([xhr.method, xhr.url]).toEqual(["POST", "/api/collections/posts/records?expand=author"]);
    expect(xhr.body).toBe(form);
    expect(xhr.headers.Authorization).toBe("S");
    expect(xhr.headers["Content-Type"]).toBeUndefined();
  });

  it("turns a refused upload into an ApiError with the field's problem", async () => {
    const refused = {
      status: 400,
      message: "Failed to update record.",
      data: { docs: { code: "validation_file_size_limit", message: "Failed to upload x.txt - the maximum allowed file size is 10 bytes." } },
    };
    const api = createClient({
      store: localTokenStore(memoryStorage()),
      xhr: () => new FakeXHR({ status: 400, body: refused }) as unknown as XMLHttpRequest,
    });
    const err = await api.records.update("posts", "r1", new FormData(), {}, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: "Failed to update record." });
    expect((err as ApiError).fields.docs.code).toBe("validation_file_size_limit");
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
