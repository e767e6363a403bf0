/**
 * The record check maps every legacy row again and finds, for a row with a match key (an NHS number), the row it
 * merges into as the migration did — across batches, whatever the batch sizes of the migration and of the check —
 * without holding every match key of the entity: an untouched migration gives no finding. A client the xref records
 * as merged into another client than the mapping gives is found, and so is a target row no legacy row accounts for.
 */
import { assert, layer } from "@effect/vitest"
import { Databases, LegacyText, Pipeline, Rehearsal } from "@handover/core"
import { Finding, FindingsLedger, Reconcile } from "@handover/reconcile"
import { Arrays, Table } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import fc from "fast-check"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

const legacySchema = "matches_legacy"
const targetSchema = "matches_target"
const controlSchema = "matches_control"

const legacy = Table.make({
  schema: legacySchema,
  name: "client",
  columns: { id: Table.int, nhs: Table.nullable(Table.text(10)), dob: Table.nullable(Table.text(10)), name: Table.text(20) },
  primaryKey: ["id"]
})
const person = Table.make({ name: "person", columns: { person_id: Table.text(10), name: Table.text(20) }, primaryKey: ["person_id"] })
const duplicate = { id: "M-01", description: "a client with the NHS number of an earlier client is merged into it" }
const badDate = { id: "M-02", description: "a client without a date of birth is quarantined" }

const pipeline = Pipeline.make({
  name: "record-check-matches",
  version: "1",
  targetTables: [person],
  steps: [
    Pipeline.step({
      entity: "client",
      source: { table: "client", key: ["id"], columns: ["id", "nhs", "dob", "name"] },
      legacyRow: Schema.Struct({ id: LegacyText.IntFromText, nhs: LegacyText.OptionalText, dob: LegacyText.OptionalText, name: LegacyText.OptionalText }),
      references: [],
      matchKey: (row) => row.nhs,
      rules: [duplicate, badDate],
      targets: [person],
      // as the SWIFT client step: a match merges before the row's own problems are looked at
      transform: (row, context) => {
        if (row.nhs !== null) {
          const survivor = context.matchedTargetKey(row.nhs)
          if (survivor !== undefined) return Pipeline.merge(survivor, duplicate)
        }
        if (row.dob === null) return Pipeline.quarantine(badDate, "dob", "no date of birth")
        const key = `P${row.id}`
        return Pipeline.withMatchKey(Pipeline.load(key, Pipeline.row(person, { person_id: key, name: row.name ?? "" })), row.nhs)
      }
    })
  ]
})

const client = fc.record({
  nhs: fc.option(fc.constantFrom("111", "222", "333", "444"), { freq: 3 }),
  dob: fc.option(fc.constant("1950-01-01"), { freq: 4, nil: null }),
  name: fc.constantFrom("Ann", "Bob", "Cy")
})

/** The reconciliation's findings of a run (the worklists' items, the rows held back and flagged, left out). */
const ledgerFindings = (db: Databases.TargetDatabase["Service"], runId: string) =>
  db.use("read the ledger", async (d) => {
    const all: Array<FindingsLedger.LedgerFinding> = []
    for await (const page of FindingsLedger.findingPages(d, controlSchema, runId)) Arrays.appendAll(all, page.filter((f) => !Finding.isWorklistItem(f)))
    return all
  })

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`the record check's match keys on ${dialect}`, (it) => {
    it.effect("finds the merges the migration made across batches, and a merge the xref records otherwise", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | Databases.LegacyDatabase | Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.array(client, { minLength: 1, maxLength: 30 }),
              fc.integer({ min: 1, max: 7 }),
              fc.integer({ min: 1, max: 7 }),
              fc.nat(),
              (clients, migrationBatch, checkBatch, pick) =>
                Effect.runPromise(Effect.provideContext(
                  Effect.gen(function*() {
                    const db = yield* TestDatabase.TestDatabase
                    yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
                    yield* db.use("legacy rows", async (d) => {
                      await d.query(d.dialect.createSchema(legacySchema))
                      await d.query(d.dialect.createTable(legacy))
                      await d.transaction((c) => c.writeRows(legacy, clients.map((c, i) => [i + 1, c.nhs, c.dob, c.name])))
                    })
                    const options = { rehearsal: "matches", legacySchema, targetSchema, controlSchema }
                    const migrated = yield* Rehearsal.run(pipeline, { ...options, batchSize: migrationBatch })
                    const untouched = yield* Reconcile.run(pipeline, { ...options, batchSize: checkBatch, today: "2026-01-01" })
                    assert.deepStrictEqual((yield* ledgerFindings(db, untouched.runId)).map((f) => f.message), [], "an untouched migration")

                    // a merged client recorded as merged into another client, and a person no legacy row accounts for
                    const q = (name: string) => db.dialect.qualify({ schema: controlSchema, name })
                    const merged = yield* db.use("merged clients", (d) =>
                      d.queryText(`SELECT legacy_key, target_key FROM ${q("xref")} WHERE run_id = ${d.dialect.placeholder(1)} AND outcome = 'merged' ORDER BY legacy_key`, [
                        migrated.runId
                      ]))
                    const changed = merged.length === 0 ? undefined : merged[pick % merged.length]!
                    yield* db.use("change the target", async (d) => {
                      if (changed !== undefined) {
                        await d.query(`UPDATE ${q("xref")} SET target_key = 'P999' WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'client' AND legacy_key = ${d.dialect.placeholder(2)}`, [
                          migrated.runId,
                          changed[0]
                        ])
                      }
                      await d.transaction((c) => c.writeRows(Table.inSchema(person, targetSchema), [["NEW1", "Dee"]]))
                    })
                    const checked = yield* Reconcile.run(pipeline, { ...options, batchSize: checkBatch, today: "2026-01-01" })
                    const found = (yield* ledgerFindings(db, checked.runId)).map((f) => `${f.check} ${f.kind} ${f.legacyKey ?? ""} ${f.targetKey ?? ""} ${f.targetValue ?? ""}`)
                    assert.deepStrictEqual(
                      found.sort(),
                      [
                        ...(changed === undefined ? [] : [`record.xref different ${changed[0]} ${changed[1]} merged P999`]),
                        "record.person extra  NEW1 "
                      ].sort()
                    )
                  }),
                  context
                ))
            ),
            { numRuns: Math.max(5, Math.round(runs / 2)) }
          )
        )
      }))
  })
}
