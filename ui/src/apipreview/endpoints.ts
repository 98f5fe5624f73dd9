import type { Collection, Rule } from "../lib/api";

/** Endpoint is one HTTP route a collection answers. */
export interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "DELETE" | "WS";
  path: string;
  summary: string;
  /** rule is the collection's API rule for this action, when it has one. */
  rule?: Rule;
  group: "records" | "auth" | "other";
}

/** QueryParam documents a query parameter of the record endpoints. */
export interface QueryParam {
  name: string;
  example: string;
  text: string;
  /** listOnly parameters apply only to lists. */
  listOnly: boolean;
}

/** queryParams are the query parameters of the record endpoints. */
export const queryParams: QueryParam[] = [
  { name: "page", example: "1", text: "The page to return, from 1.", listOnly: true },
  { name: "perPage", example: "30", text: "Records per page, at most 1000 (default 30).", listOnly: true },
  { name: "sort", example: "-created,title", text: "Comma-separated fields; a leading - sorts descending, + or nothing ascending. @random shuffles.", listOnly: true },
  { name: "filter", example: "views > 0 && title ~ 'hi'", text: "A filter expression: = != > >= < <= ~ (contains) !~, the any-of forms ?= ?~ …, && || and parentheses.", listOnly: true },
  { name: "expand", example: "author,comments_via_post", text: "Relation fields whose records are embedded under expand; dots reach further (author.org).", listOnly: false },
  { name: "fields", example: "id,title,expand.author.name", text: "Comma-separated fields to return; * for all at a level.", listOnly: false },
  { name: "skipTotal", example: "1", text: "Skip counting: totalItems and totalPages are -1, the list is faster.", listOnly: true },
];

/** recordsPath is the records endpoint of a collection. */
export function recordsPath(c: Collection): string {
  return `/api/collections/${encodeURIComponent(c.name)}/records`;
}

/** endpoints lists what a collection answers, records first. */
export function endpoints(c: Collection): Endpoint[] {
  const base = `/api/collections/${encodeURIComponent(c.name)}`;
  const records = recordsPath(c);
  const out: Endpoint[] = [
    { method: "GET", path: records, summary: "List and search records (paginated).", rule: c.listRule, group: "records" },
    { method: "GET", path: `${records}/:id`, summary: "View one record.", rule: c.viewRule, group: "records" },
  ];
  if (c.type !== "view") {
    out.push(
      { method: "POST", path: records, summary: "Create a record.", rule: c.createRule, group: "records" },
      { method: "PATCH", path: `${records}/:id`, summary: "Update a record (field+, +field and field- modify numbers and lists).", rule: c.updateRule, group: "records" },
      { method: "DELETE", path: `${records}/:id`, summary: "Delete a record.", rule: c.deleteRule, group: "records" },
    );
  }
  if (c.type === "auth") {
    const auth: [Endpoint["method"], string, string][] = [
      ["GET", "auth-methods", "The sign-in methods this collection offers."],
      ["POST", "auth-with-password", "Sign in with {identity, password} → {token, record}."],
      ["POST", "auth-with-oauth2", "Sign in with an OAuth2 provider's authorization code."],
      ["POST", "auth-refresh", "A new token for the signed-in record."],
      ["POST", "request-verification", "Email a verification link ({email})."],
      ["POST", "confirm-verification", "Verify the record ({token})."],
      ["POST", "request-password-reset", "Email a password reset link ({email})."],
      ["POST", "confirm-password-reset", "Set a new password ({token, password, passwordConfirm})."],
      ["POST", "request-email-change", "Signed in: email a confirmation to {newEmail}."],
      ["POST", "confirm-email-change", "Confirm the new email ({token, password})."],
      ["POST", "impersonate/:id", "Superusers: a non-refreshable token for a record."],
    ];
    for (const [method, path, summary] of auth) out.push({ method, path: `${base}/${path}`, summary, group: "auth" });
  }
  if (c.type !== "view") {
    out.push(
      { method: "POST", path: "/api/batch", summary: "Up to 50 creates, updates, upserts and deletes in one transaction.", group: "other" },
      { method: "WS", path: "/api/realtime", summary: `Live changes: subscribe to "${c.name}/*" or "${c.name}/<id>" (WebSocket; SSE for the SDK).`, group: "other" },
    );
  }
  return out;
}

/** ruleText explains an API rule in a few words. */
export function ruleText(rule: Rule | undefined): string {
  if (rule === undefined) return "";
  if (rule === null) return "superusers only";
  if (rule === "") return "everyone";
  return rule;
}
