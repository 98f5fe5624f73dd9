import { describe, expect, test } from "vitest";
import { ApiError, createClient, type BatchRequest } from "../lib/api";
import { batchFailure, deleteRecords } from "./bulk";

function fakeClient(fail?: (reqs: BatchRequest[]) => ApiError | null) {
  const calls: BatchRequest[][] = [];
  const real = createClient({ fetch: async () => new Response("{}") });
  const records = {
    ...real.records,
    batch: async (reqs: BatchRequest[]) => {
      calls.push(reqs);
      const err = fail?.(reqs);
      if (err) throw err;
      return reqs.map(() => ({ status: 204, body: null }));
    },
  };
  return { client: { records }, calls };
}

describe("deleteRecords", () => {
  test("sends batches of at most 50 deletes", async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `r${i}`);
    const { client, calls } = fakeClient();
    const r = await deleteRecords(client, "posts", ids);
    expect(calls.map((c) => c.length)).toEqual([50, 50, 20]);
    expect(calls[0][0]).toEqual({ method: "DELETE", url: "/api/collections/posts/records/r0" });
    expect(r.deleted).toHaveLength(120);
    expect(r.failures).toEqual([]);
  });

  test("a failed batch names the record that stopped it", async () => {
    const err = ApiError.fromBody(400, {
      message: "Batch transaction failed.",
      data: { requests: { "1": { code: "batch_request_failed", message: "Batch request failed.", response: { status: 404, message: "Not found." } } } },
    });
    const { client } = fakeClient(() => err);
    const r = await deleteRecords(client, "posts", ["a", "b", "c"]);
    expect(r.deleted).toEqual([]);
    expect(r.failures).toEqual([{ ids: ["a", "b", "c"], message: "b: Not found." }]);
  });

  test("other errors keep their message", async () => {
    const { client } = fakeClient(() => new ApiError(403, "You are not allowed to do this."));
    const r = await deleteRecords(client, "posts", ["a"]);
    expect(r.failures[0].message).toBe("You are not allowed to do this.");
  });
});

describe("batchFailure", () => {
  test("null for errors that are not batch errors", () => {
    expect(batchFailure(new Error("x"))).toBeNull();
    expect(batchFailure(new ApiError(400, "Bad"))).toBeNull();
  });
});
