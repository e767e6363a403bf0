/**
 * The rehearsal engine's invariants, on every test database: conservation, idempotent re-runs, resume after a crash.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Counts, Databases, Rehearsal } from "@handover/core"
import { Arbitraries, TestDatabase } from "@handover/testkit"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import fc from "fast-check"
import { crashAt, legacyKeys, loadLegacy, options, pipeline, recordedKeys, reset, snapshot } from "./support.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

const runIn = <A, E>(
  context: Context.Context<TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>,
  effect: Effect.Effect<A, E, TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>
) => Effect.runPromise(Effect.provideContext(effect, context))

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`rehearsal on ${dialect}`, (it) => {
    it.effect("every legacy row is loaded, merged, quarantined or excluded, exactly once", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(Arbitraries.exampleRows(), fc.integer({ min: 1, max: 17 }), (rows, batchSize) =>
              runIn(context, Effect.gen(function*(): Effect.fn.Return<void, unknown, TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase> {
                const db = yield* TestDatabase.TestDatabase
                yield* reset(db)
                yield* loadLegacy(db, rows)
                const result = yield* Rehearsal.run(pipeline, options("conservation", batchSize))
                for (const [entity, table, key, expectedRead] of [
                  ["client", "ex_client", "client_no", rows.clients.length],
                  ["care package", "ex_care_package", "package_id", rows.carePackages.length]
                ] as const) {
                  const step = result.steps.find((s) => s.entity === entity)!
                  assert.isTrue(Counts.holds(step.counts), Counts.format(step.counts))
                  assert.strictEqual(step.counts.read, expectedRead)
                  // the disposition tables partition the legacy keys
                  const source = new Set(yield* legacyKeys(db, table, key))
                  const xref = yield* recordedKeys(db, result.runId, entity, "xref")
                  const quarantined = yield* recordedKeys(db, result.runId, entity, "quarantine")
                  const excluded = yield* recordedKeys(db, result.runId, entity, "exclusion")
                  const all = [...xref, ...quarantined, ...excluded]
                  assert.strictEqual(all.length, source.size)
                  assert.deepStrictEqual(new Set(all), source)
                  assert.strictEqual(xref.length, step.counts.loaded + step.counts.merged)
                  assert.strictEqual(quarantined.length, step.counts.quarantined)
                  assert.strictEqual(excluded.length, step.counts.excluded)
                }
                const snap = yield* snapshot(db, result.runId)
                const loaded = (entity: string) => result.steps.find((s) => s.entity === entity)!.counts.loaded
                assert.strictEqual(snap.target.person!.length, loaded("client"))
                assert.strictEqual(snap.target.care_package!.length, loaded("care package"))
                // every loaded care package points at a person that was loaded
                const people = new Set(snap.target.person!.map((r) => r.split("\u241f")[0]))
                for (const p of snap.target.care_package!) assert.isTrue(people.has(p.split("\u241f")[1]))
              }))
            ),
            { numRuns: runs }
          )
        )
      }))

    it.effect("running the same rehearsal twice gives the same target and no duplicates", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(Arbitraries.exampleRows(), fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 17 }), (rows, b1, b2) =>
              runIn(context, Effect.gen(function*(): Effect.fn.Return<void, unknown, TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase> {
                const db = yield* TestDatabase.TestDatabase
                yield* reset(db)
                yield* loadLegacy(db, rows)
                const first = yield* Rehearsal.run(pipeline, options("twice", b1))
                const firstSnapshot = yield* snapshot(db, first.runId)
                const second = yield* Rehearsal.run(pipeline, options("twice", b2))
                assert.notStrictEqual(second.runId, first.runId)
                assert.isFalse(second.resumed)
                const secondSnapshot = yield* snapshot(db, second.runId)
                assert.deepStrictEqual(secondSnapshot, firstSnapshot)
                assert.deepStrictEqual(second.steps, first.steps)
                for (const rows of Object.values(secondSnapshot.target)) assert.strictEqual(new Set(rows).size, rows.length)
              }))
            ),
            { numRuns: Math.max(3, Math.round(runs / 2)) }
          )
        )
      }))

    it.effect("a rehearsal stopped after any batch resumes to exactly the target of an uninterrupted run", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              Arbitraries.exampleRows(),
              fc.integer({ min: 1, max: 9 }),
              fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
              fc.constantFrom("before commit" as const, "after commit" as const),
              (rows, batchSize, crashPoint, when) =>
                runIn(context, Effect.gen(function*(): Effect.fn.Return<void, unknown, TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase> {
                  const db = yield* TestDatabase.TestDatabase
                  yield* reset(db)
                  yield* loadLegacy(db, rows)
                  const reference = yield* Rehearsal.run(pipeline, options("reference", batchSize))
                  const expected = yield* snapshot(db, reference.runId)
                  const batches = reference.steps.reduce((n, s) => n + Math.ceil(s.counts.read / batchSize), 0)
                  const crashBatch = 1 + Math.floor(crashPoint * batches)

                  const crashed = yield* Effect.exit(
                    Rehearsal.run(pipeline, options("crashing", batchSize)).pipe(
                      Effect.provideService(Rehearsal.Observer, crashAt(crashBatch, when))
                    )
                  )
                  const resumed = yield* Rehearsal.run(pipeline, options("crashing", batchSize))
                  assert.isTrue(Exit.isFailure(crashed), `the run should have stopped at batch ${crashBatch} of ${batches}`)
                  assert.isTrue(resumed.resumed)
                  assert.deepStrictEqual(yield* snapshot(db, resumed.runId), expected)
                  assert.deepStrictEqual(resumed.steps, reference.steps)
                }))
            ),
            { numRuns: runs }
          )
        )
      }))
  })
}

describe("test databases", () => {
  it("include PGlite and the PostgreSQL server unless told otherwise", () => {
    const chosen = TestDatabase.dialects()
    if (process.env.HANDOVER_TEST_DIALECTS === undefined) {
      assert.include(chosen, "pglite")
      assert.include(chosen, "postgres")
    }
    assert.isAbove(chosen.length, 0)
  })
})
