/**
 * The run ledger in the control schema: runs, entity steps with their checkpoints and counts, and the statements a
 * batch commits together with its target rows.
 */
import { ControlSchema, Driver, type Database, type Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import type { Kysely } from "kysely"
import type { Counts } from "./Counts.ts"

export type RunStatus = "running" | "completed" | "failed"

export interface RunRow {
  readonly runId: string
  readonly rehearsal: string
  readonly pipeline: string
  readonly configHash: string
  readonly codeVersion: string
  readonly startedAt: Date
  readonly endedAt: Date | null
  readonly status: string
  readonly message: string | null
  readonly replacedBy: string | null
}

export interface StepRow {
  readonly entity: string
  readonly position: number
  readonly status: "running" | "done"
  readonly lastKey: ReadonlyArray<string> | undefined
  readonly batches: number
  readonly counts: Counts
}

const num = (value: unknown): number => Number(value ?? 0)

/**
 * An instant as the text every dialect reads into its timestamp column exactly (ISO 8601 in UTC): a Date parameter
 * would go to SQL Server as a `datetime`, to the nearest 3 ms or so.
 */
const instant = (date: Date): string => date.toISOString()

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)))

const runFromRow = (r: Record<string, unknown>): RunRow => ({
  runId: String(r.run_id),
  rehearsal: String(r.rehearsal),
  pipeline: String(r.pipeline),
  configHash: String(r.config_hash),
  codeVersion: String(r.code_version),
  startedAt: toDate(r.started_at),
  endedAt: r.ended_at == null ? null : toDate(r.ended_at),
  status: String(r.status),
  message: r.message == null ? null : String(r.message),
  replacedBy: r.replaced_by == null ? null : String(r.replaced_by)
})

const stepFromRow = (r: Record<string, unknown>): StepRow => ({
  entity: String(r.entity),
  position: num(r.position),
  status: r.status === "done" ? "done" : "running",
  lastKey: r.last_key == null ? undefined : (JSON.parse(String(r.last_key)) as Array<string>),
  batches: num(r.batches),
  counts: {
    read: num(r.rows_read),
    loaded: num(r.rows_loaded),
    merged: num(r.rows_merged),
    quarantined: num(r.rows_quarantined),
    excluded: num(r.rows_excluded)
  }
})

/** The decision of a data owner that a legacy row is not to be migrated. */
export const notToMigrate = "do_not_migrate"

/** The rule that excludes a row a data owner decided not to migrate. */
export const notToMigrateRule = { id: "decision.do-not-migrate", description: "A data owner decided the row is not to be migrated" } as const

/** The decision of a data owner that two legacy rows are the same person. */
export const samePerson = "same_person"

/** The rule that merges a row into another a data owner decided is the same person. */
export const samePersonRule = { id: "decision.same-person", description: "A data owner decided the row is the same person as another" } as const

/** What a run does with some legacy rows of an entity by data owners' decisions. */
export interface RowDecisions {
  readonly notToMigrate: ReadonlySet<string>
  /** Rows merged into another row (by its legacy key), decided the same person. */
  readonly sameAs: ReadonlyMap<string, string>
}

/** The key of a council code map: the code system and the legacy value. */
export const councilCodeKey = (codeSystem: string, legacyValue: string) => `${codeSystem}\u0000${legacyValue}`

