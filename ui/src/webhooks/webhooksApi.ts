// The webhooks' requests (plugins/webhooks, superusers), through the
// dashboard's one HTTP client. While the plugin is off every route answers
// 404.

import { api, type ListResult } from "../lib/api";

/** WebhookEvent is an action a webhook may ask for. */
export type WebhookEvent = "create" | "update" | "delete";

/** Webhook is a webhook as the server answers it; the secret is never sent back. */
export interface Webhook {
  id: string;
  name: string;
  /** collection is the collection's name; "" for every collection. */
  collection: string;
  collectionId: string;
  events: WebhookEvent[];
  url: string;
  /** secretSet tells whether a secret is stored. */
  secretSet: boolean;
  filter: string;
  enabled: boolean;
  /** disabledReason says why the server disabled the webhook ("" when a superuser did, or it is enabled). */
  disabledReason: string;
  /** failures counts the failed attempts since the last success. */
  failures: number;
  /** retryAt is when the next attempt is due ("" when none waits). */
  retryAt: string;
  lastError: string;
  /** position is the seq of the last change handled (null while disabled). */
  position: number | null;
  /** lagging says which changes were pruned before they were delivered ("" when none). */
  lagging: string;
  created: string;
  updated: string;
}

/** WebhookInput is the body of a create or a change: a change sends only the fields it changes. */
export interface WebhookInput {
  name?: string;
  /** collection is a name or id; "" for every collection. */
  collection?: string;
  events?: WebhookEvent[];
  url?: string;
  /** secret sets a new secret (8 to 512 characters); left out, the stored one stays. */
  secret?: string;
  filter?: string;
  enabled?: boolean;
}

/** Delivery is one entry of a webhook's delivery log. */
export interface Delivery {
  id: number;
  /** event is the change's seq, or "test" for a test. */
  event: string;
  action: string;
  collection: string;
  record: string;
  attempt: number;
  /** status is the receiver's HTTP status; 0 when it did not answer. */
  status: number;
  success: boolean;
  /** latency is in milliseconds. */
  latency: number;
  error: string;
  node: string;
  created: string;
}

const enc = encodeURIComponent;

/** webhooksApi manages the webhooks and reads their delivery logs. */
export const webhooksApi = {
  list(signal?: AbortSignal) {
    return api.request<{ items: Webhook[] }>("/api/webhooks", { signal }).then((r) => r.items ?? []);
  },
  get(id: string) {
    return api.request<Webhook>(`/api/webhooks/${enc(id)}`);
  },
  create(input: WebhookInput) {
    return api.request<Webhook>("/api/webhooks", { method: "POST", body: { ...input } });
  },
  update(id: string, input: WebhookInput) {
    return api.request<Webhook>(`/api/webhooks/${enc(id)}`, { method: "PATCH", body: { ...input } });
  },
  remove(id: string) {
    return api.request<undefined>(`/api/webhooks/${enc(id)}`, { method: "DELETE" });
  },
  /** deliveries lists a webhook's delivery log, newest first. */
  deliveries(id: string, q: { page?: number; perPage?: number } = {}, signal?: AbortSignal) {
    return api.request<ListResult<Delivery>>(`/api/webhooks/${enc(id)}/deliveries`, { query: { ...q }, signal });
  },
  /** test sends a test event now and answers its delivery. */
  test(id: string) {
    return api.request<Delivery>(`/api/webhooks/${enc(id)}/test`, { method: "POST" });
  },
};
