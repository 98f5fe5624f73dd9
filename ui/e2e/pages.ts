// What the tests know about the dashboard's screens: how to find a field
// row, read the grid, and open each main screen once it is ready.

import type { Page } from "playwright-core";
import { createCollection, createRecord, eventually, gone, newPage, open, uniqueName, visible, type PageOptions } from "./harness";

/** withPage runs fn on a new page and always closes its context. */
export async function withPage(opts: PageOptions, fn: (page: Page) => Promise<void>): Promise<void> {
  const { context, page } = await newPage(opts);
  try {
    await fn(page);
  } finally {
    await context.close();
  }
}

/** fieldRow is the designer's row of the field named name. */
export function fieldRow(page: Page, name: string) {
  return page.getByRole("listitem").filter({ has: page.getByRole("button", { name: `Delete field ${name}`, exact: true }) });
}

/** autodates are the created and updated fields the designer adds to a new collection. */
export const autodates = [
  { name: "created", type: "autodate", onCreate: true, onUpdate: false },
  { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
];

/** loaded waits until no "Loading…" status shows. */
export async function loaded(page: Page) {
  await gone(page.getByRole("status").filter({ hasText: "Loading…" }));
}

/** gridColumn returns the texts of the grid's column named name, top to
 * bottom, or null while the page shows no grid. */
export function gridColumn(page: Page, name: string): Promise<string[] | null> {
  return page.evaluate((name) => {
    const table = document.querySelector("main table");
    if (!table) return null;
    const heads = [...table.querySelectorAll("thead th")];
    const i = heads.findIndex((th) => th.textContent?.replace(/[▲▼]/g, "").trim() === name);
    if (i < 0) return null;
    return [...table.querySelectorAll("tbody tr")].map((tr) => tr.children[i]?.textContent?.trim() ?? "");
  }, name);
}

/** sortState is the aria-sort of the grid's column named name. */
export function sortState(page: Page, name: string) {
  return page.getByRole("columnheader").filter({ has: page.getByRole("button", { name, exact: true }) }).getAttribute("aria-sort");
}

/** Screen is a main screen of the dashboard and what shows once it is ready. */
export interface Screen {
  name: string;
  hash: (collection: string) => string;
  ready: (page: Page) => Promise<unknown>;
}

/** heading waits for the heading named name (exactly) and returns it. */
export function heading(page: Page, name: string, level?: number) {
  return visible(page.getByRole("heading", { name, exact: true, level }));
}

/** screens are the dashboard's main screens; collection screens show showcase(). */
export const screens: Screen[] = [
  {
    name: "home",
    hash: () => "#/",
    ready: async (p) => {
      await heading(p, "Collections", 1);
      await visible(p.getByRole("main").getByRole("listitem").first());
    },
  },
  { name: "new-collection", hash: () => "#/new-collection", ready: (p) => heading(p, "New collection", 1) },
  {
    name: "schema-designer",
    hash: (c) => `#/collections/${c}/schema`,
    ready: async (p) => {
      await heading(p, "Fields", 2);
      await visible(fieldRow(p, "title"));
    },
  },
  {
    name: "data-browser",
    hash: (c) => `#/collections/${c}`,
    ready: async (p) => {
      await eventually(async () => (await gridColumn(p, "title"))?.length, 3);
      await visible(p.getByText("Live", { exact: true }));
    },
  },
  {
    name: "api-preview",
    hash: (c) => `#/collections/${c}/api`,
    ready: async (p) => {
      await heading(p, "Endpoints", 2);
      await heading(p, "Examples", 2);
      // The server's OpenAPI document, as the superuser gets it.
      await visible(p.getByRole("link", { name: "OpenAPI document" }));
    },
  },
  {
    name: "access",
    hash: () => "#/access",
    ready: async (p) => {
      await heading(p, "Access control", 1);
      await visible(p.getByRole("rowheader", { name: /authenticated/ }));
    },
  },
  {
    name: "access-policies",
    hash: (c) => `#/access/policies/${c}`,
    ready: (p) => visible(p.getByRole("table", { name: /Who may do what/ })),
  },
  { name: "access-explain", hash: () => "#/access/explain", ready: (p) => heading(p, "Ask", 2) },
  {
    name: "settings",
    hash: () => "#/settings",
    ready: async (p) => {
      await heading(p, "Settings", 1);
      await heading(p, "Application", 2);
    },
  },
  {
    name: "logs",
    hash: () => "#/logs",
    ready: async (p) => {
      await heading(p, "Logs", 1);
      await visible(p.getByRole("table").first());
    },
  },
  { name: "import-export", hash: () => "#/import-export", ready: (p) => heading(p, "Import / export", 1) },
  {
    name: "backups",
    hash: () => "#/backups",
    ready: async (p) => {
      await heading(p, "Backups", 1);
      await visible(p.getByRole("button", { name: "New backup" }));
    },
  },
  {
    name: "crons",
    hash: () => "#/crons",
    ready: async (p) => {
      await heading(p, "Crons", 1);
      await visible(p.getByRole("cell", { name: "__lumbungCronRunsCleanup__", exact: true }));
    },
  },
  {
    name: "webhooks",
    hash: () => "#/webhooks",
    ready: async (p) => {
      await heading(p, "Webhooks", 1);
      await visible(p.getByRole("button", { name: "+ New webhook" }));
    },
  },
  {
    name: "insights",
    hash: () => "#/insights",
    ready: async (p) => {
      await heading(p, "Insights", 1);
      await visible(p.getByRole("heading", { name: "Indexes", level: 3 }).first());
    },
  },
];

let showcaseName = "";

/** showcase is a collection with a few records for the screens to show. */
export async function showcase(): Promise<string> {
  if (showcaseName) return showcaseName;
  const name = uniqueName("showcase");
  await createCollection({
    name,
    fields: [
      { name: "title", type: "text", required: true },
      { name: "views", type: "number" },
      { name: "status", type: "select", values: ["draft", "published"], maxSelect: 1 },
      { name: "published", type: "bool" },
      ...autodates,
    ],
  });
  const rows = [
    ["Hello, world", 12, "published", true],
    ["Second post", 3, "draft", false],
    ["A rather longer title to see how the grid handles it", 140, "published", true],
  ] as const;
  for (const [title, views, status, published] of rows) {
    await createRecord(name, { title, views, status, published });
  }
  showcaseName = name;
  return name;
}

/** show opens screen s and waits until it is ready. */
export async function show(page: Page, s: Screen) {
  await open(page, s.hash(await showcase()));
  await s.ready(page);
  await loaded(page);
}
