// File tokens: short-lived tokens (a few minutes for superusers) that let
// protected files be read with ?token=. One is reused until it is about to
// expire, and concurrent callers share one request.

/** tokenExpiry reads a JWT's exp claim, in milliseconds since the epoch; 0 when it has none. */
export function tokenExpiry(token: string): number {
  const part = token.split(".")[1];
  if (!part) return 0;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** TOKEN_MARGIN_MS is how long before its expiry a token is replaced, so that a URL built with it still works when it is fetched. */
export const TOKEN_MARGIN_MS = 30_000;

/** UNREADABLE_TOKEN_MS is how long a token without a readable expiry is reused. */
export const UNREADABLE_TOKEN_MS = 60_000;

/**
 * FileTokenCache hands out file tokens fetched with fetchToken, reusing one
 * while it has more than TOKEN_MARGIN_MS left.
 */
export class FileTokenCache {
  #fetchToken: () => Promise<string>;
  #now: () => number;
  #token = "";
  #validUntil = 0;
  #pending: Promise<string> | null = null;
  #generation = 0;

  constructor(fetchToken: () => Promise<string>, now: () => number = Date.now) {
    this.#fetchToken = fetchToken;
    this.#now = now;
  }

  /** get returns a token with time left, fetching a new one when needed. */
  get(): Promise<string> {
    if (this.#token && this.#now() < this.#validUntil) return Promise.resolve(this.#token);
    if (this.#pending) return this.#pending;
    const generation = this.#generation;
    const p = this.#fetchToken().then(
      (token) => {
        if (generation === this.#generation) {
          const exp = tokenExpiry(token);
          this.#token = token;
          this.#validUntil = exp ? exp - TOKEN_MARGIN_MS : this.#now() + UNREADABLE_TOKEN_MS;
          this.#pending = null;
        }
        return token;
      },
      (err) => {
        if (generation === this.#generation) this.#pending = null;
        throw err;
      },
    );
    this.#pending = p;
    return p;
  }

  /** clear forgets the token (a sign-out or another account); a request under way is not kept. */
  clear(): void {
    this.#generation++;
    this.#token = "";
    this.#validUntil = 0;
    this.#pending = null;
  }
}
