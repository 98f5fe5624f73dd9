// Starts one fresh `lumbung serve` with no superuser, reads the first-run
// setup link it prints to stderr, and stops the server at the end. Tests get
// the address and the link through inject("e2e").
//
// Contract with the binary (see server/cmd/lumbung): serve prints
// "http://<addr>/_/#/setup/<token>" to stderr while no superuser exists.

import { access, constants, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { STARTUP_DEADLINE_MS, sleep, startServe } from "../test/serve";

/** E2EServer is what tests get from inject("e2e"). */
export interface E2EServer {
  url: string;
  setupLink: string;
  screenshots: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EServer;
  }
}

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
  try {
    await access(chromium, constants.X_OK);
  } catch {
    throw new Error(`Chromium not found at ${chromium}; install it (apt-get install -y chromium) or set CHROMIUM`);
  }
  const screenshots = path.join(uiDir, "test-results", "screenshots");
  await rm(screenshots, { recursive: true, force: true });
  await mkdir(screenshots, { recursive: true });

  const serve = await startServe("lumbung-e2e-");
  const linkPattern = new RegExp(`${serve.url.replace(/[.]/g, "\\.")}/_/#/setup/[A-Za-z0-9_-]+`);
  let setupLink = "";
  try {
    const deadline = Date.now() + STARTUP_DEADLINE_MS;
    while (setupLink === "") {
      if (serve.exited() !== null) {
        throw new Error(`lumbung serve exited before printing the setup link (${serve.exited()}); log tail:\n${serve.logs()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`lumbung serve printed no setup link on stderr; log tail:\n${serve.logs()}`);
      }
      setupLink = linkPattern.exec(serve.stderr())?.[0] ?? "";
      if (setupLink === "") await sleep(100);
    }
  } catch (err) {
    await serve.stop();
    throw err;
  }
  project.provide("e2e", { url: serve.url, setupLink, screenshots });
  return serve.stop;
}
