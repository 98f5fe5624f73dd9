// Starts one live `lumbung serve` per test file and stops it afterwards.
//
// Contract with the binary (see server/cmd/lumbung):
//   lumbung serve --http 127.0.0.1:<port> --dir <dir>
//   lumbung superuser upsert <email> <password> --dir <dir>
// Without DATABASE_URL the server runs a private PostgreSQL in <dir>/pg;
// with it, the server uses that database instead (the variable is passed on).

import { after, before } from "node:test";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, constants, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import PocketBase from "pocketbase";

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

// Hang guards only: nothing here measures speed. The first start runs initdb.
const STARTUP_DEADLINE_MS = 120_000;
const SHUTDOWN_DEADLINE_MS = 60_000;
const HEALTH_POLL_MS = 200;
const LOG_TAIL_BYTES = 64 * 1024;

/** binaryPath returns the lumbung binary to test: $LUMBUNG_BIN or <repo>/bin/lumbung. */
export function binaryPath() {
    return path.resolve(here, process.env.LUMBUNG_BIN || "../../bin/lumbung");
}

/** freePort asks the kernel for an unused TCP port on 127.0.0.1. */
export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/** uniqueSuffix returns a short random [a-z0-9] string for names that must not collide. */
export function uniqueSuffix() {
    return randomBytes(6).toString("hex");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * startServer runs `lumbung serve` in a fresh directory, waits for
 * GET /api/health to answer 200, creates a superuser and returns a handle:
 * { url, dir, email, password, logs(), stop() }. args are more flags for
 * serve (such as ["--origins", "http://127.0.0.1:5173"]).
 */
export async function startServer({ args = [] } = {}) {
    const bin = binaryPath();
    try {
        await access(bin, constants.X_OK);
    } catch {
        throw new Error(
            `lumbung binary not found or not executable at ${bin}; ` +
                "build it (make build) or point LUMBUNG_BIN at it",
        );
    }

    const dir = await mkdtemp(path.join(os.tmpdir(), "lumbung-sdktest-"));
    // mkdtemp makes the folder 0700; the embedded PostgreSQL may run as an
    // unprivileged user (when the tests run as root) and must reach <dir>/pg.
    await chmod(dir, 0o755);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    let logTail = "";
    const keepLog = (chunk) => {
        logTail = (logTail + chunk.toString()).slice(-LOG_TAIL_BYTES);
        if (process.env.LUMBUNG_SDKTEST_VERBOSE) {
            process.stderr.write(chunk);
        }
    };

    const child = spawn(bin, ["serve", "--http", `127.0.0.1:${port}`, "--dir", dir, ...args], {
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", keepLog);
    child.stderr.on("data", keepLog);

    const exited = new Promise((resolve) => {
        child.on("exit", (code, signal) => resolve({ code, signal }));
        child.on("error", (err) => resolve({ code: null, signal: null, err }));
    });
    let exitInfo = null;
    exited.then((info) => {
        exitInfo = info;
    });

    const handle = {
        url,
        dir,
        email: `sdktest-${uniqueSuffix()}@example.com`,
        password: `pw-${uniqueSuffix()}-${uniqueSuffix()}`,
        logs: () => logTail,
        stop: async () => {
            if (process.env.DATABASE_URL && exitInfo === null) {
                // A shared database outlives the run: remove this run's superuser.
                await execFileAsync(bin, ["superuser", "delete", handle.email, "--dir", dir], {
                    env: process.env,
                    timeout: SHUTDOWN_DEADLINE_MS,
                }).catch(() => {});
            }
            await stopServer(child, exited, () => exitInfo, dir, () => logTail);
        },
    };

    try {
        await waitHealthy(url, () => exitInfo, () => logTail);
        await execFileAsync(
            bin,
            ["superuser", "upsert", handle.email, handle.password, "--dir", dir],
            { env: process.env, timeout: STARTUP_DEADLINE_MS },
        ).catch((err) => {
            throw new Error(
                `lumbung superuser upsert failed (exit ${err.code}):\n` +
                    `${err.stdout || ""}${err.stderr || ""}`,
            );
        });
    } catch (err) {
        await handle.stop().catch(() => {});
        throw err;
    }

    return handle;
}

async function waitHealthy(url, exitInfo, logs) {
    const deadline = Date.now() + STARTUP_DEADLINE_MS;
    let last = "no answer yet";
    while (Date.now() < deadline) {
        const info = exitInfo();
        if (info) {
            const how = info.err ? info.err.message : `code ${info.code}, signal ${info.signal}`;
            throw new Error(`lumbung serve exited before it was healthy (${how}); log tail:\n${logs()}`);
        }
        try {
            const res = await fetch(url + "/api/health", { signal: AbortSignal.timeout(5_000) });
            await res.arrayBuffer();
            if (res.status === 200) {
                return;
            }
            last = `status ${res.status}`;
        } catch (err) {
            last = err.cause?.code || err.message;
        }
        await sleep(HEALTH_POLL_MS);
    }
    throw new Error(
        `GET ${url}/api/health did not answer 200 within ${STARTUP_DEADLINE_MS / 1000}s ` +
            `(last: ${last}); log tail:\n${logs()}`,
    );
}

// stopServer sends SIGTERM, waits for the process to exit, checks that it
// exited cleanly and that the embedded PostgreSQL it started is gone, then
// removes the directory. Problems are thrown after the cleanup so the
// `after` hook reports them.
async function stopServer(child, exited, exitInfo, dir, logs) {
    const problems = [];
    if (!exitInfo()) {
        child.kill("SIGTERM");
        let timer;
        const deadline = new Promise((resolve) => {
            timer = setTimeout(() => resolve("timeout"), SHUTDOWN_DEADLINE_MS);
        });
        const outcome = await Promise.race([exited, deadline]);
        clearTimeout(timer);
        if (outcome === "timeout") {
            problems.push(`did not exit within ${SHUTDOWN_DEADLINE_MS / 1000}s of SIGTERM; sent SIGKILL`);
            child.kill("SIGKILL");
            await exited;
        }
    }
    const info = exitInfo();
    if (info && !info.err && !(info.code === 0 && info.signal === null) && problems.length === 0) {
        problems.push(`exited with code ${info.code}, signal ${info.signal} after SIGTERM (want code 0)`);
    }

    if (!process.env.DATABASE_URL) {
        const leftover = await findPostmasterPids(path.join(dir, "pg"));
        for (const { file, pid } of leftover) {
            if (isAlive(pid)) {
                problems.push(`embedded PostgreSQL (pid ${pid}, ${file}) still running after serve exited`);
                try {
                    process.kill(pid, "SIGINT"); // PostgreSQL's "fast shutdown"
                } catch {
                    // already gone
                }
                for (let i = 0; i < 100 && isAlive(pid); i++) {
                    await sleep(100);
                }
            }
        }
    }

    await rm(dir, { recursive: true, force: true, maxRetries: 5 });

    if (problems.length > 0) {
        throw new Error(`lumbung serve shutdown: ${problems.join("; ")}; log tail:\n${logs()}`);
    }
}

async function findPostmasterPids(root, depth = 0) {
    const found = [];
    let entries;
    try {
        entries = await readdir(root, { withFileTypes: true });
    } catch {
        return found;
    }
    for (const e of entries) {
        const p = path.join(root, e.name);
        if (e.isFile() && e.name === "postmaster.pid") {
            const pid = Number.parseInt((await readFile(p, "utf8")).split("\n")[0], 10);
            if (Number.isInteger(pid) && pid > 0) {
                found.push({ file: p, pid });
            }
        } else if (e.isDirectory() && depth < 3) {
            found.push(...(await findPostmasterPids(p, depth + 1)));
        }
    }
    return found;
}

function isAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return err.code === "EPERM";
    }
}

/**
 * useServer registers before/after hooks that start one server for the
 * calling test file and stop it at the end. `setup(srv)`, if given, runs in
 * the same `before` hook once the server is up (Node 20 does not wait for
 * one root-level `before` hook to finish before starting the next, so a
 * test file must not add its own root-level `before`). The returned object
 * is filled in by the time the tests run; srv.defer(fn) adds clean-up work
 * (such as dropping collections in a shared DATABASE_URL database) that
 * runs, last registered first, before the server stops.
 */
export function useServer(setup) {
    const cleanups = [];
    const srv = {
        defer: (fn) => cleanups.push(fn),
    };
    before(async () => {
        Object.assign(srv, await startServer());
        if (setup) {
            await setup(srv);
        }
    });
    after(async () => {
        try {
            for (const fn of cleanups.reverse()) {
                await fn();
            }
        } finally {
            if (srv.stop) {
                await srv.stop();
            }
        }
    });
    return srv;
}

/** newClient returns an unauthenticated SDK client for the server, with auto-cancellation off. */
export function newClient(srv) {
    const pb = new PocketBase(srv.url);
    pb.autoCancellation(false);
    return pb;
}

/** superuserClient returns an SDK client signed in as the test superuser. */
export async function superuserClient(srv) {
    const pb = newClient(srv);
    await pb.collection("_superusers").authWithPassword(srv.email, srv.password);
    return pb;
}
