import type { Component } from "svelte";
import type { Route } from "./lib/router.svelte";
import AccessScreen from "./access/AccessScreen.svelte";
import Home from "./collections/Home.svelte";
import ImportExport from "./collections/ImportExport.svelte";
import RecordsScreen from "./records/RecordsScreen.svelte";
import { recordKey } from "./records/recordLink";
import SchemaScreen from "./schema/SchemaScreen.svelte";
import ApiPreview from "./apipreview/ApiPreview.svelte";
import LogsScreen from "./logs/LogsScreen.svelte";
import CronsScreen from "./crons/CronsScreen.svelte";
import InsightsScreen from "./insights/InsightsScreen.svelte";
import AuditScreen from "./audit/AuditScreen.svelte";
import SettingsScreen from "./settings/SettingsScreen.svelte";
import BackupsScreen from "./backups/BackupsScreen.svelte";
import WebhooksScreen from "./webhooks/WebhooksScreen.svelte";
import { deliveriesKey } from "./webhooks/webhookForm";
import Placeholder from "./shell/Placeholder.svelte";
import Setup from "./shell/Setup.svelte";

/** View is what a route shows: a component and how it gets its props. */
export interface View {
  component: Component<any>;
  props?: (params: Record<string, string>, query: URLSearchParams) => Record<string, unknown>;
  /** public views are shown without signing in. */
  public?: boolean;
  /** follows names query keys the view keeps up with as they change; a change of any other key starts the view over. */
  follows?: string[];
}

/** routes is the dashboard's route table, first match wins. */
export const routes: Route<View>[] = [
  { pattern: "/", view: { component: Home } },
  { pattern: "/setup/:token", view: { component: Setup, public: true, props: (p) => ({ token: p.token }) } },
  {
    pattern: "/new-collection",
    view: {
      component: SchemaScreen,
      props: (_p, q) => ({ create: { type: q.get("type") ?? "base", from: q.get("from") ?? "" } }),
    },
  },
  { pattern: "/collections/:name/schema", view: { component: SchemaScreen, props: (p) => ({ name: p.name }) } },
  { pattern: "/collections/:name/api", view: { component: ApiPreview, props: (p) => ({ name: p.name }) } },
  {
    pattern: "/collections/:name",
    view: { component: RecordsScreen, props: (p, q) => ({ name: p.name, record: q.get(recordKey) }), follows: [recordKey] },
  },
  { pattern: "/import-export", view: { component: ImportExport } },
  { pattern: "/access", view: { component: AccessScreen } },
  { pattern: "/access/*", view: { component: AccessScreen, props: (p) => ({ path: p["*"] }) } },
  { pattern: "/settings", view: { component: SettingsScreen } },
  { pattern: "/backups", view: { component: BackupsScreen } },
  { pattern: "/logs", view: { component: LogsScreen } },
  { pattern: "/crons", view: { component: CronsScreen } },
  { pattern: "/insights", view: { component: InsightsScreen } },
  { pattern: "/audit", view: { component: AuditScreen } },
  {
    pattern: "/webhooks",
    view: { component: WebhooksScreen, props: (_p, q) => ({ deliveries: q.get(deliveriesKey) }), follows: [deliveriesKey] },
  },
];
