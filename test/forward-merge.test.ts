/**
 * A row that refers to a row of its own entity read after it (a person recorded as merged into a later record) finds
 * nothing when its batch is mapped; once the whole entity is loaded it is mapped again, and merges after all, as do
 * chains of such merges. Rows whose reference still finds nothing stay in quarantine, and the conservation law holds.
 */
import { assert, layer } from "@effect/vitest"
import { Counts, LegacyText, Pipeline, Rehearsal } from "@handover/core"
import { Table } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const legacy = Table.make({
  schema: "forward_legacy",
  name: "person",
  columns: { id: Table.int, merged_into: Table.nullable(Table.int), name: Table.text(20) },
  primaryKey: ["id"]
})
const target = Table.make({ name: "person", columns: { person_id: Table.text(10), name: Table.text(20) }, primaryKey: ["person_id"] })
const merged = { id: "F-01", description: "a person merged into another record follows it" }

const pipeline = Pipeline.make({
  name: "forward-merge-test",
  version: "1",
  targetTables: [target],
  steps: [
    Pipeline.step({
      entity: "person",
      source: { table: "person", key: ["id"], columns: ["id", "merged_into", "name"] },
      legacyRow: Schema.Struct({ id: LegacyText.IntFromText, merged_into: LegacyText.OptionalIntFromText, name: LegacyText.OptionalText }),
      references: [{ entity: "person", legacyKey: (row) => (row.merged_into === null ? null : String(row.merged_into)) }],
      rules: [merged],
      targets: [target],
      transform: (row, context) => {
        if (row.merged_into !== null) {
          const survivor = context.targetKeyOf("person", String(row.merged_into))
          return survivor === undefined
            ? Pipeline.quarantine(merged, "merged_into", "merged into a record that was not migrated")
            : Pipeline.merge(survivor, merged)
        }
        return Pipeline.load(`P${row.id}`, Pipeline.row(target, { person_id: `P${row.id}`, name: row.name ?? "" }))
      }
    })
  ]
})

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`forward references on ${dialect}`, (it) => {
    it.effect("a row merged into a later row merges once the entity is loaded; one into nothing stays quarantined", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, ["forward_legacy", "forward_target", "handover"])
        yield* db.use("legacy rows", async (d) => {
          await d.query(d.dialect.createSchema("forward_legacy"))
          await d.query(d.dialect.createTable(legacy))
          await d.transaction((c) =>
            c.writeRows(legacy, [
              [1, 6, "Ann"], // into a later record, in a later batch
              [2, 1, "Ann"], // into the record above, which itself merges forward
              [3, null, "Bob"],
              [4, 3, "Bob"], // into an earlier record: merged at once
              [5, 99, "Cy"], // into a record that is not there
              [6, null, "Ann"],
              [7, 8, "Di"], // into a later record that is itself quarantined
              [8, 99, "Di"],
              [20, 300, "Flo"], // into a later record
              [100, 20, "Flo"], // into the record above: its key sorts first as text, so it resolves a round later
              [300, null, "Flo"]
            ]))
        })
        const options = { rehearsal: "forward", batchSize: 2, legacySchema: "forward_legacy", targetSchema: "forward_target" }
        const result = yield* Rehearsal.run(pipeline, options)
        const counts = result.steps[0]!.counts
        assert.deepStrictEqual(counts, { read: 11, loaded: 3, merged: 5, quarantined: 3, excluded: 0 })
        assert.isTrue(Counts.holds(counts))

        const q = (name: string) => db.dialect.qualify({ schema: "handover", name })
        const read = (sql: string) => db.use("read", (d) => d.queryText(sql, [result.runId]))
        const p = db.dialect.placeholder(1)
        const xref = yield* read(`SELECT legacy_key, outcome, target_key FROM ${q("xref")} WHERE run_id = ${p} ORDER BY legacy_key`)
        assert.deepStrictEqual(xref, [
          ["1", "merged", "P6"],
          ["100", "merged", "P300"],
          ["2", "merged", "P6"],
          ["20", "merged", "P300"],
          ["3", "loaded", "P3"],
          ["300", "loaded", "P300"],
          ["4", "merged", "P3"],
          ["6", "loaded", "P6"]
        ])
        const quarantine = yield* read(`SELECT legacy_key FROM ${q("quarantine")} WHERE run_id = ${p} ORDER BY legacy_key`)
        assert.deepStrictEqual(quarantine.map((r) => r[0]), ["5", "7", "8"])
        const step = yield* db.use("read", (d) =>
          d.queryText(`SELECT rows_merged, rows_quarantined FROM ${q("entity_step")} WHERE run_id = ${p}`, [result.runId]))
        assert.deepStrictEqual(step.map((r) => r.map(Number)), [[5, 3]])

        // a second rehearsal of the same legacy data gives the same load
        const again = yield* Rehearsal.run(pipeline, { ...options, resume: false })
        assert.deepStrictEqual(again.steps[0]!.counts, counts)
      }))
  })
}
