// Runs one `lumbung serve` for a test run: a free port on 127.0.0.1, a
// fresh data directory (the private PostgreSQL lives in <dir>/pg), and a
// stop that always cleans up. Used by the "server" project's and the
// end-to-end suite's global setups.
//
// Contract with the binary (see server/cmd/lumbung):
//   lumbung serve --http 127.0.0.1:<port> --dir <dir>

import { spawn } from "node:child_process";
import { access, chmod, constants, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Hang guards only: nothing here measures speed. The first start runs initdb.
export const STARTUP_DEADLINE_MS = 120_000;
const SHUTDOWN_DEADLINE_MS = 60_000;
const LOG_TAIL_BYTES = 64 * 1024;

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serve is a running `lumbung serve`. */
export interface Serve {
  bin: string;
  dir: string;
  url: string;
  /** stderr returns the tail of what the server wrote to stderr. */
  stderr(): string;
  /** logs returns the tail of stdout and stderr together. */
  logs(): string;
  /** exited describes how the process ended, null while it runs. */
  exited(): string | null;
  /** stop sends SIGTERM (SIGKILL after a minute) and removes the directory. */
  stop(): Promise<void>;
}

/** binaryPath is $LUMBUNG_BIN or ../bin/lumbung, relative to ui/. */
export function binaryPath(): string {
  return path.resolve(uiDir, process.env.LUMBUNG_BIN || "../bin/lumbung");
}

/** freePort asks the kernel for an unused TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startServe starts the server and waits until GET /api/health answers 200.
 * Given dir, it serves that data directory (a second start of one server,
 * to read settings taken at start) and stop leaves it for its owner.
 */
export async function startServe(prefix: string, opts: { dir?: string } = {}): Promise<Serve> {
  const bin = binaryPath();
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(`lumbung binary not found at ${bin}; build it (make build) or set LUMBUNG_BIN`);
  }
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), prefix)));
  // mkdtemp makes the folder 0700; the private PostgreSQL may run as an
  // unprivileged user (when the tests run as root) and must reach <dir>/pg.
  await chmod(dir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  let logs = "";
  let stderr = "";
  const child = spawn(bin, ["serve", "--http", `127.0.0.1:${port}`, "--dir", dir], {
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    logs = (logs + chunk.toString()).slice(-LOG_TAIL_BYTES);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", (chunk: Buffer) => {
    keep(chunk);
    stderr = (stderr + chunk.toString()).slice(-LOG_TAIL_BYTES);
  });
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = `code ${code}, signal ${signal}`;
      resolve();
    });
    child.on("error", (err) => {
      exited = err.message;
      resolve();
    });
  });

  const serve: Serve = {
    bin,
    dir,
    url,
    stderr: () => stderr,
    logs: () => logs,
    exited: () => exited,
    stop: async () => {
      if (exited === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), SHUTDOWN_DEADLINE_MS);
        await exit;
        clearTimeout(timer);
      }
      if (!opts.dir) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
  try {
    await waitHealthy(serve);
  } catch (err) {
    await serve.stop();
    throw err;
  }
  return serve;
}

async function waitHealthy(s: Serve) {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const how = s.exited();
    if (how !== null) {
      throw new Error(`lumbung serve exited before it was healthy (${how}); log tail:\n${s.logs()}`);
    }
    try {
      const res = await fetch(s.url + "/api/health", { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`GET ${s.url}/api/health did not answer 200 (last: ${last}); log tail:\n${s.logs()}`);
}
