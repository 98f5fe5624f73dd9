import { describe, expect, it } from "vitest";
import { FileTokenCache, TOKEN_MARGIN_MS, tokenExpiry, UNREADABLE_TOKEN_MS } from "./fileToken";

const b64url = (s: string) => Buffer.from(s).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
/** jwt makes an unsigned token with the claims given; only its payload is read. */
const jwt = (claims: Record<string, unknown>) => `${b64url('{"alg":"HS256"}')}.${b64url(JSON.stringify(claims))}.sig`;

describe("tokenExpiry", () => {
  it("reads exp in milliseconds", () => {
    expect(tokenExpiry(jwt({ exp: 1_700_000_120, type: "file" }))).toBe(1_700_000_120_000);
  });
  it("is 0 without a readable exp", () => {
    expect(tokenExpiry("")).toBe(0);
    expect(tokenExpiry("abc")).toBe(0);
    expect(tokenExpiry(`x.${b64url("not json")}.y`)).toBe(0);
    expect(tokenExpiry(jwt({ type: "file" }))).toBe(0);
    expect(tokenExpiry(jwt({ exp: "soon" }))).toBe(0);
  });
});

describe("FileTokenCache", () => {
  function setup() {
    let now = 1_700_000_000_000;
    let n = 0;
    const fetched: string[] = [];
    // Each token lasts two minutes from when it is made, as a superuser's does.
    const cache = new FileTokenCache(
      async () => {
        const t = jwt({ exp: Math.floor(now / 1000) + 120, n: ++n });
        fetched.push(t);
        return t;
      },
      () => now,
    );
    return { cache, fetched, advance: (ms: number) => (now += ms) };
  }

  it("reuses a token until shortly before it expires", async () => {
    const { cache, fetched, advance } = setup();
    const a = await cache.get();
    advance(120_000 - TOKEN_MARGIN_MS - 1);
    expect(await cache.get()).toBe(a);
    expect(fetched).toHaveLength(1);
    advance(2);
    const b = await cache.get();
    expect(b).not.toBe(a);
    expect(fetched).toHaveLength(2);
  });

  it("shares one request between concurrent callers", async () => {
    const { cache, fetched } = setup();
    const [a, b, c] = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(fetched).toHaveLength(1);
    expect(new Set([a, b, c]).size).toBe(1);
  });

  it("forgets the token on clear", async () => {
    const { cache, fetched } = setup();
    await cache.get();
    cache.clear();
    await cache.get();
    expect(fetched).toHaveLength(2);
  });

  it("asks again after a failure", async () => {
    let fail = true;
    const cache = new FileTokenCache(async () => {
      if (fail) throw new Error("offline");
      return jwt({ exp: Math.floor(Date.now() / 1000) + 120 });
    });
    await expect(cache.get()).rejects.toThrow("offline");
    fail = false;
    await expect(cache.get()).resolves.toMatch(/\./);
  });

  it("reuses a token without a readable expiry for a minute", async () => {
    let now = 0;
    let n = 0;
    const cache = new FileTokenCache(async () => `opaque-${++n}`, () => now);
    expect(await cache.get()).toBe("opaque-1");
    now += UNREADABLE_TOKEN_MS - 1;
    expect(await cache.get()).toBe("opaque-1");
    now += 1;
    expect(await cache.get()).toBe("opaque-2");
  });
});
