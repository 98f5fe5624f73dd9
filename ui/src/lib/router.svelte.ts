// A small hash router: "#/collections/posts/schema?tab=x".

/** Location is the parsed hash: its path and query. */
export interface Location {
  path: string;
  query: URLSearchParams;
}

/** parseHash reads a location hash ("#/a/b?x=1"); an empty hash is "/". */
export function parseHash(hash: string): Location {
  let s = hash.startsWith("#") ? hash.slice(1) : hash;
  const q = s.indexOf("?");
  const query = new URLSearchParams(q >= 0 ? s.slice(q + 1) : "");
  if (q >= 0) s = s.slice(0, q);
  if (!s.startsWith("/")) s = "/" + s;
  if (s.length > 1 && s.endsWith("/")) s = s.slice(0, -1);
  return { path: s, query };
}

/**
 * matchPath matches a path against a pattern with ":name" segments and an
 * optional trailing "*" (the rest, in params["*"]). It returns the decoded
 * parameters, or null.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split("/").filter(Boolean);
  const xs = path.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (p === "*") {
      params["*"] = xs.slice(i).map(safeDecode).join("/");
      return params;
    }
    if (i >= xs.length) return null;
    if (p.startsWith(":")) params[p.slice(1)] = safeDecode(xs[i]);
    else if (p !== xs[i]) return null;
  }
  return ps.length === xs.length ? params : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Route binds a pattern to whatever the app shows for it. */
export interface Route<T> {
  pattern: string;
  view: T;
}

/** Match is the route chosen for a path, with its parameters. */
export interface Match<T> {
  route: Route<T>;
  params: Record<string, string>;
}

