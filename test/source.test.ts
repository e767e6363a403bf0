/**
 * The legacy source: key order, bounded batches, restart after any key, and COPY agreeing with keyset pages.
 */
import { assert, layer } from "@effect/vitest"
import { Source } from "@handover/core"
import { Table } from "@handover/sql"
import { Arbitraries, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import fc from "fast-check"

const table = Table.make({
  schema: "source_test",
  name: "client",
  columns: { region: Table.text(10), client_no: Table.int, name: Table.nullable(Table.text()), dob: Table.nullable(Table.date), cost: Table.nullable(Table.decimal(12, 2)) },
  primaryKey: ["region", "client_no"]
})

const rowsArb = fc.uniqueArray(
  fc.tuple(
    fc.constantFrom("NORTH", "SOUTH", "EAST"),
    fc.integer({ min: -1000, max: 100_000 }),
    fc.option(Arbitraries.awkwardText(15), { nil: null }),
    fc.option(Arbitraries.validIsoDate, { nil: null }),
    fc.option(fc.integer({ min: -99_999, max: 99_999 }).map((p) => (p / 100).toFixed(2)), { nil: null })
  ),
  { selector: ([r, n]) => `${r}/${n}`, maxLength: 80 }
)

const read = (db: TestDatabase.TestDatabase["Service"], after: ReadonlyArray<string> | undefined, batchSize: number, mode: Source.ReadMode) =>
  Source.batches(db, { table, columns: table.columns.map((c) => c.name), key: table.primaryKey, after, batchSize, mode }).pipe(
    Stream.runCollect,
    Effect.map((batches) => batches as ReadonlyArray<ReadonlyArray<ReadonlyArray<string | null>>>)
  )

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`source on ${dialect}`, (it) => {
    it.effect("reads every row once, in key order, in bounded batches, and restarts after any key", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const context = yield* Effect.context<never>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 13 }), fc.nat(), (rows, batchSize, cut) =>
              Effect.runPromise(Effect.provideContext(Effect.gen(function*() {
                yield* TestDatabase.resetSchemas(db, ["source_test"])
                yield* db.use("create", async (d) => {
                  await d.query(d.dialect.createSchema("source_test"))
                  await d.query(d.dialect.createTable(table))
                  await d.transaction((c) => c.writeRows(table, rows))
                })
                const ordered = yield* db.use("ordered", (d) =>
                  d.queryText(`SELECT region, client_no, name, dob, cost FROM ${d.dialect.qualify(table)} ORDER BY region, client_no`))
                const modes: ReadonlyArray<Source.ReadMode> = db.driver.copyOut === undefined ? ["keyset"] : ["keyset", "copy"]
                for (const mode of modes) {
                  const batches = yield* read(db, undefined, batchSize, mode)
                  for (const batch of batches) assert.isAtMost(batch.length, batchSize)
                  assert.deepStrictEqual(batches.flat(), ordered, mode)
                  if (ordered.length > 0) {
                    const at = cut % ordered.length
                    const after = [String(ordered[at]![0]), String(ordered[at]![1])]
                    const rest = yield* read(db, after, batchSize, mode)
                    assert.deepStrictEqual(rest.flat(), ordered.slice(at + 1), `${mode} after ${after}`)
                  }
                }
              }), context))
            ),
            { numRuns: 25 }
          )
        )
      }))
  })
}

