import type { Collection } from "../lib/api";
import { recordsPath } from "./endpoints";
import {
  placeholderId,
  sampleBody,
  sampleExpand,
  sampleFilter,
  sampleLookup,
  sampleRecord,
  sampleSort,
  sampleUpdate,
} from "./samples";

/** Snippet is one titled piece of example code. */
export interface Snippet {
  id: string;
  title: string;
  code: string;
}

/** shellQuote quotes s for a POSIX shell. */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  if (!/["$`\\!]/.test(s)) return `"${s}"`;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** jsValue writes v as a JavaScript literal: identifier keys unquoted, indented by two spaces. */
export function jsValue(v: unknown, indent = ""): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[${v.map((x) => jsValue(x, indent)).join(", ")}]`;
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    const lines = entries.map(([k, x]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${jsValue(x, inner)},`);
    return `{\n${lines.join("\n")}\n${indent}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

function wsURL(baseUrl: string): string {
  return baseUrl.replace(/^http/, "ws") + "/api/realtime";
}

const auth = ` \\\n  -H "Authorization: $TOKEN"`;

/** curlSnippets are curl commands for the collection's record endpoints. */
export function curlSnippets(c: Collection, baseUrl: string): Snippet[] {
  const url = baseUrl + recordsPath(c);
  const expand = sampleExpand(c);
  const list = [
    `curl -G ${shellQuote(url)}${auth}`,
    `  --data-urlencode page=1`,
    `  --data-urlencode perPage=20`,
    `  --data-urlencode ${shellQuote(`sort=${sampleSort(c)}`)}`,
    `  --data-urlencode ${shellQuote(`filter=${sampleFilter(c)}`)}`,
    ...(expand ? [`  --data-urlencode ${shellQuote(`expand=${expand}`)}`] : []),
  ].join(" \\\n");
  const out: Snippet[] = [
    { id: "curl-list", title: "List and search", code: list },
    { id: "curl-view", title: "View", code: `curl ${shellQuote(`${url}/${placeholderId}`)}${auth}` },
  ];
  if (c.type !== "view") {
    const json = (body: Record<string, unknown>) => shellQuote(JSON.stringify(body));
    const send = (method: string, target: string, body: Record<string, unknown>) =>
      `curl -X ${method} ${shellQuote(target)}${auth} \\\n  -H "Content-Type: application/json" \\\n  -d ${json(body)}`;
    out.push(
      { id: "curl-create", title: "Create", code: send("POST", url, sampleBody(c)) },
      { id: "curl-update", title: "Update", code: send("PATCH", `${url}/${placeholderId}`, sampleUpdate(c)) },
      { id: "curl-delete", title: "Delete", code: `curl -X DELETE ${shellQuote(`${url}/${placeholderId}`)}${auth}` },
    );
  }
  if (c.type === "auth") {
    const body = { identity: "user@example.com", password: "secret-password" };
    out.unshift({
      id: "curl-auth",
      title: "Sign in (sets $TOKEN)",
      code:
        `TOKEN=$(curl -s -X POST ${shellQuote(`${baseUrl}/api/collections/${encodeURIComponent(c.name)}/auth-with-password`)} \\\n` +
        `  -H "Content-Type: application/json" \\\n  -d ${shellQuote(JSON.stringify(body))} | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')`,
    });
  }
  return out;
}

