// Starts one live `lumbung serve` for the "server" test project and stops
// it at the end; tests get its address and superuser through inject("lumbung").
//
// Contract with the binary (see server/cmd/lumbung):
//   lumbung serve --http 127.0.0.1:<port> --dir <dir>
//   lumbung superuser upsert <email> <password> --dir <dir>
// Without DATABASE_URL the server runs a private PostgreSQL in <dir>/pg.

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, constants, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

/** LumbungServer is what tests get from inject("lumbung"). */
export interface LumbungServer {
  url: string;
  email: string;
  password: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    lumbung: LumbungServer;
  }
}

const execFileAsync = promisify(execFile);
const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Hang guards only: nothing here measures speed. The first start runs initdb.
const STARTUP_DEADLINE_MS = 120_000;
const SHUTDOWN_DEADLINE_MS = 60_000;
const LOG_TAIL_BYTES = 64 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const suffix = () => randomBytes(6).toString("hex");

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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = path.resolve(uiDir, process.env.LUMBUNG_BIN || "../bin/lumbung");
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(`lumbung binary not found at ${bin}; build it (make build) or set LUMBUNG_BIN`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "lumbung-uitest-"));
  // mkdtemp makes the folder 0700; the embedded PostgreSQL may run as an
  // unprivileged user (when the tests run as root) and must reach <dir>/pg.
  await chmod(dir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  let logs = "";
  const child = spawn(bin, ["serve", "--http", `127.0.0.1:${port}`, "--dir", dir], {
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    logs = (logs + chunk.toString()).slice(-LOG_TAIL_BYTES);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
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

  const teardown = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), SHUTDOWN_DEADLINE_MS);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  };

  const server: LumbungServer = {
    url,
    email: `uitest-${suffix()}@example.com`,
    password: `pw-${suffix()}-${suffix()}`,
  };
  try {
    await waitHealthy(url, () => exited, () => logs);
    await execFileAsync(bin, ["superuser", "upsert", server.email, server.password, "--dir", dir], {
      env: process.env,
      timeout: STARTUP_DEADLINE_MS,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  project.provide("lumbung", server);
  return teardown;
}

async function waitHealthy(url: string, exited: () => string | null, logs: () => string) {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const how = exited();
    if (how !== null) {
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
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`GET ${url}/api/health did not answer 200 (last: ${last}); log tail:\n${logs()}`);
}
