import { defineConfig } from "vitest/config";

// The interop suite: real FRR and BIRD in network namespaces (root). One file at a time, one test at a
// time, generous timeouts; every lab is torn down by the test, by afterAll, or by the exit handlers.
export default defineConfig({
  test: {
    include: ["interop/test/**/*.test.ts"],
    globalSetup: ["interop/lab/global-setup.ts"],
    setupFiles: ["interop/lab/setup.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