/** sdkSnippets use the `pocketbase` JavaScript SDK. */
export function sdkSnippets(c: Collection, baseUrl: string): Snippet[] {
  const col = `pb.collection(${JSON.stringify(c.name)})`;
  const expand = sampleExpand(c);
  const lookup = sampleLookup(c);
  const setup = `import PocketBase from "pocketbase";\n\nconst pb = new PocketBase(${JSON.stringify(baseUrl)});`;
  const listOpts: Record<string, string> = { filter: sampleFilter(c), sort: sampleSort(c) };
  if (expand) listOpts.expand = expand;
  const out: Snippet[] = [
    { id: "sdk-setup", title: "Setup", code: setup },
    {
      id: "sdk-list",
      title: "List and search",
      code:
        `// one page: {page, perPage, totalItems, totalPages, items}\n` +
        `const page = await ${col}.getList(1, 20, ${jsValue(listOpts)});\n\n` +
        `// every matching record, fetched in batches\n` +
        `const all = await ${col}.getFullList({ sort: ${JSON.stringify(sampleSort(c))} });\n\n` +
        `// values from users belong in parameters, not in the filter text\n` +
        `const first = await ${col}.getFirstListItem(pb.filter(${JSON.stringify(`${lookup.field} = {:value}`)}, { value: ${jsValue(lookup.value)} }));`,
    },
    {
      id: "sdk-view",
      title: "View",
      code: `const record = await ${col}.getOne(${JSON.stringify(placeholderId)}${expand ? `, { expand: ${JSON.stringify(expand)} }` : ""});`,
    },
  ];
  if (c.type !== "view") {
    out.push(
      { id: "sdk-create", title: "Create", code: `const record = await ${col}.create(${jsValue(sampleBody(c))});` },
      { id: "sdk-update", title: "Update", code: `const record = await ${col}.update(${JSON.stringify(placeholderId)}, ${jsValue(sampleUpdate(c))});` },
      { id: "sdk-delete", title: "Delete", code: `await ${col}.delete(${JSON.stringify(placeholderId)});` },
      {
        id: "sdk-subscribe",
        title: "Subscribe to changes",
        code:
          `const unsubscribe = await ${col}.subscribe("*", (e) => {\n` +
          `  console.log(e.action, e.record); // create, update or delete\n` +
          `}, { filter: ${JSON.stringify(sampleFilter(c))} });\n\n` +
          `// one record only\nawait ${col}.subscribe(${JSON.stringify(placeholderId)}, (e) => console.log(e.action));\n\n` +
          `await unsubscribe();`,
      },
      {
        id: "sdk-batch",
        title: "Batch (one transaction)",
        code:
          `const batch = pb.createBatch();\n` +
          `batch.collection(${JSON.stringify(c.name)}).create(${jsValue(sampleBody(c))});\n` +
          `batch.collection(${JSON.stringify(c.name)}).delete(${JSON.stringify(placeholderId)});\n` +
          `const results = await batch.send();`,
      },
    );
  }
  if (c.type === "auth") {
    out.splice(1, 0, {
      id: "sdk-auth",
      title: "Sign in",
      code:
        `const { token, record } = await ${col}.authWithPassword("user@example.com", "secret-password");\n` +
        `// pb.authStore keeps the token; later requests send it\n` +
        `console.log(pb.authStore.isValid, pb.authStore.record?.id);\n\n` +
        `await ${col}.authRefresh();\n` +
        `await ${col}.requestPasswordReset("user@example.com");\n\n` +
        `// sign out: pb.authStore.clear();`,
    });
  }
  return out;
}

/** wsSnippets speak the realtime WebSocket protocol directly. */
export function wsSnippets(c: Collection, baseUrl: string): Snippet[] {
  if (c.type === "view") return [];
  const subscribe = { type: "subscribe", id: c.name, topic: `${c.name}/*`, filter: sampleFilter(c) };
  const client =
    `const ws = new WebSocket(${JSON.stringify(wsURL(baseUrl))});\n` +
    `let lastSeq = 0;\n\n` +
    `ws.onopen = () => {\n` +
    `  ws.send(JSON.stringify({ type: "auth", token: pb.authStore.token }));\n` +
    `  ws.send(JSON.stringify(${jsValue(subscribe, "  ")}));\n` +
    `};\n` +
    `ws.onmessage = (m) => {\n` +
    `  const msg = JSON.parse(m.data);\n` +
    `  if (msg.type === "event") {\n` +
    `    lastSeq = msg.seq; // after a reconnect, subscribe with since: lastSeq\n` +
    `    console.log(msg.action, msg.record);\n` +
    `  }\n` +
    `  if (msg.type === "error") console.warn(msg.code, msg.message);\n` +
    `};\n` +
    `setInterval(() => ws.send(JSON.stringify({ type: "ping" })), 30000);`;
  const event = { type: "event", sub: c.name, action: "create", record: sampleRecord(c), seq: 42 };
  const messages =
    `// client → server\n` +
    `${JSON.stringify({ type: "auth", token: "<token>" })}\n` +
    `${JSON.stringify({ type: "subscribe", id: c.name, topic: `${c.name}/*`, since: 41 })}\n` +
    `${JSON.stringify({ type: "unsubscribe", id: c.name })}\n` +
    `${JSON.stringify({ type: "ping" })}\n\n` +
    `// server → client\n` +
    `${JSON.stringify({ type: "connected", clientId: "<clientId>" })}\n` +
    `${JSON.stringify({ type: "ack", id: c.name, seq: 41 })}\n` +
    `${JSON.stringify(event, null, 2)}\n` +
    `${JSON.stringify({ type: "error", id: c.name, code: "resync", message: "…" })}\n` +
    `${JSON.stringify({ type: "pong" })}`;
  return [
    { id: "ws-client", title: "WebSocket client", code: client },
    { id: "ws-messages", title: "Messages", code: messages },
  ];
}