/** Statements on the control schema of one target database. */
export const make = (target: Database.Database, schema: string) => {
  const tables = ControlSchema.tables(schema)
  const db = (): Kysely<any> => target.driver.kysely.withSchema(schema)
  const run = <A>(operation: string, f: (db: Kysely<any>) => Promise<A>) => target.use(operation, () => f(db()))
  /** Runs a built statement on a transaction's connection. */
  const exec = (connection: Driver.Connection, query: { compile(): { sql: string; parameters: ReadonlyArray<unknown> } }) => {
    const compiled = query.compile()
    return connection.query(compiled.sql, compiled.parameters)
  }

  /** A SELECT of xref columns of one entity of a run, for `Driver.selectWhereOneOf`. */
  const xrefOf = (d: Driver.Driver, runId: string, entity: string, columns: string) => ({
    select: `SELECT ${columns} FROM ${d.dialect.qualify(tables.xref)}`,
    where: `run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)}`,
    params: [runId, entity]
  })

  return {
    tables,
    exec,
    runs: (filter: { readonly pipeline?: string; readonly rehearsal?: string } = {}) =>
      run("list runs", async (db) => {
        let q = db.selectFrom("run").selectAll()
        if (filter.pipeline !== undefined) q = q.where("pipeline", "=", filter.pipeline)
        if (filter.rehearsal !== undefined) q = q.where("rehearsal", "=", filter.rehearsal)
        return (await q.orderBy("started_at").orderBy("run_id").execute()).map(runFromRow)
      }),

    steps: (runId: string) =>
      run("read entity steps", async (db) =>
        (await db.selectFrom("entity_step").selectAll().where("run_id", "=", runId).orderBy("position").execute())
          .map(stepFromRow)),

    /**
     * Records a new run and replaces the previous load: the target tables are emptied and the xref of earlier runs
     * of the pipeline is dropped, in one transaction.
     */
    startRun: (
      run: Omit<RunRow, "endedAt" | "status" | "message" | "replacedBy">,
      targetTables: ReadonlyArray<Table.Table>,
      referenceData: ReadonlyArray<{ readonly table: Table.Table; readonly rows: ReadonlyArray<ReadonlyArray<Driver.SqlValue>> }>
    ) =>
      target.use("start run", (d) =>
        d.transaction(async (connection) => {
          for (const statement of d.dialect.clearTables(targetTables)) await connection.query(statement)
          for (const reference of referenceData) await connection.writeRows(reference.table, reference.rows)
          const earlier = db().selectFrom("run").select("run_id").where("pipeline", "=", run.pipeline)
            .where("replaced_by", "is", null)
          await exec(connection, db().deleteFrom("xref").where("run_id", "in", earlier))
          await exec(
            connection,
            db().updateTable("run").set({ replaced_by: run.runId }).where("pipeline", "=", run.pipeline)
              .where("replaced_by", "is", null)
          )
          await exec(
            connection,
            db().insertInto("run").values({
              run_id: run.runId,
              rehearsal: run.rehearsal,
              pipeline: run.pipeline,
              config_hash: run.configHash,
              code_version: run.codeVersion,
              started_at: instant(run.startedAt),
              status: "running"
            })
          )
        })),

    reopenRun: (runId: string) =>
      run("reopen run", (db) =>
        db.updateTable("run").set({ status: "running", ended_at: null, message: null }).where("run_id", "=", runId).execute()),

    finishRun: (runId: string, status: RunStatus, message: string | null) =>
      run("finish run", (db) =>
        db.updateTable("run").set({ status, ended_at: instant(new Date()), message }).where("run_id", "=", runId).execute()),

    beginStep: (runId: string, entity: string, position: number) =>
      run("begin entity step", (db) =>
        db.insertInto("entity_step").values({
          run_id: runId,
          entity,
          position,
          status: "running",
          last_key: null,
          batches: 0,
          rows_read: 0,
          rows_loaded: 0,
          rows_merged: 0,
          rows_quarantined: 0,
          rows_excluded: 0,
          started_at: instant(new Date())
        }).execute()),

    /** The checkpoint a batch commits with its rows. */
    checkpoint: (connection: Driver.Connection, runId: string, entity: string, lastKey: ReadonlyArray<string>, batches: number, counts: Counts) =>
      exec(
        connection,
        db().updateTable("entity_step").set({
          last_key: JSON.stringify(lastKey),
          batches,
          rows_read: counts.read,
          rows_loaded: counts.loaded,
          rows_merged: counts.merged,
          rows_quarantined: counts.quarantined,
          rows_excluded: counts.excluded
        }).where("run_id", "=", runId).where("entity", "=", entity)
      ),

    finishStep: (runId: string, entity: string) =>
      run("finish entity step", (db) =>
        db.updateTable("entity_step").set({ status: "done", ended_at: instant(new Date()) }).where("run_id", "=", runId)
          .where("entity", "=", entity).execute()),

    /** Target keys of legacy keys of an entity in this run (loaded or merged). */
    targetKeys: (runId: string, entity: string, legacyKeys: ReadonlyArray<string>) =>
      target.use("look up xref", async (d) => {
        const rows = await Driver.selectWhereOneOf(d, xrefOf(d, runId, entity, "legacy_key, target_key"), "legacy_key", legacyKeys)
        return new Map(rows.map((r) => [String(r[0]), String(r[1])] as const))
      }),

    /** Target keys and main-table columns (as text) of legacy keys of an entity in this run. */
    targetRows: (runId: string, entity: string, legacyKeys: ReadonlyArray<string>, main: Table.Table, columns: ReadonlyArray<string>) =>
      target.use("look up referenced rows", async (d) => {
        const q = d.dialect.quoteIdentifier
        const pk = main.primaryKey[0]!
        const found = new Map<string, { readonly targetKey: string; readonly row: Record<string, string | null> }>()
        const rows = await Driver.selectWhereOneOf(d, {
          select: `SELECT x.legacy_key, x.target_key, ${columns.map((c) => `t.${q(c)}`).join(", ")} FROM ${d.dialect.qualify(tables.xref)} x ` +
            `JOIN ${d.dialect.qualify(main)} t ON t.${q(pk)} = x.target_key`,
          where: `x.run_id = ${d.dialect.placeholder(1)} AND x.entity = ${d.dialect.placeholder(2)}`,
          params: [runId, entity]
        }, "x.legacy_key", legacyKeys)
        for (const r of rows) {
          const row: Record<string, string | null> = {}
          columns.forEach((c, j) => (row[c] = r[j + 2] ?? null))
          found.set(String(r[0]), { targetKey: String(r[1]), row })
        }
        return found
      }),

    /**
     * Takes the decisions a run is made with from the decisions in force: the rows of the items a data owner decided
     * not to migrate or the same person as another, and the council's code maps. Again on resuming, to the same rows
     * (the decisions are part of the run's configuration).
     */
    recordDecisions: (runId: string) =>
      target.use("take the decisions a run is made with", (d) =>
        d.transaction(async (c) => {
          const p = d.dialect.placeholder
          await c.query(`DELETE FROM ${d.dialect.qualify(tables.runDecision)} WHERE run_id = ${p(1)}`, [runId])
          await c.query(`DELETE FROM ${d.dialect.qualify(tables.runCodeMap)} WHERE run_id = ${p(1)}`, [runId])
          await c.query(
            `INSERT INTO ${d.dialect.qualify(tables.runCodeMap)} (run_id, code_system, legacy_value, target_value) ` +
              `SELECT ${p(1)}, code_system, legacy_value, target_value FROM ${d.dialect.qualify(tables.councilCodeMap)}`,
            [runId]
          )
          // a row decided both ways is not migrated; a row decided the same person as two others merges into one
          await c.query(
            `INSERT INTO ${d.dialect.qualify(tables.runDecision)} (run_id, entity, legacy_key, decision, fingerprint, other_legacy_key) ` +
              `SELECT ${p(1)}, f.entity, f.legacy_key, MIN(t.decision), MIN(t.fingerprint), ` +
              `MIN(CASE WHEN t.decision = ${p(3)} THEN f.legacy_value END) FROM ${d.dialect.qualify(tables.triage)} t ` +
              `JOIN ${d.dialect.qualify(tables.finding)} f ON f.fingerprint = t.fingerprint ` +
              `WHERE t.decision IN (${p(2)}, ${p(3)}) AND f.legacy_key IS NOT NULL AND (t.decision = ${p(2)} OR f.legacy_value IS NOT NULL) ` +
              `GROUP BY f.entity, f.legacy_key`,
            [runId, notToMigrate, samePerson]
          )
        })),

    /**
     * What a run is made to do with legacy rows of an entity, by data owners' decisions: the rows not to migrate, and
     * the rows to merge into another row of the same person (by the other row's legacy key).
     */
    decisionsOn: (runId: string, entity: string) =>
      target.use("read the decisions on rows", async (d): Promise<RowDecisions> => {
        const rows = await d.queryText(
          `SELECT legacy_key, decision, other_legacy_key FROM ${d.dialect.qualify(tables.runDecision)} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)}`,
          [runId, entity]
        )
        const notMigrated = new Set<string>()
        const sameAs = new Map<string, string>()
        for (const [key, decision, other] of rows) {
          if (decision === notToMigrate) notMigrated.add(String(key))
          else if (decision === samePerson && other !== null && other !== undefined) sameAs.set(String(key), other)
        }
        return { notToMigrate: notMigrated, sameAs }
      }),

    /** The council's code maps a run is made with: the target value by code system and legacy value (`councilCodeKey`). */
    councilCodes: (runId: string) =>
      target.use("read the council's code maps", async (d) =>
        new Map((await d.queryText(
          `SELECT code_system, legacy_value, target_value FROM ${d.dialect.qualify(tables.runCodeMap)} WHERE run_id = ${d.dialect.placeholder(1)}`,
          [runId]
        )).map((r) => [councilCodeKey(String(r[0]), String(r[1])), String(r[2])] as const)) as ReadonlyMap<string, string>),

    /** Which of these legacy keys of an entity a rule excluded in this run. */
    excludedKeys: (runId: string, entity: string, legacyKeys: ReadonlyArray<string>) =>
      target.use("look up exclusions", async (d) => {
        const rows = await Driver.selectWhereOneOf(d, {
          select: `SELECT legacy_key FROM ${d.dialect.qualify(tables.exclusion)}`,
          where: `run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)}`,
          params: [runId, entity]
        }, "legacy_key", legacyKeys)
        return new Set(rows.map((r) => String(r[0])))
      }),

    /** Columns (as text) of main-table rows by their target keys. */
    rowsByTargetKey: (main: Table.Table, targetKeys: ReadonlyArray<string>, columns: ReadonlyArray<string>) =>
      target.use("look up target rows", async (d) => {
        const q = d.dialect.quoteIdentifier
        const pk = main.primaryKey[0]!
        const found = new Map<string, Record<string, string | null>>()
        const rows = await Driver.selectWhereOneOf(d, {
          select: `SELECT ${[pk, ...columns].map(q).join(", ")} FROM ${d.dialect.qualify(main)}`,
          where: "",
          params: []
        }, q(pk), targetKeys)
        for (const r of rows) {
          const row: Record<string, string | null> = {}
          columns.forEach((c, j) => (row[c] = r[j + 1] ?? null))
          found.set(String(r[0]), row)
        }
        return found
      }),

    /** Target keys of rows of an entity loaded in this run under the given match keys (the first in key order). */
    matchedKeys: (runId: string, entity: string, matchKeys: ReadonlyArray<string>) =>
      target.use("look up match keys", async (d) => {
        const found = new Map<string, string>()
        const rows = await Driver.selectWhereOneOf(d, { ...xrefOf(d, runId, entity, "match_key, target_key"), orderBy: "legacy_key" }, "match_key", matchKeys)
        for (const r of rows) if (!found.has(String(r[0]))) found.set(String(r[0]), String(r[1]))
        return found
      }),

    /** Rewrites the run's report of unmapped code values from the rows that carried them. */
    summariseUnmappedCodes: (runId: string) =>
      target.use("summarise unmapped codes", (d) =>
        d.transaction(async (connection) => {
          await exec(connection, db().deleteFrom("unmapped_code").where("run_id", "=", runId))
          const rows = await connection.query(
            `SELECT code_system, legacy_value, entity, outcome, COUNT(*) AS n FROM ${d.dialect.qualify(tables.codeIssue)} ` +
              `WHERE run_id = ${d.dialect.placeholder(1)} GROUP BY code_system, legacy_value, entity, outcome`,
            [runId]
          )
          const summary = new Map<string, { system: string; value: string; entities: Set<string>; flagged: number; quarantined: number }>()
          for (const r of rows) {
            const id = JSON.stringify([r.code_system, r.legacy_value])
            const entry = summary.get(id) ??
              { system: String(r.code_system), value: String(r.legacy_value), entities: new Set<string>(), flagged: 0, quarantined: 0 }
            entry.entities.add(String(r.entity))
            if (r.outcome === "quarantined") entry.quarantined += num(r.n)
            else entry.flagged += num(r.n)
            summary.set(id, entry)
          }
          await connection.writeRows(
            tables.unmappedCode,
            [...summary.values()].map((e) => [runId, e.system, e.value, [...e.entities].sort().join(", ").slice(0, 400), e.flagged, e.quarantined])
          )
        })),

    /** What the control tables hold for one entity of a run: the independent side of the conservation check. */
    recorded: (runId: string, entity: string) =>
      run("count recorded rows", async (db) => {
        const countIn = async (table: string, outcome?: string) => {
          let q = db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("run_id", "=", runId)
            .where("entity", "=", entity)
          if (outcome !== undefined) q = q.where("outcome", "=", outcome)
          return num((await q.executeTakeFirst())?.n)
        }
        return {
          loaded: await countIn("xref", "loaded"),
          merged: await countIn("xref", "merged"),
          quarantined: await countIn("quarantine"),
          excluded: await countIn("exclusion")
        }
      })
  }
}

export type Ledger = ReturnType<typeof make>

export const migrate = (target: Database.Database, schema: string) => ControlSchema.migrate(target, schema).pipe(Effect.asVoid)
