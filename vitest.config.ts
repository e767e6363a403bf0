import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // the one test seed, chosen and printed once for the whole run
    globalSetup: ["packages/testkit/src/globalSetup.ts"],
    projects: ["packages/*/vitest.config.ts", "pipelines/*/vitest.config.ts", "fixtures/vitest.config.ts", "test"]
  }
})
