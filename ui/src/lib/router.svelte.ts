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

class Router {
  location = $state<Location>(parseHash(typeof window === "undefined" ? "" : window.location.hash));

  constructor() {
    if (typeof window !== "undefined") {
      window.addEventListener("hashchange", () => {
        this.location = parseHash(window.location.hash);
      });
    }
  }

  /** go navigates to a hash link ("#/…"); replace keeps history short. */
  go(link: string, replace = false) {
    const target = link.startsWith("#") ? link : "#" + link;
    if (replace) {
      history.replaceState(history.state, "", target);
      this.location = parseHash(target);
    } else {
      window.location.hash = target;
    }
  }
}

/** router is the app's current location. */
export const router = new Router();