/** resolve picks the first route whose pattern matches path. */
export function resolve<T>(routes: Route<T>[], path: string): Match<T> | null {
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

/** href builds a hash link from path segments, encoding each. */
export function href(...segments: string[]): string {
  return "#/" + segments.map(encodeURIComponent).join("/");
}

/** withQuery returns a link to l with key set to value, or removed when value is null. */
export function withQuery(l: Location, key: string, value: string | null): string {
  const q = new URLSearchParams(l.query);
  if (value === null) q.delete(key);
  else q.set(key, value);
  const s = q.toString();
  return "#" + l.path + (s ? "?" + s : "");
}

/** sameLocation reports whether two locations have the same path and query. */
export function sameLocation(a: Location, b: Location): boolean {
  return a.path === b.path && a.query.toString() === b.query.toString();
}

/**
 * viewKey names what a view shows at l: its path and query, less the query
 * keys the view follows itself. A view starts over when its key changes.
 */
export function viewKey(l: Location, follows: string[] = []): string {
  const q = new URLSearchParams(l.query);
  for (const k of follows) q.delete(k);
  const s = q.toString();
  return s ? `${l.path}?${s}` : l.path;
}

/**
 * Guard is asked before the location changes. It returns false to keep the
 * current location, and may call resume later to make the move after all
 * (once the user agrees to discard their changes, say).
 */
export type Guard = (to: Location, resume: () => void) => boolean;

/** GoOptions choose how the router moves. */
export interface GoOptions {
  /** replace changes the current history entry instead of adding one. */
  replace?: boolean;
  /** force moves without asking the guards. */
  force?: boolean;
}

/**
 * Address is what the router needs of the browser: the location hash and
 * the session history.
 */
export interface Address {
  hash(): string;
  /** state is the current history entry's state. */
  state(): unknown;
  push(state: unknown, hash: string): void;
  /** replace sets the current entry's state, and its hash when given. */
  replace(state: unknown, hash?: string): void;
  /** go moves delta entries through history; the move is reported through listen, later. */
  go(delta: number): void;
  /** listen calls fn after the hash changed by other means than push and
   * replace: a link, the address bar, Back or Forward. */
  listen(fn: () => void): void;
}

function browserAddress(): Address {
  return {
    hash: () => window.location.hash,
    state: () => history.state,
    push: (state, hash) => history.pushState(state, "", hash),
    replace: (state, hash) => (hash === undefined ? history.replaceState(state, "") : history.replaceState(state, "", hash)),
    go: (delta) => history.go(delta),
    listen: (fn) => window.addEventListener("hashchange", fn),
  };
}

// Each history entry the dashboard visits is marked in its state with its
// position, so that a move through history knows how far it went (and can
// be undone), and with the link it was opened from.
const entryKey = "lumbungEntry";

interface Entry {
  index: number;
  from?: string;
}

function entryOf(state: unknown): Entry | null {
  if (state === null || typeof state !== "object") return null;
  const e = (state as Record<string, unknown>)[entryKey];
  if (e === null || typeof e !== "object" || typeof (e as Entry).index !== "number") return null;
  return e as Entry;
}

function withEntry(state: unknown, e: Entry): Record<string, unknown> {
  const base = state !== null && typeof state === "object" ? (state as Record<string, unknown>) : {};
  return { ...base, [entryKey]: e };
}

function asLink(link: string): string {
  return link.startsWith("#") ? link : "#" + link;
}

/**
 * Router keeps the location in step with the hash. Guards may hold a move:
 * one the dashboard makes is not made, and one the browser made (Back,
 * Forward, a link, the address bar) is undone.
 */
export class Router {
  location = $state<Location>(parseHash(""));
  readonly #address: Address | null;
  #hash = "";
  #index = 0;
  #guards = new Set<Guard>();
  /** expected is the index of the entry a move the router made lands on. */
  #expected: number | null = null;

  constructor(address: Address | null) {
    this.#address = address;
    if (!address) return;
    this.#hash = address.hash();
    this.location = parseHash(this.#hash);
    const e = entryOf(address.state());
    if (e) this.#index = e.index;
    else address.replace(withEntry(address.state(), { index: 0 }));
    address.listen(() => this.#changed());
  }

  /** guard adds g until the returned function is called. */
  guard(g: Guard): () => void {
    this.#guards.add(g);
    return () => {
      this.#guards.delete(g);
    };
  }

  /** go navigates to a hash link ("#/…"). */
  go(link: string, opts: GoOptions = {}) {
    const a = this.#address;
    const target = asLink(link);
    if (!a || target === this.#hash) return;
    if (!opts.force && !this.#allows(parseHash(target), () => this.go(link, { ...opts, force: true }))) return;
    this.#expected = null;
    if (opts.replace) {
      a.replace(withEntry(a.state(), { ...entryOf(a.state()), index: this.#index }), target);
    } else {
      this.#index++;
      a.push(withEntry(null, { index: this.#index, from: this.#hash }), target);
    }
    this.#set(target);
  }

  /**
   * leave moves from the current entry to link: back through history when
   * the entry was opened from link, so that Forward returns to it, else by
   * replacing the entry.
   */
  leave(link: string, opts: { force?: boolean } = {}) {
    const a = this.#address;
    if (!a) return;
    if (this.#expected !== null && this.#expected === this.#index - 1) return;
    const from = entryOf(a.state())?.from;
    if (from === undefined || !sameLocation(parseHash(from), parseHash(link))) {
      this.go(link, { replace: true, force: opts.force });
      return;
    }
    if (!opts.force && !this.#allows(parseHash(from), () => this.leave(link, { force: true }))) return;
    this.#expected = this.#index - 1;
    a.go(-1);
  }

  #allows(to: Location, resume: () => void): boolean {
    for (const g of this.#guards) if (!g(to, resume)) return false;
    return true;
  }

  #set(hash: string) {
    this.#hash = hash;
    this.location = parseHash(hash);
  }

  #changed() {
    const a = this.#address!;
    const hash = a.hash();
    const e = entryOf(a.state());
    // An entry without a mark is new: the rest of history was dropped.
    const index = e ? e.index : this.#index + 1;
    if (!e) a.replace(withEntry(a.state(), { index, from: this.#hash }));
    const expected = this.#expected === index;
    this.#expected = null;
    if (hash === this.#hash) {
      this.#index = index;
      return;
    }
    if (!expected) {
      const delta = index - this.#index;
      const resume = e
        ? () => {
            this.#expected = this.#index + delta;
            a.go(delta);
          }
        : () => this.go(hash, { force: true });
      if (!this.#allows(parseHash(hash), resume)) {
        if (delta === 0) {
          a.replace(a.state(), this.#hash);
        } else {
          this.#expected = this.#index;
          a.go(-delta);
        }
        return;
      }
    }
    this.#index = index;
    this.#set(hash);
  }
}

/** router is the app's current location. */
export const router = new Router(typeof window === "undefined" ? null : browserAddress());
