/**
 * Reconciliation finds exactly what changed: for any estate and any set of changes made to the target after
 * migration (rows deleted, rows added, any field changed), the record-level check reports those changes and nothing
 * else; an untouched migration reports nothing. The findings ledger tells new, open, resolved, regressed and
 * accepted findings apart across rehearsals.
 */
import { assert, layer } from "@effect/vitest"
import { Rehearsal } from "@handover/core"
import { TargetTables } from "@handover/pipeline-example"
import { Finding, FindingsLedger, Reconcile } from "@handover/reconcile"
import { Arrays, Table } from "@handover/sql"
import { Arbitraries, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { controlSchema, legacySchema, loadLegacy, options, pipeline, reset, targetSchema } from "./support.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

interface Change {
  readonly kind: "delete" | "change" | "insert"
  readonly table: Table.Table
  readonly key: string
  readonly column?: string
}

const reconcileOptions = (rehearsal: string, today = "2026-01-01"): Reconcile.Options => ({ rehearsal, legacySchema, targetSchema, controlSchema, today })

/** A different value of the column's type for a changed field. */
const otherValue = (type: Table.ColumnType, current: string | null): string | number | boolean => {
  switch (type._tag) {
    case "date":
      return current === "2001-02-03" ? "2001-02-04" : "2001-02-03"
    case "decimal":
      return current === "1.00" ? "2.00" : "1.00"
    case "boolean":
      return current !== "t"
    case "int":
    case "bigint":
      return current === "7" ? 8 : 7
    default:
      return current === "Z" ? "Y" : "Z"
  }
}

const applyChanges = (db: TestDatabase.TestDatabase["Service"], changes: ReadonlyArray<Change>) =>
  db.use("change the target", async (d) => {
    for (const c of changes) {
      const table = Table.inSchema(c.table, targetSchema)
      const pk = d.dialect.quoteIdentifier(c.table.primaryKey[0]!)
      if (c.kind === "delete") {
        await d.query(`DELETE FROM ${d.dialect.qualify(table)} WHERE ${pk} = ${d.dialect.placeholder(1)}`, [c.key])
      } else if (c.kind === "change") {
        const column = c.table.columns.find((col) => col.name === c.column)!
        const [current] = (await d.queryText(`SELECT ${d.dialect.quoteIdentifier(column.name)} FROM ${d.dialect.qualify(table)} WHERE ${pk} = ${d.dialect.placeholder(1)}`, [c.key]))
        await d.query(
          `UPDATE ${d.dialect.qualify(table)} SET ${d.dialect.quoteIdentifier(column.name)} = ${d.dialect.placeholder(1)} WHERE ${pk} = ${d.dialect.placeholder(2)}`,
          [otherValue(column.type, current?.[0] ?? null), c.key]
        )
      } else {
        const values = c.table.columns.map((col) => (col.name === c.table.primaryKey[0] ? c.key : otherValue(col.type, null)))
        await d.transaction((conn) => conn.writeRows(table, [values]))
      }
    }
  })

const expectedOf = (changes: ReadonlyArray<Change>) =>
  new Set(changes.map((c) => `record.${c.table.name}|${c.kind === "delete" ? "missing" : c.kind === "insert" ? "extra" : "different"}|${c.key}|${c.column ?? ""}`))

/** Every finding the ledger holds for a run, resolved ones included, read page by page. */
const ledgerFindings = (db: TestDatabase.TestDatabase["Service"], runId: string) =>
  db.use("read the ledger", async (d) => {
    const all: Array<FindingsLedger.LedgerFinding> = []
    for await (const page of FindingsLedger.findingPages(d, controlSchema, runId, { pageSize: 7 })) Arrays.appendAll(all, page)
    return all
  })

const foundOf = (findings: ReadonlyArray<Finding.Finding>) =>
  new Set(findings.map((f) => `${f.check}|${f.kind}|${f.targetKey}|${f.field ?? ""}`))

/** Picks changes among the rows the target holds: each row deleted, changed in one field, or left alone; plus new rows. */
const changesFor = (keys: ReadonlyMap<Table.Table, ReadonlyArray<string>>) =>
  fc.tuple(
    ...[...keys].map(([table, tableKeys]) =>
      fc.tuple(
        fc.subarray([...tableKeys]),
        fc.subarray([...tableKeys]),
        fc.integer({ min: 0, max: table.columns.length - 1 }),
        fc.integer({ min: 0, max: 2 })
      ).map(([deleted, changed, column, inserted]): ReadonlyArray<Change> => {
        const gone = new Set(deleted)
        const nonKey = table.columns.filter((c) => !table.primaryKey.includes(c.name))
        return [
          ...deleted.map((key): Change => ({ kind: "delete", table, key })),
          ...changed.filter((k) => !gone.has(k)).map((key, i): Change => ({ kind: "change", table, key, column: nonKey[(column + i) % nonKey.length]!.name })),
          ...Array.from({ length: inserted }, (_, i): Change => ({ kind: "insert", table, key: `NEW${i}` }))
        ]
      })
    )
  ).map((parts) => parts.flat())

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`reconciliation on ${dialect}`, (it) => {
    it.effect("reports exactly the changes made to the target after migration: none missed, none invented", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | import("@handover/core").Databases.LegacyDatabase | import("@handover/core").Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(Arbitraries.exampleRows({ maxClients: 25, maxPackages: 30 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (rows, batchSize, seed) =>
              Effect.runPromise(Effect.provideContext(Effect.gen(function*() {
                const db = yield* TestDatabase.TestDatabase
                yield* reset(db)
                yield* loadLegacy(db, rows)
                yield* Rehearsal.run(pipeline, options("reconcile", batchSize))
                const untouched = yield* Reconcile.run(pipeline, reconcileOptions("reconcile"))
                // the migration's own items (rows held back or flagged) are in the ledger too, for the worklists
                const items = yield* ledgerFindings(db, untouched.runId)
                assert.deepStrictEqual(items.filter((f) => !Finding.isWorklistItem(f)).map((f) => f.message), [], "an untouched migration")
                assert.strictEqual(untouched.findings, items.length, "an untouched migration counts no findings but the worklists' items")
                const keys = new Map<Table.Table, ReadonlyArray<string>>()
                for (const table of TargetTables.all) {
                  const placed = Table.inSchema(table, targetSchema)
                  keys.set(table, (yield* db.use("keys", (d) => d.queryText(`SELECT ${d.dialect.quoteIdentifier(table.primaryKey[0]!)} FROM ${d.dialect.qualify(placed)}`))).map((r) => String(r[0])))
                }
                const [changes] = fc.sample(changesFor(keys), { seed, numRuns: 1 })
                yield* applyChanges(db, changes!)
                const result = yield* Reconcile.run(pipeline, reconcileOptions("reconcile"))
                const found = yield* ledgerFindings(db, result.runId)
                assert.deepStrictEqual(foundOf(found.filter((f) => !Finding.isWorklistItem(f))), expectedOf(changes!))
                assert.strictEqual(result.findings, found.length, "the result counts the findings the ledger holds")
              }), context))
            ),
            { numRuns: Math.max(5, Math.round(runs / 3)) }
          )
        )
      }))

    it.effect("an xref that does not say what the mapping gives is reported against the xref, never as target rows nobody accounts for", () =>
      Effect.gen(function*() {
        const context = yield* Effect.context<TestDatabase.TestDatabase | import("@handover/core").Databases.LegacyDatabase | import("@handover/core").Databases.TargetDatabase>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(Arbitraries.exampleRows({ maxClients: 15, maxPackages: 20 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (rows, batchSize, seed) =>
              Effect.runPromise(Effect.provideContext(Effect.gen(function*() {
                const db = yield* TestDatabase.TestDatabase
                yield* reset(db)
                yield* loadLegacy(db, rows)
                const run = yield* Rehearsal.run(pipeline, options("xref", batchSize))
                const xref = { schema: controlSchema, name: "xref" }
                // care packages: no entity refers to them, so a wrong xref row of one changes no other row's mapping
                const loaded = (yield* db.use("xref", (d) =>
                  d.queryText(`SELECT legacy_key, target_key FROM ${d.dialect.qualify(xref)} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'care package' AND outcome = 'loaded'`, [run.runId])
                )).map((r) => ({ legacyKey: String(r[0]), targetKey: String(r[1]) }))
                const [picked] = fc.sample(fc.subarray(loaded).chain((xs) => fc.tuple(fc.constant(xs), fc.array(fc.boolean(), { minLength: xs.length, maxLength: xs.length }))), { seed, numRuns: 1 })
                const [chosen, deleteIt] = picked!
                yield* db.use("change the xref", async (d) => {
                  for (const [i, x] of chosen.entries()) {
                    const p = d.dialect.placeholder
                    const where = `run_id = ${p(1)} AND entity = 'care package' AND legacy_key = ${p(2)}`
                    if (deleteIt[i]) await d.query(`DELETE FROM ${d.dialect.qualify(xref)} WHERE ${where}`, [run.runId, x.legacyKey])
                    else await d.query(`UPDATE ${d.dialect.qualify(xref)} SET target_key = ${p(3)} WHERE ${where}`, [run.runId, x.legacyKey, `ELSEWHERE-${x.targetKey}`])
                  }
                })
                const result = yield* Reconcile.run(pipeline, reconcileOptions("xref"))
                const found = yield* ledgerFindings(db, result.runId)
                // the count check sees the xref's counts fall short as well; the record check names each row
                assert.deepStrictEqual(
                  new Set(found.filter((f) => f.check.startsWith("record.")).map((f) => `${f.check}|${f.kind}|${f.legacyKey}`)),
                  new Set(chosen.map((x, i) => `record.xref|${deleteIt[i] ? "missing" : "different"}|${x.legacyKey}`))
                )
              }), context))
            ),
            { numRuns: Math.max(5, Math.round(runs / 3)) }
          )
        )
      }))

    it.effect("the ledger tells new, open, resolved, regressed and accepted findings apart over three rehearsals", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        yield* loadLegacy(db, {
          clients: [[1, "Ann", "Lee", "1950-01-01", null, "F", "ASC", null], [2, "Bob", "Ray", "1940-02-02", null, "M", "ASC", null], [3, "Cy", "Day", "1930-03-03", null, "M", "ASC", null]],
          carePackages: [[10, 1, "Care Co", "100.00", "2020-01-01", null, "ACTIVE"]]
        })
        const person = TargetTables.person
        const a: Change = { kind: "change", table: person, key: "P1", column: "family_name" }
        const b: Change = { kind: "change", table: person, key: "P2", column: "gender" }
        const c: Change = { kind: "delete", table: TargetTables.carePackage, key: "CP10" }
        const rehearse = (changes: ReadonlyArray<Change>, today: string) =>
          Effect.gen(function*() {
            yield* Rehearsal.run(pipeline, options("series", 2))
            yield* applyChanges(db, changes)
            const result = yield* Reconcile.run(pipeline, reconcileOptions("series", today))
            return new Map((yield* ledgerFindings(db, result.runId)).map((f) => [`${f.targetKey}|${f.field ?? ""}`, f.status] as const))
          })
        const first = yield* rehearse([a, b], "2026-01-01")
        assert.deepStrictEqual(first, new Map([["P1|family_name", "new"], ["P2|gender", "new"]]))
        // a fixed at source; b still there; c appears
        const second = yield* rehearse([b, c], "2026-01-08")
        assert.deepStrictEqual(second, new Map([["P1|family_name", "resolved"], ["P2|gender", "open"], ["CP10|", "new"]]))
        // b accepted until the end of the month, c accepted with an acceptance that has run out; a comes back
        const fingerprint = (change: Change) =>
          Finding.fingerprint({ entity: change.table === person ? "client" : "care package", check: `record.${change.table.name}`, legacyKey: change.table === person ? change.key.slice(1) : change.key.slice(2), targetKey: change.key, field: change.column ?? null })
        yield* FindingsLedger.decide(db, controlSchema, { fingerprint: fingerprint(b), decision: "accepted", reason: "known", by: "data owner", until: "2026-01-31" })
        yield* FindingsLedger.decide(db, controlSchema, { fingerprint: fingerprint(c), decision: "accepted", reason: "old", by: "data owner", until: "2026-01-10" })
        const third = yield* rehearse([a, b, c], "2026-01-15")
        assert.deepStrictEqual(third, new Map([["P1|family_name", "regressed"], ["P2|gender", "accepted"], ["CP10|", "open"]]))
      }))
  })
}
