// Starts one live `lumbung serve` for the "server" test project and stops
// it at the end; tests get its address and superuser through inject("lumbung").
//
// Contract with the binary (see server/cmd/lumbung):
//   lumbung superuser upsert <email> <password> --dir <dir>

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { STARTUP_DEADLINE_MS, startServe } from "./serve";

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
const suffix = () => randomBytes(6).toString("hex");

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serve = await startServe("lumbung-uitest-");
  const server: LumbungServer = {
    url: serve.url,
    email: `uitest-${suffix()}@example.com`,
    password: `pw-${suffix()}-${suffix()}`,
  };
  try {
    await execFileAsync(serve.bin, ["superuser", "upsert", server.email, server.password, "--dir", serve.dir], {
      env: process.env,
      timeout: STARTUP_DEADLINE_MS,
    });
  } catch (err) {
    await serve.stop();
    throw err;
  }
  project.provide("lumbung", server);
  return serve.stop;
}
