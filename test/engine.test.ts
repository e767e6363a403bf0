/**
 * Engine features a pipeline builds on, exercised by a small pipeline of its own: values that do not fit their
 * column are quarantined (never cut short), flags and unmapped codes are recorded and summarised, duplicates are
 * merged by match key across batches, and a reference to an excluded row is told apart from a missing one.
 */
import { assert, layer } from "@effect/vitest"
import { Counts, LegacyText, Pipeline, Rehearsal } from "@handover/core"
import { Table } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const legacy = Table.make({
  schema: "engine_legacy",
  name: "person",
  columns: { id: Table.int, code: Table.nullable(Table.text()), colour: Table.nullable(Table.text()), nhs: Table.nullable(Table.text()) },
  primaryKey: ["id"]
})
const legacyChild = Table.make({
  schema: "engine_legacy",
  name: "child",
  columns: { id: Table.int, person_id: Table.int },
  primaryKey: ["id"]
})
const target = Table.make({
  name: "person",
  columns: { person_id: Table.text(10), code: Table.text(5), colour: Table.nullable(Table.text(10)) },
  primaryKey: ["person_id"]
})
const targetChild = Table.make({ name: "child", columns: { child_id: Table.text(10), person_id: Table.text(10) }, primaryKey: ["child_id"] })

const rules = {
  colour: { id: "T-01", description: "colours map to the target list" },
  excluded: { id: "T-02", description: "code X is left out" },
  duplicate: { id: "T-03", description: "rows with one match key merge" },
  parent: { id: "T-04", description: "a child follows its person" }
}
const colours: Readonly<Record<string, string>> = { r: "red", g: "green" }

const Row = Schema.Struct({
  id: LegacyText.IntFromText,
  code: LegacyText.OptionalText,
  colour: LegacyText.OptionalText,
  nhs: LegacyText.OptionalText
})

const pipeline = Pipeline.make({
  name: "engine-test",
  version: "1",
  targetTables: [target, targetChild],
  steps: [
    Pipeline.step({
      entity: "person",
      source: { table: "person", key: ["id"], columns: ["id", "code", "colour", "nhs"] },
      legacyRow: Row,
      references: [],
      matchKey: (row) => row.nhs,
      rules: Object.values(rules).slice(0, 3),
      targets: [target],
      transform: (row, context) => {
        if (row.code === "X") return Pipeline.exclude(rules.excluded, "code X")
        if (row.nhs !== null) {
          const survivor = context.matchedTargetKey(row.nhs)
          if (survivor !== undefined) return Pipeline.merge(survivor, rules.duplicate)
        }
        const colour = row.colour === null ? null : colours[row.colour]
        const flags = row.colour !== null && colour === undefined
          ? [Pipeline.flag(rules.colour, "colour", "error", "no such colour", { codeSystem: "colour", value: row.colour })]
          : []
        const id = `P${row.id}`
        return Pipeline.withMatchKey(
          Pipeline.withFlags(Pipeline.load(id, Pipeline.row(target, { person_id: id, code: row.code ?? "", colour: colour ?? null })), flags),
          row.nhs
        )
      }
    }),
    Pipeline.step({
      entity: "child",
      source: { table: "child", key: ["id"], columns: ["id", "person_id"] },
      legacyRow: Schema.Struct({ id: LegacyText.IntFromText, person_id: LegacyText.IntFromText }),
      references: [{ entity: "person", legacyKey: (row) => String(row.person_id) }],
      rules: [rules.parent],
      targets: [targetChild],
      transform: (row, context) => {
        const parent = context.targetKeyOf("person", String(row.person_id))
        if (parent !== undefined) return Pipeline.load(`C${row.id}`, Pipeline.row(targetChild, { child_id: `C${row.id}`, person_id: parent }))
        return context.wasExcluded("person", String(row.person_id))
          ? Pipeline.exclude(rules.parent, "its person was left out")
          : Pipeline.quarantine(rules.parent, "person_id", "its person was not migrated")
      }
    })
  ]
})

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`engine on ${dialect}`, (it) => {
    it.effect("quarantines values too long for their column, records flags and unmapped codes, merges by match key", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, ["engine_legacy", "engine_target", "handover"])
        yield* db.use("legacy rows", async (d) => {
          await d.query(d.dialect.createSchema("engine_legacy"))
          await d.query(d.dialect.createTable(legacy))
          await d.query(d.dialect.createTable(legacyChild))
          await d.transaction(async (c) => {
            await c.writeRows(legacy, [
              [1, "AB", "r", "111"],
              [2, "TOOLONG", "g", null],
              [3, "X", null, null],
              [4, "CD", "purple", null],
              [5, "EF", "r", "111"],
              [6, "GH", "mauve", "222"],
              [7, "IJ", "purple", null]
            ])
            await c.writeRows(legacyChild, [[1, 1], [2, 2], [3, 3], [4, 5], [5, 99]])
          })
        })
        const result = yield* Rehearsal.run(pipeline, { rehearsal: "engine", batchSize: 2, legacySchema: "engine_legacy", targetSchema: "engine_target" })
        const person = result.steps[0]!.counts
        const child = result.steps[1]!.counts
        assert.deepStrictEqual(person, { read: 7, loaded: 4, merged: 1, quarantined: 1, excluded: 1 })
        assert.deepStrictEqual(child, { read: 5, loaded: 2, merged: 0, quarantined: 2, excluded: 1 })
        assert.isTrue(Counts.holds(person) && Counts.holds(child))

        const q = (name: string) => db.dialect.qualify({ schema: "handover", name })
        const p = db.dialect.placeholder(1)
        const read = (sql: string) => db.use("read", (d) => d.queryText(sql, [result.runId]))
        const quarantine = yield* read(`SELECT entity, legacy_key, reason FROM ${q("quarantine")} WHERE run_id = ${p} ORDER BY entity, legacy_key`)
        assert.deepStrictEqual(quarantine.map((r) => [r[0], r[1]]), [["child", "2"], ["child", "5"], ["person", "2"]])
        assert.include(String(quarantine[2]![2]), "holds at most 5 characters")
        const merged = yield* read(`SELECT legacy_key, target_key FROM ${q("xref")} WHERE run_id = ${p} AND outcome = 'merged'`)
        assert.deepStrictEqual(merged, [["5", "P1"]])
        const flags = yield* read(`SELECT legacy_key, rule_id FROM ${q("flag")} WHERE run_id = ${p} ORDER BY legacy_key`)
        assert.deepStrictEqual(flags, [["4", "T-01"], ["6", "T-01"], ["7", "T-01"]])
        const unmapped = yield* read(`SELECT code_system, legacy_value, rows_flagged, rows_quarantined FROM ${q("unmapped_code")} WHERE run_id = ${p} ORDER BY legacy_value`)
        assert.deepStrictEqual(unmapped.map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]), [["colour", "mauve", 1, 0], ["colour", "purple", 2, 0]])
        const exclusions = yield* read(`SELECT entity, legacy_key, rule_id FROM ${q("exclusion")} WHERE run_id = ${p} ORDER BY entity`)
        assert.deepStrictEqual(exclusions, [["child", "3", "T-04"], ["person", "3", "T-02"]])
      }))
  })
}
