import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "pipelines/*/vitest.config.ts", "fixtures/vitest.config.ts", "test"]
  }
})
