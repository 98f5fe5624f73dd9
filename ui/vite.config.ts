import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The dashboard is served by the binary at /_/ from the embedded dist/.
export default defineConfig({
  base: "/_/",
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8090", ws: true } },
  },
  test: {
    projects: [
      {
        // Components and modules in isolation.
        extends: true,
        test: { name: "unit", include: ["src/**/*.test.ts"] },
      },
      {
        // Against a live `lumbung serve` (LUMBUNG_BIN, default ../bin/lumbung).
        extends: true,
        test: {
          name: "server",
          include: ["test/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
