import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    // fast-check's seed and sizes, the same in every package
    setupFiles: ["../testkit/src/setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000
  }
})
