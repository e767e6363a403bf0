/**
 * `purge --run` removes exactly one run's load: it refuses, changing nothing, when a target table holds a row the run
 * did not load; it removes nothing of a run whose load was replaced; and the next rehearsal loads cleanly.
 */
import { assert, layer } from "@effect/vitest"
import { Databases, Purge, Rehearsal } from "@handover/core"
import { ExampleEstate } from "@handover/fixtures"
import { TargetTables } from "@handover/pipeline-example"
import { Table } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { controlSchema, legacySchema, options, pipeline, reset, targetSchema } from "./support.ts"

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`purge on ${dialect}`, (it) => {
    it.effect("removes one run's load and nothing else, refusing when the target holds rows it did not load", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        yield* ExampleEstate.load(db, legacySchema, ExampleEstate.generate({ seed: 3, clients: 400, rates: ExampleEstate.defaultRates }))
        const first = yield* Rehearsal.run(pipeline, options("purge", 100))
        const second = yield* Rehearsal.run(pipeline, options("purge", 100))
        const person = Table.inSchema(TargetTables.person, targetSchema)
        const count = (table: Table.Table) => db.use("count", async (d) => Number((await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)}`))[0]![0]))
        const loaded = yield* count(person)
        assert.isAbove(loaded, 0)
        const purge = (runId: string) => Purge.purge(pipeline, { runId, targetSchema, controlSchema }).pipe(Effect.provide(Layer.succeed(Databases.TargetDatabase, db)))

        // the first run's load was replaced by the second: nothing of it is in the target
        const replaced = yield* purge(first.runId)
        assert.deepStrictEqual(replaced.removed, {})
        assert.strictEqual(yield* count(person), loaded)

        // a row the run did not load: refused, nothing removed
        yield* db.use("a stranger", (d) =>
          d.transaction((c) => c.writeRows(person, [["stranger-1", null, "Not", "Ours", "1950-01-01", "unknown"]])))
        const refused = yield* Effect.exit(purge(second.runId))
        assert.isTrue(Exit.isFailure(refused))
        assert.include(JSON.stringify(refused), "did not load")
        assert.strictEqual(yield* count(person), loaded + 1)

        yield* db.use("remove the stranger", (d) => d.query(`DELETE FROM ${d.dialect.qualify(person)} WHERE person_id = 'stranger-1'`))
        const purged = yield* purge(second.runId)
        assert.strictEqual(purged.removed[TargetTables.person.name], loaded)
        for (const table of TargetTables.all) assert.strictEqual(yield* count(Table.inSchema(table, targetSchema)), 0, table.name)
        const status = yield* db.use("status", (d) =>
          d.queryText(`SELECT status FROM ${d.dialect.qualify({ schema: controlSchema, name: "run" })} WHERE run_id = ${d.dialect.placeholder(1)}`, [second.runId]))
        assert.strictEqual(status[0]![0], "purged")

        // the next rehearsal loads the same target again
        const third = yield* Rehearsal.run(pipeline, options("purge", 100))
        assert.deepStrictEqual(third.steps, second.steps)
        assert.strictEqual(yield* count(person), loaded)
      }))
  })
}
