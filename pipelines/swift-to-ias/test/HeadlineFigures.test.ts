/**
 * The headline figures read the legacy side in keyset pages (package lines joined to their care package and client in
 * the legacy database, the target persons of a page's clients from the xref in one query), and the target side with
 * one query of the target database each; both give exactly the parts they gave when every table was read whole into
 * maps (the earlier implementation, kept in `oracle/`), the legacy side at page sizes small enough that every figure
 * spans many pages; and reconciled in the database, those parts close every line.
 */
import { assert, layer } from "@effect/vitest"
import { Rehearsal } from "@handover/core"
import { Figure } from "@handover/reconcile"
import { ControlSchema, type Database, type Driver } from "@handover/sql"
import * as Effect from "effect/Effect"
import { SwiftDefects, SwiftEstate } from "../../../fixtures/src/index.ts"
import { TestDatabase } from "../../../packages/testkit/src/index.ts"
import * as HeadlineFigures from "../src/checks/HeadlineFigures.ts"
import * as SwiftPipeline from "../src/SwiftPipeline.ts"
import * as Before from "./oracle/HeadlineFiguresBefore.ts"
import { context, controlSchema, legacySchema, parameters, targetSchema } from "./support.ts"


const migrate = (db: Database.Database, seed: number, clients: number) =>
  Effect.gen(function*() {
    yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
    yield* SwiftEstate.load(db, legacySchema, { seed, clients, rates: SwiftDefects.rates() })
    const run = yield* Rehearsal.run(SwiftPipeline.pipeline, { rehearsal: `figures-${seed}`, batchSize: 500, legacySchema, targetSchema, controlSchema, parameters })
    return run.runId
  })

const sortedJson = (parts: Iterable<Figure.Part>) => Array.from(parts, (p) => JSON.stringify(p)).sort()

/** A side's parts read in pages; each page at most the page size. */
const collect = async (pages: AsyncIterable<ReadonlyArray<Figure.Part>>, pageSize: number) => {
  const parts: Array<Figure.Part> = []
  let count = 0
  for await (const page of pages) {
    count += 1
    assert.isAtMost(page.length, pageSize)
    for (const p of page) parts.push(p)
  }
  return { parts, pages: count }
}

/** The parts a figure's target query gives, read whole: the key, the dimensions, then the measures. */
const queryParts = async (d: Driver.Driver, figure: Figure.Figure, query: Figure.TargetQuery): Promise<Array<Figure.Part>> =>
  (await d.queryText(query.sql, query.params)).map((r) => ({
    key: String(r[0]),
    dimensions: figure.dimensions.map((_, i) => String(r[1 + i])),
    values: figure.measures.map((m, i) => {
      const value = r[1 + figure.dimensions.length + i] ?? null
      return m.unit === "distinct" ? value : Number(value)
    })
  }))

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "600 seconds", excludeTestServices: true })(`headline figures streamed on ${dialect}`, (it) => {
    for (const seed of [5, 23]) {
      it.effect(`seed ${seed}: the same parts as read whole at every page size, and every line closes`, () =>
        Effect.gen(function*() {
          const db = yield* TestDatabase.TestDatabase
          const runId = yield* migrate(db, seed, 300)
          yield* db.use("compare", async (d) => {
            const c = context(d, runId)
            const before = new Map(Before.all.map((f) => [f.id, f] as const))
            for (const pageSize of [7, HeadlineFigures.defaultPageSize]) {
              for (const figure of HeadlineFigures.figures({ pageSize }).all) {
                const earlier = before.get(figure.id)!
                const expected = sortedJson(await earlier.legacy(c))
                const { pages, parts } = await collect(figure.legacy(c), pageSize)
                assert.deepStrictEqual(sortedJson(parts), expected, `${figure.id} legacy at pages of ${pageSize}`)
                if (pageSize === 7) assert.isAtLeast(pages, Math.ceil(expected.length / pageSize), `${figure.id} legacy: pages`)
                // the target side is one query of the target: its rows are the parts read whole
                const target = figure.target
                if (typeof target === "function") assert.fail(`${figure.id}: the target side is read into Node`)
                else assert.deepStrictEqual(sortedJson(await queryParts(d, figure, target.query(c))), sortedJson(await earlier.target(c)), `${figure.id} target`)
              }
            }
            // every figure has parts on both sides: the comparison is not of empty lists
            for (const f of Before.all) {
              assert.isAbove(sortedJson(await f.legacy(c)).length, 7, f.id)
              assert.isAbove(sortedJson(await f.target(c)).length, 7, f.id)
            }

            // reconciled in the database from parts read in small pages: every line closes, as the migration's own
            // quarantine, exclusions, merges and flags explain each difference
            const t = ControlSchema.tables(controlSchema)
            await d.query(`DELETE FROM ${d.dialect.qualify(t.figureStaged)} WHERE run_id = ${d.dialect.placeholder(1)}`, [runId])
            const found: Array<string> = []
            for (const figure of HeadlineFigures.figures({ pageSize: 50 }).all) {
              await Figure.reconcile(c, figure, async (page) => {
                for (const f of page) found.push(f.message)
              })
            }
            assert.deepStrictEqual(found, [])
            const [lines, open] = await d.queryText(
              `SELECT COUNT(*), SUM(CASE WHEN variance <> 0 OR rows_behind IS NOT NULL THEN 1 ELSE 0 END) FROM ${d.dialect.qualify(t.figureStaged)} WHERE run_id = ${d.dialect.placeholder(1)}`,
              [runId]
            ).then((rows) => [Number(rows[0]![0]), Number(rows[0]![1])])
            assert.isAbove(lines!, 100)
            assert.strictEqual(open, 0)
            // nothing is left of the parts
            const [left] = await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(t.figurePart)}`)
            assert.strictEqual(Number(left![0]), 0)
          })
        }))
    }
  })
}
