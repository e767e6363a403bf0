/**
 * Helpers shared by the end-to-end rehearsal tests.
 */
import { Rehearsal } from "@handover/core"
import { ExamplePipeline, LegacyTables, TargetTables } from "@handover/pipeline-example"
import { ControlSchema, Table, type Database, type Driver } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"

export const legacySchema = "legacy"
export const targetSchema = "example"
export const controlSchema = ControlSchema.defaultSchema

export const options = (rehearsal: string, batchSize: number): Rehearsal.Options => ({
  rehearsal,
  batchSize,
  legacySchema,
  targetSchema,
  controlSchema
})

/** Empties every schema a rehearsal touches. */
export const reset = (db: Database.Database) => TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])

/** Creates the example's legacy tables and loads the rows. */
export const loadLegacy = (
  db: Database.Database,
  rows: { readonly clients: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>; readonly carePackages: ReadonlyArray<ReadonlyArray<Driver.SqlValue>> }
) =>
  db.use("load legacy rows", async (d) => {
    await d.query(d.dialect.createSchema(legacySchema))
    const [clients, packages] = LegacyTables.all.map((t) => Table.inSchema(t, legacySchema)) as [Table.Table, Table.Table]
    for (const t of [clients, packages]) await d.query(d.dialect.createTable(t))
    await d.transaction(async (c) => {
      await c.writeRows(clients, rows.clients)
      await c.writeRows(packages, rows.carePackages)
    })
  })

const rowsOf = (db: Database.Database, sql: string, params: ReadonlyArray<unknown> = []) =>
  db.use("snapshot", (d) => d.queryText(sql, params)).pipe(Effect.map((rows) => rows.map((r) => r.join("\u241f"))))

/**
 * Everything a run leaves behind, independent of its run id: the target tables in key order, and the xref,
 * quarantine and exclusion entries of the run.
 */
export const snapshot = (db: Database.Database, runId: string) =>
  Effect.gen(function*() {
    const q = (name: string) => db.dialect.qualify({ schema: controlSchema, name })
    const p = db.dialect.placeholder(1)
    const target: Record<string, ReadonlyArray<string>> = {}
    for (const table of TargetTables.all) {
      const placed = Table.inSchema(table, targetSchema)
      target[table.name] = yield* rowsOf(
        db,
        `SELECT ${table.columns.map((c) => db.dialect.quoteIdentifier(c.name)).join(", ")} FROM ${db.dialect.qualify(placed)} ORDER BY ${
          table.primaryKey.map((k) => db.dialect.quoteIdentifier(k)).join(", ")
        }`
      )
    }
    return {
      target,
      xref: yield* rowsOf(db, `SELECT entity, legacy_key, target_table, target_key, outcome, rule_id FROM ${q("xref")} WHERE run_id = ${p} ORDER BY entity, legacy_key`, [runId]),
      quarantine: yield* rowsOf(db, `SELECT entity, legacy_key, stage, field_path, reason, rule_id, raw_row FROM ${q("quarantine")} WHERE run_id = ${p} ORDER BY entity, legacy_key`, [runId]),
      exclusion: yield* rowsOf(db, `SELECT entity, legacy_key, rule_id, reason FROM ${q("exclusion")} WHERE run_id = ${p} ORDER BY entity, legacy_key`, [runId])
    }
  })

/** Legacy keys of one entity's source table. */
export const legacyKeys = (db: Database.Database, table: string, key: string) =>
  rowsOf(db, `SELECT ${db.dialect.quoteIdentifier(key)} FROM ${db.dialect.qualify({ schema: legacySchema, name: table })}`)

/** Legacy keys the control schema records for an entity of a run, in one disposition table. */
export const recordedKeys = (db: Database.Database, runId: string, entity: string, table: "xref" | "quarantine" | "exclusion") =>
  rowsOf(
    db,
    `SELECT legacy_key FROM ${db.dialect.qualify({ schema: controlSchema, name: table })} WHERE run_id = ${db.dialect.placeholder(1)} AND entity = ${
      db.dialect.placeholder(2)
    }`,
    [runId, entity]
  )

export const pipeline = ExamplePipeline.pipeline

/** A test hook that stops a rehearsal at a chosen batch, before or after it commits. */
export class SimulatedCrash extends Error {
  readonly batch: number
  constructor(batch: number) {
    super(`simulated crash at batch ${batch}`)
    this.batch = batch
  }
}

export const crashAt = (batch: number, when: "before commit" | "after commit"): Rehearsal.ObserverShape => {
  let seen = 0
  const hit = () =>
    Effect.suspend(() => {
      seen++
      return seen === batch ? Effect.die(new SimulatedCrash(batch)) : Effect.void
    })
  return {
    stepStarted: () => Effect.void,
    stepFinished: () => Effect.void,
    beforeCommit: () => (when === "before commit" ? hit() : Effect.void),
    batchCommitted: () => (when === "after commit" ? hit() : Effect.void)
  }
}
