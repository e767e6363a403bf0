/**
 * `ReportData.load` against the data held whole: a run written into the control schema of each test database is read
 * back with its counts, reasons, figure totals and money variance worked out in SQL, and its findings, figure lines and
 * decisions in pages; every report file written from the database is the one written from the same data in memory.
 * The statements for SQL Server are checked as text.
 */
import { describe, expect, it } from "@effect/vitest"
import { ControlSchema } from "@handover/sql"
import { dialect as mssql } from "@handover/sql/mssql/MssqlSql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Gates, Masking, ReportData, Reports } from "../src/index.ts"
import * as Estate from "./Estate.ts"

const runs = Math.max(4, Math.floor(Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) / 4))
const controlSchema = "report_load"

const collect = async <A>(pages: AsyncIterable<ReadonlyArray<A>>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const page of pages) for (const a of page) out.push(a)
  return out
}

const files = async (directory: string) => {
  const out: Record<string, string> = {}
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith(".xlsx")) out[path.relative(directory, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name), "utf8")
  }
  return out
}

describe("the SQL Server statements of the report", () => {
  it("are T-SQL: CONCAT, bracketed names, @ parameters, no LIMIT", () => {
    const reasons = ReportData.reasonsSql(mssql, "handover", "quarantined")
    expect(reasons).toContain("[handover].[quarantine]")
    expect(reasons).toContain("WHERE run_id = @1")
    expect(reasons).toContain("ROW_NUMBER() OVER (PARTITION BY entity ORDER BY COUNT(*) DESC, rule_id, reason)")
    expect(reasons).not.toMatch(/LIMIT|\|\|/)
    expect(ReportData.reasonsSql(mssql, "handover", "flagged")).toContain("severity <> 'info' GROUP BY entity, rule_id, field_path")
    const money = ReportData.standingMoneySql(mssql, "handover")
    expect(money).toContain("CONCAT(g.measure, ' by ', g.dimension, ': ', g.dimension_value)")
    expect(money).toContain("[handover].[figure] g JOIN [handover].[finding] f")
    expect(money).not.toMatch(/LIMIT|\|\||\$1/)
  })
})

for (const dialect of TestDatabase.dialects().filter((d) => d !== "mssql")) {
  describe(`ReportData.load on ${dialect}`, () => {
    it("reads what the data held whole says, and the reports written from it are the same", async () => {
      await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const db = yield* TestDatabase.open(dialect).pipe(Effect.orDie)
        yield* ControlSchema.migrate(db, controlSchema).pipe(Effect.orDie)
        let n = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(Estate.unmasked.filter((u) => !JSON.stringify(u).includes("\\u0000")), fc.integer({ min: 1, max: 9 }), async (whole, pageSize) => {
              const runId = `run-${dialect}-${n++}`
              await Estate.write(db.driver, controlSchema, whole, runId)
              const masker = Masking.make("masked")
              const loaded = await Effect.runPromise(ReportData.load(db, { controlSchema, runId, masker, pageSize }))
              const held = ReportData.mask({ ...whole, run: loaded.run, generatedAt: loaded.generatedAt, trend: loaded.trend, previousRunId: loaded.previousRunId }, masker, { pageSize: 4 })
              expect(loaded.counts).toEqual(held.counts)
              expect(loaded.figureTotals).toEqual(held.figureTotals)
              expect(loaded.figureLines).toBe(held.figureLines)
              expect(loaded.standingMoneyVariance).toBe(held.standingMoneyVariance)
              expect(loaded.entities).toEqual(held.entities)
              expect([...loaded.reasons].sort((a, b) => b.rows - a.rows)).toEqual(held.reasons)
              expect([...loaded.reasonsLeftOut].sort((a, b) => (a.entity + a.outcome < b.entity + b.outcome ? -1 : 1)))
                .toEqual([...held.reasonsLeftOut].sort((a, b) => (a.entity + a.outcome < b.entity + b.outcome ? -1 : 1)))
              expect(loaded.trend.map((t) => t.findings)).toEqual(whole.trend.map((t) => t.findings))
              const pages = async (data: ReportData.ReportData) => ({
                findings: await collect((async function*() {
                  for await (const p of data.pages.findings()) yield p.findings.map((f) => ({ ...f, decision: p.decisions.get(f.fingerprint) ?? null }))
                })()),
                figures: await collect(data.pages.figures()),
                decisions: await collect(data.pages.decisions())
              })
              expect(await pages(loaded)).toEqual(await pages(held))

              const [fromDb, fromMemory] = [await mkdtemp(path.join(tmpdir(), "handover-load-")), await mkdtemp(path.join(tmpdir(), "handover-held-"))]
              try {
                await Effect.runPromise(Reports.writeAll(fromDb, loaded, Gates.evaluate(loaded), { owners: [] }))
                await Reports.write(fromMemory, held, Gates.evaluate(held), { owners: [] })
                expect(await files(fromDb)).toEqual(await files(fromMemory))
              } finally {
                await rm(fromDb, { recursive: true, force: true })
                await rm(fromMemory, { recursive: true, force: true })
              }
            }),
            { numRuns: runs }
          )
        )
      })))
    }, 240_000)
  })
}
