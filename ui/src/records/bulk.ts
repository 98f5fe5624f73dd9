// Deleting many records: batches of 50 in one transaction each.

import { ApiError, errorMessage, type Api } from "../lib/api";

/** BulkResult tells which records were deleted and why others were not. */
export interface BulkResult {
  deleted: string[];
  failures: { ids: string[]; message: string }[];
}

const batchSize = 50;

/** batchFailure reads which sub-request of a failed batch broke, and why. */
export function batchFailure(err: unknown): { index: number; message: string } | null {
  if (!(err instanceof ApiError)) return null;
  const requests = (err.data as { requests?: Record<string, { response?: { message?: unknown } }> }).requests;
  if (!requests || typeof requests !== "object") return null;
  for (const [k, v] of Object.entries(requests)) {
    const index = Number(k);
    const message = v?.response?.message;
    if (Number.isInteger(index) && typeof message === "string") return { index, message };
  }
  return null;
}

/**
 * deleteRecords deletes ids from collection, 50 per batch request (all or
 * none of a batch); a batch that fails names the record that stopped it.
 */
export async function deleteRecords(client: Pick<Api, "records">, collection: string, ids: string[]): Promise<BulkResult> {
  const out: BulkResult = { deleted: [], failures: [] };
  for (let i = 0; i < ids.length; i += batchSize) {
    const chunk = ids.slice(i, i + batchSize);
    try {
      await client.records.batch(chunk.map((id) => ({ method: "DELETE" as const, url: client.records.recordURL(collection, id) })));
      out.deleted.push(...chunk);
    } catch (err) {
      const f = batchFailure(err);
      const message = f && chunk[f.index] ? `${chunk[f.index]}: ${f.message}` : errorMessage(err);
      out.failures.push({ ids: chunk, message });
    }
  }
  return out;
}
