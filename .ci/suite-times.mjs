// Prints how long each test file took, slowest first, from vitest's JSON report; the fault suites are marked.
import { readFileSync } from "node:fs"
import * as path from "node:path"

const [file] = process.argv.slice(2)
const report = JSON.parse(readFileSync(file, "utf8"))
const fault = /(one-at-a-time|crash-resume|connection-drop|server-restart|reconcile-killed|server-gone|hostile|clear-errors)\.test\.ts$/
const rows = report.testResults
  .map((r) => ({ name: path.relative(process.cwd(), r.name), seconds: (r.endTime - r.startTime) / 1000, status: r.status }))
  .sort((a, b) => b.seconds - a.seconds)
console.log(`test files: ${rows.length}; wall time of each, slowest first (* fault and concurrency suites):`)
for (const r of rows) {
  if (r.seconds < 5 && !fault.test(r.name)) continue
  console.log(`${fault.test(r.name) ? "*" : " "} ${r.seconds.toFixed(1).padStart(7)} s  ${r.status.padEnd(6)} ${r.name}`)
}
