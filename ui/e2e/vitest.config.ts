// The dashboard's end-to-end tests: one fresh `lumbung serve` (LUMBUNG_BIN,
// default ../bin/lumbung) driven through Debian's Chromium (CHROMIUM,
// default /usr/bin/chromium) with playwright-core. Run: npm run e2e
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export default defineConfig({
  root: uiDir,
  test: {
    name: "e2e",
    reporters: ["verbose"],
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    globalSetup: ["e2e/global-setup.ts"],
    // The tests share one server whose first superuser the first test
    // creates, so they run in order in one file, one at a time.
    fileParallelism: false,
    sequence: { shuffle: false },
    // Hang guards only: nothing measures speed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 90_000,
  },
});
