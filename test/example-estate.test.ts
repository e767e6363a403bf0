/**
 * A generated estate with known defects, migrated on every test database: each entity's counts are exactly what the
 * estate's manifest says, each injected defect lands where it should, and a run whose legacy data shifts under it
 * fails the conservation law.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Rehearsal } from "@handover/core"
import { ExampleEstate } from "@handover/fixtures"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { controlSchema, legacySchema, options, pipeline, reset } from "./support.ts"

const estateOptions: ExampleEstate.Options = { seed: 7, clients: 1_500, rates: ExampleEstate.defaultRates }

describe("the example estate generator", () => {
  it("is deterministic: the same seed gives the same rows and defects", () => {
    const a = ExampleEstate.generate(estateOptions)
    const b = ExampleEstate.generate(estateOptions)
    assert.deepStrictEqual(a.clients, b.clients)
    assert.deepStrictEqual(a.carePackages, b.carePackages)
    assert.deepStrictEqual(a.defects, b.defects)
    const c = ExampleEstate.generate({ ...estateOptions, seed: 8 })
    assert.notDeepEqual(c.clients, a.clients)
  })

  it("injects every defect kind at a non-zero rate, and none in a clean estate", () => {
    const estate = ExampleEstate.generate({ ...estateOptions, clients: 5_000 })
    const kinds = new Set(estate.defects.map((d) => d.kind))
    for (const kind of Object.keys(ExampleEstate.defaultRates)) assert.isTrue(kinds.has(kind as never), kind)
    assert.strictEqual(ExampleEstate.generate(ExampleEstate.clean(7, 5_000)).defects.length, 0)
  })
})

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`example estate on ${dialect}`, (it) => {
    it.effect("counts match the manifest of injected defects, and each defect is quarantined at its field", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        const estate = ExampleEstate.generate(estateOptions)
        yield* ExampleEstate.load(db, legacySchema, estate)
        const result = yield* Rehearsal.run(pipeline, options("manifest", 250))
        for (const step of result.steps) {
          assert.deepStrictEqual(step.counts, ExampleEstate.expectedCounts(estate, step.entity), step.entity)
        }
        const quarantined = yield* db.use("read quarantine", (d) =>
          d.queryText(
            `SELECT entity, legacy_key, field_path FROM ${d.dialect.qualify({ schema: controlSchema, name: "quarantine" })} WHERE run_id = ${
              d.dialect.placeholder(1)
            }`,
            [result.runId]
          ))
        const fieldOf = new Map(quarantined.map(([entity, key, field]) => [`${entity}/${key}`, field]))
        assert.deepStrictEqual(fieldOf, new Map(estate.quarantineField))
      }))

    it.effect("a legacy table that changes during a run breaks the conservation law, with a clear message", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        yield* ExampleEstate.load(db, legacySchema, ExampleEstate.generate(ExampleEstate.clean(3, 50)))
        // a client added behind the reader's back, below the keys already read
        const sneak: Rehearsal.ObserverShape = {
          stepStarted: () => Effect.void,
          beforeCommit: () => Effect.void,
          stepFinished: () => Effect.void,
          batchCommitted: (event) =>
            event.entity === "client" && event.batch === 2
              ? db.use("sneak a row in", (d) =>
                d.query(
                  `INSERT INTO ${d.dialect.qualify({ schema: legacySchema, name: "ex_client" })} (client_no, dob_text, gender_code) VALUES (0, '2000-01-01', 'F')`
                )).pipe(Effect.orDie, Effect.asVoid)
              : Effect.void
        }
        const exit = yield* Effect.exit(
          Rehearsal.run(pipeline, options("shifting", 10)).pipe(Effect.provideService(Rehearsal.Observer, sneak))
        )
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const text = String(exit.cause)
          assert.include(text, "conservation law broken for client")
          assert.include(text, "holds 51 rows but 50 were read")
        }
      }))
  })
}
