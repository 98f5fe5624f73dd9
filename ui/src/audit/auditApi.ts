// The audit log's requests, through the dashboard's one HTTP client.

import { api, type ListResult } from "../lib/api";

/** AuditChange is one field of a change: old is absent for a create, new for a delete. */
export interface AuditChange {
  old?: unknown;
  new?: unknown;
}

/** AuditEntry is one change of a record as the audit log keeps it. */
export interface AuditEntry {
  /** id is the change's number in the change log. */
  id: string;
  created: string;
  /** actor is "user:<collectionId>:<id>", "superuser:<id>", "system", "plugin:<id>", "guest" or "sql". */
  actor: string;
  requestId: string;
  /** ip is "" when the change came without a request (plain SQL, the system's own work). */
  ip: string;
  collectionId: string;
  collectionName: string;
  recordId: string;
  action: "create" | "update" | "delete";
  /** diff holds the fields the change set or changed; secret and hidden ones read "***". */
  diff: Record<string, AuditChange>;
  /** data is the record after the change (before it, for a delete), masked alike. */
  data: Record<string, unknown>;
}

/** AuditListOptions are the query parameters of the audit log and of a record's history. */
export interface AuditListOptions {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
}

const enc = encodeURIComponent;

/** auditApi reads the audit log (superusers). */
export const auditApi = {
  list(q: AuditListOptions = {}, signal?: AbortSignal) {
    return api.request<ListResult<AuditEntry>>("/api/audit", { query: { ...q }, signal });
  },
  get(id: string, signal?: AbortSignal) {
    return api.request<AuditEntry>(`/api/audit/${enc(id)}`, { signal });
  },
  /** history lists a record's versions, newest first. */
  history(collection: string, id: string, q: AuditListOptions = {}, signal?: AbortSignal) {
    return api.request<ListResult<AuditEntry>>(`/api/collections/${enc(collection)}/records/${enc(id)}/history`, {
      query: { ...q },
      signal,
    });
  },
};
