// Assertions shared by the test files.

import assert from "node:assert/strict";
import { ClientResponseError } from "pocketbase";

/** DATETIME matches PocketBase's record date format, e.g. "2024-05-01 10:20:30.000Z". */
export const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** RECORD_ID matches a record id: 15 characters of [a-z0-9]. */
export const RECORD_ID = /^[a-z0-9]{15}$/;

// Text that must never reach a client (DESIGN: no SQL or driver text in errors).
const LEAK = /SQLSTATE|pgx|pgconn|\bpq: |syntax error at or near|violates .* constraint|relation ".*" does not exist|bun:|goroutine|\.go:\d+/i;

function isPlainObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * apiError awaits a request that must fail and checks PocketBase's error
 * shape: a ClientResponseError whose status and body.status equal `status`,
 * a non-empty message, an object `data`, and no database text.
 * It returns the error for further checks.
 */
export async function apiError(promise, status) {
    let err;
    try {
        const value = await promise;
        assert.fail(`expected HTTP ${status}, the request succeeded with ${JSON.stringify(value)}`);
    } catch (e) {
        if (e instanceof assert.AssertionError) {
            throw e;
        }
        err = e;
    }
    assert.ok(err instanceof ClientResponseError, `expected a ClientResponseError, got ${err}`);
    const body = JSON.stringify(err.response);
    assert.equal(err.status, status, `HTTP status (url ${err.url}, body ${body})`);
    assert.ok(isPlainObject(err.response), `error body is not an object: ${body}`);
    assert.equal(err.response.status, status, `body.status (body ${body})`);
    assert.equal(typeof err.response.message, "string", `body.message (body ${body})`);
    assert.notEqual(err.response.message.trim(), "", `empty body.message (body ${body})`);
    assert.ok(isPlainObject(err.response.data), `body.data is not an object (body ${body})`);
    assert.doesNotMatch(body, LEAK, "error body leaks database or driver text");
    return err;
}

/** fieldError checks that an error's data has a validation entry for `field` and returns it. */
export function fieldError(err, field, code) {
    const body = JSON.stringify(err.response);
    const entry = err.response.data[field];
    assert.ok(isPlainObject(entry), `no data.${field} in error body ${body}`);
    assert.equal(typeof entry.code, "string", `data.${field}.code (body ${body})`);
    assert.equal(typeof entry.message, "string", `data.${field}.message (body ${body})`);
    assert.notEqual(entry.message.trim(), "", `empty data.${field}.message (body ${body})`);
    if (code !== undefined) {
        assert.equal(entry.code, code, `data.${field}.code (body ${body})`);
    }
    return entry;
}

/**
 * nestedError checks that an error's data holds, somewhere under `key`, at
 * least one {code, message} entry (PocketBase nests field-list errors by
 * index, e.g. data.fields["7"].collectionId). It returns data[key].
 */
export function nestedError(err, key) {
    const body = JSON.stringify(err.response);
    const entry = err.response.data[key];
    assert.ok(isPlainObject(entry), `no data.${key} in error body ${body}`);
    const hasLeaf = (v) =>
        isPlainObject(v) &&
        ((typeof v.code === "string" && typeof v.message === "string") || Object.values(v).some(hasLeaf));
    assert.ok(hasLeaf(entry), `no {code, message} under data.${key} in error body ${body}`);
    return entry;
}

/** assertRecordOf checks the system keys every record carries. */
export function assertRecordOf(record, collection) {
    assert.match(record.id, RECORD_ID, "record id");
    assert.equal(record.collectionId, collection.id, "record.collectionId");
    assert.equal(record.collectionName, collection.name, "record.collectionName");
}

/** ids returns the ids of records in their order. */
export function ids(records) {
    return records.map((r) => r.id);
}

/** sorted returns a sorted copy of an array of strings. */
export function sorted(values) {
    return [...values].sort();
}
