/**
 * A whole rehearsal (`handover rehearse`: estate, migration, reconciliation, reports) in a V8 heap of 256 MB, on an
 * estate large enough that holding its findings, figure parts or rows in memory would not fit: the reconciliation
 * and the reports stream from the database, so the command completes (exit 0, or 1 for failed gates) and its reports
 * hold every finding the control schema holds.
 *
 * `HANDOVER_BOUNDED_CLIENTS` sets the estate's size (default 60,000 clients, about two million legacy rows: a
 * reconciliation that held its findings and figure parts in arrays needed more than 256 MB there).
 */
import { assert, describe, it } from "@effect/vitest"
import { ControlSchema, Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import { mkdtemp, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handoverWithNodeFlags } from "./command.ts"

const clients = Number(process.env.HANDOVER_BOUNDED_CLIENTS ?? 60_000)
const heap = ["--max-old-space-size=256", "--max-semi-space-size=32"]
const seed = Seed.of("bounded_memory") % 1_000_000

const controlCounts = (url: string) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const target = yield* Database.openUrl(url)
    return yield* target.use("count findings", async (d) => {
      const t = ControlSchema.tables(ControlSchema.defaultSchema)
      const findings = await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(t.finding)}`)
      const lines = await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(t.figure)}`)
      const staged = await d.queryText(
        `SELECT (SELECT COUNT(*) FROM ${d.dialect.qualify(t.findingStaged)}) + (SELECT COUNT(*) FROM ${d.dialect.qualify(t.figurePart)}) + ` +
          `(SELECT COUNT(*) FROM ${d.dialect.qualify(t.figureStaged)}) + (SELECT COUNT(*) FROM ${d.dialect.qualify(t.expectedKey)})`
      )
      return { findings: Number(findings[0]![0]), lines: Number(lines[0]![0]), staged: Number(staged[0]![0]) }
    })
  })))

const rehearseIn256Mb = (legacy: string, target: string, folder: string) =>
  Effect.gen(function*() {
    const reports = path.join(folder, "reports")
    const outcome = yield* Effect.promise(() =>
      handoverWithNodeFlags(heap, [
        "rehearse",
        "--legacy", legacy,
        "--target", target,
        "--clients", String(clients),
        "--seed", String(seed),
        "--reports", reports,
        "--manifest", path.join(folder, "manifest.jsonl"),
        "--gates", "report",
        "--progress", "none",
        "--json"
      ], folder)
    )
    const context = `seed ${seed}, ${clients} clients; exit ${outcome.code} ${outcome.signal ?? ""}; stderr: ${outcome.stderr.slice(-2_000)}`
    assert.isNull(outcome.signal, context)
    assert.notInclude(outcome.stderr, "heap out of memory", context)
    assert.include([0, 1], outcome.code, context)
    const counts = yield* Effect.promise(() => controlCounts(target))
    assert.isAbove(counts.findings, 0, `the estate's planted defects give findings; ${context}`)
    assert.strictEqual(counts.staged, 0, "a recorded reconciliation leaves nothing staged")
    // the reports hold every finding and every figure line the control schema holds
    const json = JSON.parse(yield* Effect.promise(() => readFile(path.join(reports, "report.json"), "utf8"))) as {
      readonly findings: ReadonlyArray<unknown>
      readonly figures: ReadonlyArray<unknown>
    }
    assert.strictEqual(json.findings.length, counts.findings, "report.json holds every finding")
    assert.strictEqual(json.figures.length, counts.lines, "report.json holds every figure line")
    for (const file of ["report.html", "report.xlsx", "summary.md", "junit.xml"]) {
      assert.isAbove((yield* Effect.promise(() => stat(path.join(reports, file)))).size, 0, file)
    }
  })

describe.skipIf(!TestDatabase.dialects().includes("postgres"))("a whole rehearsal in a 256 MB heap, on postgres", () => {
  it.effect(`completes on ${clients.toLocaleString("en-GB")} clients with every finding in its reports`, () =>
    Effect.scoped(Effect.gen(function*() {
      const legacy = yield* TestDatabase.freshPostgres
      const target = yield* TestDatabase.freshPostgres
      const folder = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-bounded-"))),
        (f) => Effect.promise(() => rm(f, { recursive: true, force: true }))
      )
      yield* rehearseIn256Mb(legacy.url, target.url, folder)
    })), 1_800_000)
})
