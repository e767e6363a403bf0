/**
 * Verification of a migration someone else ran: the supplier's load, under the supplier's own keys, against what the
 * council's mapping makes of the same legacy rows. Nothing is written to the supplier's database.
 *
 * How: the mapping is run into the control database (its own target schema there, the expected load, with its
 * xref, quarantine and exclusions); the supplier's tables and cross-reference are copied beside it, into a schema of
 * their own; the two are compared in SQL in the control database, through both cross-references — the expected key
 * of a row is the supplier's key of the same legacy row, so a reference (an address's person) is compared as the
 * supplier's key of the right person. The findings go to the ledger under the mapping's run, so they have statuses
 * from one delivery to the next of a rehearsal series; their fingerprints carry legacy keys, never the supplier's
 * keys (which a new delivery may change), except for a supplier row no legacy row accounts for, which has no other.
 *
 * What is compared: the cross-reference itself (an entity the pipeline has not, a legacy key or supplier key that
 * does not exist, a row listed twice); rows the mapping holds back or excludes that the supplier loaded; rows the
 * mapping loads that the supplier did not, and supplier rows of an entity's main table no legacy row accounts for;
 * records the supplier merged that the mapping keeps apart, and records the mapping merges that the supplier left
 * apart; every field of every entity's main table, and of its other tables (a care package line's cost line), their
 * rows paired by the row of the main table they hang off; each table's rows and money columns' totals, to the penny;
 * the pipeline's business rules, over the delivery put under the mapping's keys, less what they find in the mapping's
 * own load; and the pipeline's headline figures, reconciled from the legacy rows to the delivery under those keys.
 */
import { Databases, Money, Pipeline, Rehearsal, Source } from "@handover/core"
import { ControlSchema, type Database, Driver, Table, TableShape } from "@handover/sql"
import { parse } from "csv-parse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createReadStream } from "node:fs"
import * as Figure from "./Figure.ts"
import * as Finding from "./Finding.ts"
import * as FindingsLedger from "./FindingsLedger.ts"
import * as Reconcile from "./Reconcile.ts"

export class VerifyError extends Schema.TaggedError<VerifyError>()("VerifyError", { message: Schema.String }) {}

/** Where the supplier's cross-reference is: a CSV file, or a table of the supplier's database. */
export type XrefSource =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "Table"; readonly schema: string | undefined; readonly name: string }

/** The supplier's load: its database, read only, and the schema of the pipeline's target tables in it. */
export interface Delivery {
  readonly database: Database.Database
  readonly schema: string
  readonly xref: XrefSource
}

export interface Options {
  readonly rehearsal: string
  readonly legacySchema?: string | undefined
  /** Where the council's mapping loads in the control database: the pipeline's target schema. */
  readonly targetSchema: string
  /** Where the delivery is copied in the control database. */
  readonly deliverySchema?: string | undefined
  readonly controlSchema?: string | undefined
  readonly parameters?: Readonly<Record<string, string>> | undefined
  readonly batchSize?: number | undefined
  readonly today?: string | undefined
  /**
   * The pipeline's business rules, run over the supplier's load as over the mapping's: a finding the supplier's load
   * has and the mapping's has not is the supplier's.
   */
  readonly checks?: ReadonlyArray<Reconcile.Check> | undefined
  /**
   * The pipeline's headline figures, reconciled from the legacy rows to the supplier's load put under the mapping's
   * keys: each variance the load does not explain is a finding, and the figure lines are the run's.
   */
  readonly figures?: ReadonlyArray<Figure.Figure> | undefined
  /** Told of each stage as it ends (the mapping, the copy, the comparison, the ledger), with its wall time. */
  readonly onStage?: ((stage: { readonly name: string; readonly seconds: number }) => void) | undefined
}

export const checks = {
  xref: "verify.xref",
  heldBack: "verify.held-back",
  missing: "verify.missing",
  extra: "verify.extra",
  merge: "verify.merge",
  counts: "verify.counts",
  money: "verify.money",
  rule: (check: string) => `verify.${check}`,
  /** A headline figure reconciled from the legacy rows to the delivery: its lines and findings under this id. */
  figure: (figure: string) => `verify.${figure}`,
  record: (table: string) => `verify.record.${table}`
} as const

/** Whether a check is a verification's: every finding of it is about the supplier's load. */
export const isVerification = (check: string): boolean => check.startsWith("verify.")

export const defaultDeliverySchema = "delivery"

/** The supplier's cross-reference as it is copied. */
export const xrefCopy = (schema: string) =>
  Table.make({
    schema,
    name: "supplier_xref",
    columns: { entity: Table.text(), legacy_key: Table.text(), target_key: Table.text() },
    primaryKey: []
  })

/** A table of the delivery as it is copied: every text column unbounded (a supplier's keys may be longer), no key. */
const copyOf = (table: Table.Table, schema: string): Table.Table => ({
  schema,
  name: table.name,
  columns: table.columns.map((c) => (c.type._tag === "text" ? { ...c, type: Table.text(), nullable: true } : { ...c, nullable: true })),
  primaryKey: []
})

/** The tables an entity's rows are loaded into that are its main table (the first its step writes), once each. */
const mainTables = (pipeline: Pipeline.Pipeline) => {
  const seen = new Map<string, Table.Table>()
  for (const step of pipeline.steps) {
    const t = step.targets[0]!
    if (t.primaryKey.length === 1 && !seen.has(t.name)) seen.set(t.name, t)
  }
  return [...seen.values()]
}

const readCsv = async function*(file: string, batch: number): AsyncGenerator<ReadonlyArray<ReadonlyArray<string>>> {
  const parser = createReadStream(file).pipe(parse({ columns: false, bom: true, skip_empty_lines: true, relax_column_count: false, trim: true }))
  let header: ReadonlyArray<string> | undefined
  let at: ReadonlyArray<number> = []
  let rows: Array<ReadonlyArray<string>> = []
  for await (const record of parser as AsyncIterable<ReadonlyArray<string>>) {
    if (header === undefined) {
      header = record.map((h) => h.toLowerCase())
      at = ["entity", "legacy_key", "target_key"].map((c) => header!.indexOf(c))
      const lacking = ["entity", "legacy_key", "target_key"].filter((_, i) => at[i]! < 0)
      if (lacking.length > 0) throw new VerifyError({ message: `the cross-reference ${file} has no ${lacking.join(", ")} column: its header must name entity, legacy_key, target_key` })
      continue
    }
    rows.push(at.map((i) => record[i] ?? ""))
    if (rows.length >= batch) {
      yield rows
      rows = []
    }
  }
  if (rows.length > 0) yield rows
}

/**
 * The cross-reference looked at before anything else is done: a file's header names its three columns, a table
 * exists in the supplier's database with them.
 */
const checkXref = (delivery: Delivery): Effect.Effect<XrefColumns, VerifyError | Database.DatabaseError> => {
  const source = delivery.xref
  if (source._tag === "File") {
    return Effect.tryPromise({
      try: async () => {
        for await (const _ of readCsv(source.path, 1)) break
        return {}
      },
      catch: csvFailure(source.path)
    })
  }
  return Effect.gen(function*() {
    const types = yield* Source.databaseTypes(delivery.database, source)
    const columns = Object.keys(types)
    const lacking = ["entity", "legacy_key", "target_key"].filter((c) => !columns.includes(c))
    if (columns.length === 0) return yield* new VerifyError({ message: `the cross-reference ${TableShape.nameOf(source)} is no table of ${delivery.database.display}` })
    if (lacking.length > 0) return yield* new VerifyError({ message: `the cross-reference ${source.name} has no ${lacking.join(", ")} column` })
    return types
  })
}

/** The database's own type of each column of a supplier's cross-reference table, by name (none for a file). */
type XrefColumns = Readonly<Record<string, string>>

/** A failure reading a cross-reference file, as the one-line error that names the file. */
const csvFailure = (file: string) => (cause: unknown): VerifyError =>
  cause instanceof VerifyError ? cause : new VerifyError({ message: `the cross-reference ${file}: ${cause instanceof Error ? cause.message : String(cause)}` })

/**
 * Copies the delivery's tables and cross-reference into the control database, a batch at a time (COPY where the
 * supplier's database has it), into the delivery schema made anew.
 */
const copyDelivery = (pipeline: Pipeline.Pipeline, delivery: Delivery, xrefColumns: XrefColumns, control: Database.Database, schema: string, batchSize: number) =>
  Effect.gen(function*() {
    const tables = Pipeline.writtenTables(pipeline).map((w) => w.table)
    yield* control.use("make the delivery's schema", async (d) => {
      for (const statement of d.dialect.dropSchema(schema)) await d.query(statement)
      await d.query(d.dialect.createSchema(schema))
      for (const t of tables) await d.query(d.dialect.createTable(copyOf(t, schema)))
      await d.query(d.dialect.createTable(xrefCopy(schema)))
    })
    const missing = yield* delivery.database.use("look up the supplier's tables", async (d) => {
        const lacking: Array<string> = []
        for (const t of tables) {
          const found = await d.queryText(
            `SELECT table_name FROM information_schema.tables WHERE table_schema = ${d.dialect.placeholder(1)} AND table_name = ${d.dialect.placeholder(2)}`,
            [delivery.schema, t.name]
          )
          if (found.length === 0) lacking.push(t.name)
        }
        return lacking
      })
    if (missing.length > 0) {
      return yield* new VerifyError({ message: `the supplier's schema ${delivery.schema} in ${delivery.database.display} has no table ${missing.join(", ")}` })
    }
    for (const t of tables) {
      const copy = copyOf(t, schema)
      yield* Source.batches(delivery.database, {
        table: { schema: delivery.schema, name: t.name },
        columns: t.columns.map((c) => c.name),
        key: t.primaryKey,
        after: undefined,
        batchSize,
        mode: "auto"
      }).pipe(Stream.runForEach((rows) => control.use(`copy the supplier's ${t.name}`, (d) => d.transaction((c) => c.writeRows(copy, rows)))))
    }
    // each copy's rows found by its key, and counted for the planner
    yield* control.use("index the delivery's copy", async (d) => {
      for (const t of tables) {
        if (t.primaryKey.length === 1) await d.query(`CREATE INDEX ON ${d.dialect.qualify(copyOf(t, schema))} (${d.dialect.quoteIdentifier(t.primaryKey[0]!)})`)
        for (const statement of d.dialect.analyze(copyOf(t, schema))) await d.query(statement)
      }
    })
    const xref = xrefCopy(schema)
    if (delivery.xref._tag === "File") {
      const file = delivery.xref.path
      yield* Effect.tryPromise({
        try: async () => {
          for await (const rows of readCsv(file, batchSize)) await Effect.runPromise(control.use("copy the cross-reference", (d) => d.transaction((c) => c.writeRows(xref, rows))))
        },
        catch: csvFailure(file)
      })
    } else {
      const source = delivery.xref
      yield* delivery.database.use("read the supplier's cross-reference", async (d) => {
        const q = d.dialect.quoteIdentifier
        // read as the supplier's tables are, by each column's own type: a GUID key in the same case in both
        const sql = `SELECT ${["entity", "legacy_key", "target_key"].map((c) => d.dialect.columnText(q(c), xrefColumns[c])).join(", ")} FROM ${d.dialect.qualify(source)}`
        // each batch written as it is read: memory holds one
        for await (const rows of Driver.queryBatches(d, sql, batchSize)) {
          await Effect.runPromise(control.use("copy the cross-reference", (c) => c.transaction((t) => t.writeRows(xref, rows))))
        }
      })
    }
  })

/**
 * The columns of a table of the mapping's load every value of which is a key the mapping gave a row (of the entity,
 * where one is named): its references, found by their values.
 */
const referencesIn = async (
  d: Driver.Driver,
  table: Table.Table,
  options: { readonly schema: string; readonly targetSchema: string },
  entity?: string
): Promise<ReadonlyArray<string>> => {
  const q = d.dialect.quoteIdentifier
  const expected = d.dialect.qualify(Table.inSchema(table, options.targetSchema))
  // the run's xref as the delivery schema holds it (`legacy_row`), indexed by key and counted: the xref itself has no
  // index by target key, and a plan for a run id it cannot see would scan it for every row
  const rows = `${q(options.schema)}.${q("legacy_row")}`
  const found: Array<string> = []
  for (const c of table.columns) {
    if (c.name === table.primaryKey[0] || c.type._tag !== "text") continue
    const [row] = await d.queryText(
      `SELECT EXISTS (SELECT 1 FROM ${expected} WHERE ${q(c.name)} IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM ${expected} e WHERE e.${q(c.name)} IS NOT NULL ` +
        `AND NOT EXISTS (SELECT 1 FROM ${rows} l WHERE l.target_key = e.${q(c.name)}${entity === undefined ? "" : " AND l.entity = $1"}))`,
      entity === undefined ? [] : [entity]
    )
    if (row?.[0] === "t" || row?.[0] === "true") found.push(c.name)
  }
  return found
}

/**
 * The comparisons, in SQL in the control database: each check's differences written to `found` in the delivery
 * schema, one row a finding.
 */
const compare = (pipeline: Pipeline.Pipeline, control: Database.Database, runId: string, options: { readonly schema: string; readonly controlSchema: string; readonly targetSchema: string }) =>
  control.use("compare the delivery with the mapping", async (d) => {
    const q = d.dialect.quoteIdentifier
    const s = (name: string) => `${q(options.schema)}.${q(name)}`
    const t = ControlSchema.tables(options.controlSchema)
    const xref = d.dialect.qualify(t.xref)
    const steps = pipeline.steps.map((step) => ({ entity: step.entity, main: step.targets[0]!, all: step.targets }))
    const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
    await d.query(`CREATE TABLE ${s("found")} (n serial PRIMARY KEY, check_id text, entity text, legacy_key text, target_key text, field text, kind text, legacy_value text, target_value text, message text)`)
    // the supplier's keys of each entity, in the tables its step writes
    await d.query(`CREATE TABLE ${s("supplier_key")} (entity text, target_key text, is_main boolean)`)
    for (const step of steps) {
      for (const [i, table] of step.all.entries()) {
        if (table.primaryKey.length !== 1) continue
        await d.query(`INSERT INTO ${s("supplier_key")} SELECT ${literal(step.entity)}, ${q(table.primaryKey[0]!)}, ${i === 0} FROM ${s(table.name)}`)
      }
    }
    await d.query(`CREATE INDEX ON ${s("supplier_key")} (entity, target_key)`)
    const analyse = (name: string) => d.query(`ANALYZE ${s(name)}`)
    await analyse("supplier_key")
    await analyse("supplier_xref")
    // every legacy row as the mapping leaves it
    await d.query(`CREATE TABLE ${s("legacy_row")} (entity text, legacy_key text, outcome text, target_key text, reason text)`)
    await d.query(`INSERT INTO ${s("legacy_row")} SELECT entity, legacy_key, outcome, target_key, NULL FROM ${xref} WHERE run_id = $1`, [runId])
    await d.query(`INSERT INTO ${s("legacy_row")} SELECT entity, legacy_key, 'quarantined', NULL, reason FROM ${d.dialect.qualify(t.quarantine)} WHERE run_id = $1`, [runId])
    await d.query(`INSERT INTO ${s("legacy_row")} SELECT entity, legacy_key, 'excluded', NULL, rule_id || ': ' || reason FROM ${d.dialect.qualify(t.exclusion)} WHERE run_id = $1`, [runId])
    await d.query(`CREATE INDEX ON ${s("legacy_row")} (entity, legacy_key)`)
    await d.query(`CREATE INDEX ON ${s("legacy_row")} (target_key)`)
    await analyse("legacy_row")
    const entities = `(VALUES ${steps.map((st) => `(${literal(st.entity)})`).join(", ")}) AS e(entity)`
    const xrefRows = s("supplier_xref")
    // the cross-reference's own faults: each row reported once, for the first fault it has
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, target_value, message) ` +
        `SELECT ${literal(checks.xref)}, x.entity, x.legacy_key, 'entity', 'extra', MIN(x.target_key), 'the cross-reference names an entity the pipeline has not: ' || x.entity ` +
        `FROM ${xrefRows} x WHERE NOT EXISTS (SELECT 1 FROM ${entities} WHERE e.entity = x.entity) GROUP BY x.entity, x.legacy_key`
    )
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, target_value, message) ` +
        `SELECT ${literal(checks.xref)}, x.entity, x.legacy_key, 'legacy_key', 'extra', MIN(x.target_key), 'the cross-reference names a legacy ' || x.entity || ' that does not exist' ` +
        `FROM ${xrefRows} x WHERE EXISTS (SELECT 1 FROM ${entities} WHERE e.entity = x.entity) ` +
        `AND NOT EXISTS (SELECT 1 FROM ${s("legacy_row")} l WHERE l.entity = x.entity AND l.legacy_key = x.legacy_key) GROUP BY x.entity, x.legacy_key`
    )
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, target_value, message) ` +
        `SELECT ${literal(checks.xref)}, x.entity, x.legacy_key, 'target_key', 'extra', MIN(x.target_key), 'the cross-reference gives a key no table of the supplier holds for this ' || x.entity ` +
        `FROM ${xrefRows} x WHERE EXISTS (SELECT 1 FROM ${s("legacy_row")} l WHERE l.entity = x.entity AND l.legacy_key = x.legacy_key) ` +
        `AND NOT EXISTS (SELECT 1 FROM ${s("supplier_key")} k WHERE k.entity = x.entity AND k.target_key = x.target_key) GROUP BY x.entity, x.legacy_key`
    )
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, target_value, message) ` +
        `SELECT ${literal(checks.xref)}, x.entity, x.legacy_key, 'repeated', 'different', MIN(x.target_key), 'the cross-reference lists this pair ' || COUNT(*) || ' times' ` +
        `FROM ${xrefRows} x GROUP BY x.entity, x.legacy_key, x.target_key HAVING COUNT(*) > 1`
    )
    // the pairs that hold: a known legacy row, a key the supplier's tables hold
    await d.query(
      `CREATE TABLE ${s("xref_ok")} AS SELECT DISTINCT x.entity, x.legacy_key, x.target_key, k.is_main FROM ${xrefRows} x ` +
        `JOIN ${s("supplier_key")} k ON k.entity = x.entity AND k.target_key = x.target_key ` +
        `WHERE EXISTS (SELECT 1 FROM ${s("legacy_row")} l WHERE l.entity = x.entity AND l.legacy_key = x.legacy_key)`
    )
    await d.query(`CREATE INDEX ON ${s("xref_ok")} (entity, legacy_key)`)
    await d.query(`CREATE INDEX ON ${s("xref_ok")} (target_key)`)
    await analyse("xref_ok")
    // rows the mapping holds back or excludes, loaded all the same
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, kind, legacy_value, target_value, message) ` +
        `SELECT ${literal(checks.heldBack)}, l.entity, l.legacy_key, 'extra', l.outcome || ': ' || l.reason, MIN(x.target_key), ` +
        `'the mapping does not load this row (' || l.outcome || ': ' || l.reason || '), yet the supplier loaded it' ` +
        `FROM ${s("legacy_row")} l JOIN ${xrefRows} x ON x.entity = l.entity AND x.legacy_key = l.legacy_key ` +
        `WHERE l.outcome IN ('quarantined', 'excluded') GROUP BY l.entity, l.legacy_key, l.outcome, l.reason`
    )
    // rows the mapping loads (or merges) that the supplier did not
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, kind, legacy_value, message) ` +
        `SELECT ${literal(checks.missing)}, l.entity, l.legacy_key, 'missing', l.outcome, ` +
        `'the mapping ' || CASE l.outcome WHEN 'merged' THEN 'merges' ELSE 'loads' END || ' this row, but no row of the supplier''s is cross-referenced to it' ` +
        `FROM ${s("legacy_row")} l WHERE l.outcome IN ('loaded', 'merged') AND NOT EXISTS (SELECT 1 FROM ${s("xref_ok")} x WHERE x.entity = l.entity AND x.legacy_key = l.legacy_key)`
    )
    // rows of an entity's main table no legacy row accounts for
    for (const table of mainTables(pipeline)) {
      const entity = steps.find((st) => st.main.name === table.name)!.entity
      await d.query(
        `INSERT INTO ${s("found")} (check_id, entity, target_key, kind, message) ` +
          `SELECT ${literal(checks.extra)}, ${literal(entity)}, r.${q(table.primaryKey[0]!)}, 'extra', ${literal(`${table.name} holds a row no legacy row accounts for`)} ` +
          `FROM ${s(table.name)} r WHERE NOT EXISTS (SELECT 1 FROM ${s("xref_ok")} x WHERE x.target_key = r.${q(table.primaryKey[0]!)})`
      )
    }
    // records the supplier made one that the mapping keeps apart: each but the first of a supplier key's legacy rows
    // whose expected key differs from the first's
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, legacy_value, target_value, message) ` +
        `SELECT ${literal(checks.merge)}, g.entity, g.legacy_key, 'merged', 'different', g.first_key, g.target_key, ` +
        `'the supplier made this ' || g.entity || ' one with ' || g.first_key || ', which the mapping keeps apart' FROM (` +
        `SELECT x.entity, x.legacy_key, x.target_key, l.target_key AS expected, ` +
        `FIRST_VALUE(x.legacy_key) OVER (PARTITION BY x.entity, x.target_key ORDER BY x.legacy_key) AS first_key, ` +
        `FIRST_VALUE(l.target_key) OVER (PARTITION BY x.entity, x.target_key ORDER BY x.legacy_key) AS first_expected ` +
        `FROM ${s("xref_ok")} x JOIN ${s("legacy_row")} l ON l.entity = x.entity AND l.legacy_key = x.legacy_key WHERE l.outcome IN ('loaded', 'merged')` +
        `) g WHERE g.expected <> g.first_expected`
    )
    // records the mapping merges that the supplier left apart
    await d.query(
      `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, legacy_value, target_value, message) ` +
        `SELECT ${literal(checks.merge)}, m.entity, m.legacy_key, 'left apart', 'different', MIN(sl.legacy_key), MIN(xm.target_key), ` +
        `'the mapping merges this ' || m.entity || ' into ' || MIN(sl.legacy_key) || ', which the supplier left apart' ` +
        `FROM ${s("legacy_row")} m JOIN ${s("legacy_row")} sl ON sl.entity = m.entity AND sl.target_key = m.target_key AND sl.outcome = 'loaded' ` +
        `JOIN ${s("xref_ok")} xm ON xm.entity = m.entity AND xm.legacy_key = m.legacy_key ` +
        `JOIN ${s("xref_ok")} xs ON xs.entity = sl.entity AND xs.legacy_key = sl.legacy_key ` +
        `WHERE m.outcome = 'merged' GROUP BY m.entity, m.legacy_key HAVING MIN(xm.target_key) <> MIN(xs.target_key)`
    )
    // every field of every main table: the expected row, its legacy key, the supplier's row of that legacy key; a
    // reference compared as the supplier's key of the row it refers to
    await d.query(
      `CREATE TABLE ${s("translation")} AS SELECT l.target_key AS expected_key, MIN(x.target_key) AS supplier_key FROM ${s("legacy_row")} l ` +
        `JOIN ${s("xref_ok")} x ON x.entity = l.entity AND x.legacy_key = l.legacy_key AND x.is_main WHERE l.outcome = 'loaded' GROUP BY l.target_key`
    )
    await d.query(`CREATE INDEX ON ${s("translation")} (expected_key)`)
    await analyse("translation")
    const referencesOf = (table: Table.Table, entity?: string) => referencesIn(d, table, options, entity)
    /**
     * The value pairs of a row's columns, each with whether they differ: the expected row `e` against the supplier's
     * `r`, a reference compared as the supplier's key of the row it refers to (`t<i>` the translation of the i-th).
     */
    const valuePairs = (columns: ReadonlyArray<Table.Column>, references: ReadonlyArray<string>) =>
      columns.map((c) => {
        const i = references.indexOf(c.name)
        const want = i < 0 ? `e.${q(c.name)}` : `t${i}.supplier_key`
        // a reference to a row the supplier's cross-reference does not give is that row's finding, not this one's
        const differs = i < 0
          ? `(e.${q(c.name)} IS DISTINCT FROM r.${q(c.name)})`
          : `(e.${q(c.name)} IS NOT NULL AND t${i}.supplier_key IS NOT NULL AND t${i}.supplier_key IS DISTINCT FROM r.${q(c.name)}) OR (e.${q(c.name)} IS NULL AND r.${q(c.name)} IS NOT NULL)`
        return `(${literal(c.name)}, CAST(${want} AS text), CAST(r.${q(c.name)} AS text), ${differs})`
      })
    const translations = (references: ReadonlyArray<string>) =>
      references.map((c, i) => `LEFT JOIN ${s("translation")} t${i} ON t${i}.expected_key = e.${q(c)}`).join(" ")
    for (const table of mainTables(pipeline)) {
      const entity = steps.find((st) => st.main.name === table.name)!.entity
      const pk = table.primaryKey[0]!
      const expected = d.dialect.qualify(Table.inSchema(table, options.targetSchema))
      const references = await referencesOf(table)
      const pairs = valuePairs(table.columns.filter((c) => c.name !== pk), references)
      if (pairs.length === 0) continue
      await d.query(
        `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, legacy_value, target_value, message) ` +
          `SELECT ${literal(checks.record(table.name))}, ${literal(entity)}, l.legacy_key, v.field, 'different', v.want, v.got, ` +
          `${literal(`${table.name}.`)} || v.field || ' differs from what the mapping gives for this legacy row' ` +
          `FROM ${expected} e JOIN ${s("legacy_row")} l ON l.target_key = CAST(e.${q(pk)} AS text) AND l.outcome = 'loaded' AND l.entity = ${literal(entity)} ` +
          `JOIN (SELECT entity, legacy_key, MIN(target_key) AS target_key FROM ${s("xref_ok")} WHERE is_main GROUP BY entity, legacy_key) x ` +
          `ON x.entity = l.entity AND x.legacy_key = l.legacy_key ` +
          `JOIN ${s(table.name)} r ON r.${q(pk)} = x.target_key ${translations(references)} ` +
          `CROSS JOIN LATERAL (VALUES ${pairs.join(", ")}) AS v(field, want, got, differs) WHERE v.differs`
      )
    }
    // an entity's other tables (a care package line's cost line): a row paired with the supplier's by the row of the
    // entity's main table it hangs off, where each side has one such row; the supplier's keys of these rows are in no
    // cross-reference, so theirs are not compared
    for (const step of steps) {
      for (const table of step.all.slice(1)) {
        if (table.primaryKey.length !== 1) continue
        const pk = table.primaryKey[0]!
        const [parent] = await referencesOf(table, step.entity)
        if (parent === undefined) continue
        const expected = d.dialect.qualify(Table.inSchema(table, options.targetSchema))
        const references = (await referencesOf(table)).filter((c) => c !== parent)
        const pairs = valuePairs(table.columns.filter((c) => c.name !== pk && c.name !== parent), references)
        await d.query(`CREATE INDEX ON ${s(table.name)} (${q(parent)})`)
        await analyse(table.name)
        const sides =
          `FROM (SELECT t.*, COUNT(*) OVER (PARTITION BY t.${q(parent)}) AS siblings FROM ${expected} t) e ` +
          `JOIN ${s("legacy_row")} l ON l.target_key = e.${q(parent)} AND l.outcome = 'loaded' AND l.entity = ${literal(step.entity)} ` +
          `JOIN ${s("translation")} tp ON tp.expected_key = e.${q(parent)} `
        // the expected rows with no row of the supplier's under the same parent
        await d.query(
          `INSERT INTO ${s("found")} (check_id, entity, legacy_key, kind, message) ` +
            `SELECT DISTINCT ${literal(checks.record(table.name))}, ${literal(step.entity)}, l.legacy_key, 'missing', ` +
            `${literal(`${table.name} has no row for this legacy row, which the mapping gives one`)} ${sides}` +
            `WHERE NOT EXISTS (SELECT 1 FROM ${s(table.name)} r WHERE r.${q(parent)} = tp.supplier_key)`
        )
        // the supplier's rows under no parent the mapping gives a row of this table
        await d.query(
          `INSERT INTO ${s("found")} (check_id, entity, target_key, kind, message) ` +
            `SELECT ${literal(checks.extra)}, ${literal(step.entity)}, r.${q(pk)}, 'extra', ${literal(`${table.name} holds a row no legacy row accounts for`)} ` +
            `FROM ${s(table.name)} r WHERE NOT EXISTS (SELECT 1 FROM ${s("translation")} tp JOIN ${expected} e ON e.${q(parent)} = tp.expected_key ` +
            `WHERE tp.supplier_key = r.${q(parent)})`
        )
        if (pairs.length === 0) continue
        await d.query(
          `INSERT INTO ${s("found")} (check_id, entity, legacy_key, field, kind, legacy_value, target_value, message) ` +
            `SELECT ${literal(checks.record(table.name))}, ${literal(step.entity)}, l.legacy_key, v.field, 'different', v.want, v.got, ` +
            `${literal(`${table.name}.`)} || v.field || ' differs from what the mapping gives for this legacy row' ${sides}` +
            `JOIN (SELECT t.*, COUNT(*) OVER (PARTITION BY t.${q(parent)}) AS siblings FROM ${s(table.name)} t) r ON r.${q(parent)} = tp.supplier_key ` +
            `${translations(references)} ` +
            `CROSS JOIN LATERAL (VALUES ${pairs.join(", ")}) AS v(field, want, got, differs) WHERE e.siblings = 1 AND r.siblings = 1 AND v.differs`
        )
      }
    }
    // the rows of every table, and the totals of its money columns, to the penny
    for (const { table, entity } of Pipeline.writtenTables(pipeline).filter((w) => w.table.primaryKey.length === 1)) {
      const name = table.name
      const expected = d.dialect.qualify(Table.inSchema(table, options.targetSchema))
      const money = table.columns.filter((c) => c.type._tag === "decimal" && c.type.scale === 2 && c.type.precision >= 13)
      const totals = (from: string) => `SELECT COUNT(*)${money.map((c) => `, COALESCE(SUM(${q(c.name)}), 0)`).join("")} FROM ${from}`
      const [want] = await d.queryText(totals(expected))
      const [got] = await d.queryText(totals(s(name)))
      if (want![0] !== got![0]) {
        await d.query(
          `INSERT INTO ${s("found")} (check_id, entity, field, kind, legacy_value, target_value, message) VALUES ($1, $2, $3, 'count', $4, $5, $6)`,
          [checks.counts, entity, name, want![0], got![0], `${name}: the mapping gives ${want![0]} rows, the supplier's load has ${got![0]}`]
        )
      }
      for (const [i, c] of money.entries()) {
        const [a, b] = [want![i + 1]!, got![i + 1]!]
        const [pa, pb] = [Money.fromPounds(a), Money.fromPounds(b)]
        if (pa === pb) continue
        const pounds = (pence: number) => `£${Money.toPounds(pence)}`
        await d.query(
          `INSERT INTO ${s("found")} (check_id, entity, field, kind, legacy_value, target_value, message) VALUES ($1, $2, $3, 'money', $4, $5, $6)`,
          [checks.money, entity, `${name}.${c.name}`, a, b, `the total of ${name}.${c.name}: ${pounds(pa)} as the mapping gives it, ${pounds(pb)} in the supplier's load, ${pounds(pb - pa)} apart`]
        )
      }
    }
  })

/** The schema of the delivery under the mapping's keys, where the pipeline's rules are run over it. */
export const mappedSchemaOf = (schema: string) => `${schema}_as_mapped`

/**
 * The delivery under the mapping's keys: every key and reference the supplier's cross-reference lets be translated
 * back to the key the mapping gives the same legacy row (an entity's other tables' rows by the row they hang off), the
 * rest as the supplier wrote them; the pipeline's reference data as the mapping loads it. So a rule's finding on the
 * supplier's load names the same rows, under the same keys, as the same finding on the mapping's.
 */
const mapDelivery = (
  pipeline: Pipeline.Pipeline,
  control: Database.Database,
  runId: string,
  options: { readonly schema: string; readonly targetSchema: string; readonly controlSchema: string }
) =>
  control.use("put the delivery under the mapping's keys", async (d) => {
    const q = d.dialect.quoteIdentifier
    const s = (name: string) => `${q(options.schema)}.${q(name)}`
    const mapped = mappedSchemaOf(options.schema)
    const m = (name: string) => `${q(mapped)}.${q(name)}`
    for (const statement of d.dialect.dropSchema(mapped)) await d.query(statement)
    await d.query(d.dialect.createSchema(mapped))
    await d.query(`CREATE TABLE ${s("untranslation")} AS SELECT supplier_key, MIN(expected_key) AS expected_key FROM ${s("translation")} GROUP BY supplier_key`)
    const expectedOf = (t: Table.Table) => d.dialect.qualify(Table.inSchema(t, options.targetSchema))
    // the keys of an entity's other tables' rows, by the row they hang off, where each side has one
    for (const step of pipeline.steps) {
      for (const table of step.targets.slice(1)) {
        if (table.primaryKey.length !== 1) continue
        const [parent] = await referencesIn(d, table, options, step.entity)
        if (parent === undefined) continue
        const pk = q(table.primaryKey[0]!)
        await d.query(
          `INSERT INTO ${s("untranslation")} (supplier_key, expected_key) SELECT r.${pk}, e.${pk} ` +
            `FROM (SELECT t.*, COUNT(*) OVER (PARTITION BY t.${q(parent)}) AS siblings FROM ${expectedOf(table)} t) e ` +
            `JOIN ${s("translation")} tp ON tp.expected_key = e.${q(parent)} ` +
            `JOIN (SELECT t.*, COUNT(*) OVER (PARTITION BY t.${q(parent)}) AS siblings FROM ${s(table.name)} t) r ON r.${q(parent)} = tp.supplier_key ` +
            `WHERE e.siblings = 1 AND r.siblings = 1`
        )
      }
    }
    await d.query(`CREATE INDEX ON ${s("untranslation")} (supplier_key)`)
    await d.query(`ANALYZE ${s("untranslation")}`)
    const copied = new Set<string>()
    for (const { table } of Pipeline.writtenTables(pipeline)) {
      if (table.primaryKey.length !== 1) continue
      copied.add(table.name)
      const keys = [table.primaryKey[0]!, ...(await referencesIn(d, table, options))]
      const copy = copyOf(table, mapped)
      await d.query(d.dialect.createTable(copy))
      const values = table.columns.map((c) => {
        const i = keys.indexOf(c.name)
        return i < 0 ? `r.${q(c.name)}` : `COALESCE(u${i}.expected_key, r.${q(c.name)})`
      })
      await d.query(
        `INSERT INTO ${m(table.name)} (${table.columns.map((c) => q(c.name)).join(", ")}) SELECT ${values.join(", ")} FROM ${s(table.name)} r ` +
          keys.map((c, i) => `LEFT JOIN ${s("untranslation")} u${i} ON u${i}.supplier_key = r.${q(c)}`).join(" ")
      )
      await d.query(`CREATE INDEX ON ${m(table.name)} (${q(table.primaryKey[0]!)})`)
      await d.query(`ANALYZE ${m(table.name)}`)
    }
    // the reference data, as the mapping loads it
    for (const table of pipeline.targetTables) {
      if (copied.has(table.name)) continue
      await d.query(d.dialect.createTable(Table.inSchema(table, mapped)))
      await d.query(`INSERT INTO ${m(table.name)} SELECT * FROM ${expectedOf(table)}`)
    }
  })

interface Sides {
  readonly schema: string
  readonly targetSchema: string
  readonly legacySchema: string | undefined
  readonly controlSchema: string
  readonly parameters: Readonly<Record<string, string>>
}

/** What a pipeline's check or figure works with, over one of the two loads in the control database. */
const contextOf = (legacy: Database.Database, target: Driver.Driver, runId: string, sides: Sides, targetSchema: string): Reconcile.CheckContext => ({
  runId,
  legacy: legacy.driver,
  target,
  legacySchema: sides.legacySchema,
  targetSchema,
  controlSchema: sides.controlSchema,
  parameters: sides.parameters
})

/**
 * The pipeline's rules over the supplier's load and over the mapping's: the supplier's findings the mapping's do not
 * have (by fingerprint: the same rule on the same rows, under the same keys), each under its rule's verification check.
 */
const rulesOverDelivery = (
  rules: ReadonlyArray<Reconcile.Check>,
  legacy: Database.Database,
  control: Database.Database,
  runId: string,
  options: Sides,
  emit: Finding.Emit
) =>
  Effect.forEach(rules, (check) =>
    control.use(`rule ${check.id} over the delivery`, async (d) => {
      const context = (targetSchema: string) => contextOf(legacy, d, runId, options, targetSchema)
      const mappings = new Set<string>()
      for await (const page of check.run(context(options.targetSchema))) for (const f of page) mappings.add(Finding.fingerprint(f))
      for await (const page of check.run(context(mappedSchemaOf(options.schema)))) {
        const own = page.filter((f) => !mappings.has(Finding.fingerprint(f))).map((f) => ({ ...f, check: checks.rule(f.check) }))
        if (own.length > 0) await emit(own)
      }
    }), { discard: true })

/** The findings written to `found`, a page at a time, in the order they were found. */
const foundPages = (control: Database.Database, schema: string, emit: Finding.Emit) =>
  control.use("read what the comparison found", async (d) => {
    const q = d.dialect.quoteIdentifier
    for await (
      const page of Driver.keysetPages(d, {
        key: ["n"],
        columns: ["check_id", "entity", "legacy_key", "target_key", "field", "kind", "legacy_value", "target_value", "message"],
        from: `${q(schema)}.${q("found")}`,
        pageSize: 5_000
      })
    ) {
      await emit(page.map((r) =>
        Finding.make({
          check: String(r[1]),
          entity: String(r[2]),
          legacyKey: r[3] ?? null,
          targetKey: r[4] ?? null,
          field: r[5] ?? null,
          kind: String(r[6]) as Finding.Kind,
          severity: "error",
          legacyValue: r[7] ?? null,
          targetValue: r[8] ?? null,
          message: String(r[9])
        })
      ))
    }
  })

export interface Result extends FindingsLedger.Recorded {
  readonly mapped: Rehearsal.Result
  readonly checks: ReadonlyArray<{ readonly check: string; readonly findings: number }>
}

/**
 * Verifies a delivery: the council's mapping run into the control database (the target database of the context),
 * the delivery copied beside it, the two compared, the findings recorded in the control database's ledger.
 */
export const run = (pipeline: Pipeline.Pipeline, delivery: Delivery, options: Options) =>
  Effect.gen(function*() {
    const control = yield* Databases.TargetDatabase
    if (control.dialect.name === "mssql") return yield* new VerifyError({ message: "the control database of a verification is PostgreSQL or PGlite" })
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const schema = options.deliverySchema ?? defaultDeliverySchema
    const batchSize = options.batchSize ?? 5_000
    const xrefColumns = yield* checkXref(delivery)
    const stage = Reconcile.staged(options.onStage)
    const mapped = yield* stage("the mapping", Rehearsal.run(pipeline, {
      rehearsal: options.rehearsal,
      legacySchema: options.legacySchema,
      targetSchema: options.targetSchema,
      controlSchema,
      parameters: options.parameters ?? {},
      batchSize
    }))
    yield* stage("the copy of the delivery", copyDelivery(pipeline, delivery, xrefColumns, control, schema, batchSize))
    yield* stage("the comparison", compare(pipeline, control, mapped.runId, { schema, controlSchema, targetSchema: options.targetSchema }))
    yield* FindingsLedger.clearStaging(control, controlSchema)
    const staging = FindingsLedger.staging(control.driver, controlSchema, mapped.runId)
    yield* foundPages(control, schema, staging.emit)
    const rules = options.checks ?? []
    const figures = options.figures ?? []
    if (rules.length + figures.length > 0) {
      const legacy = yield* Databases.LegacyDatabase
      yield* stage("the delivery under the mapping's keys", mapDelivery(pipeline, control, mapped.runId, { schema, controlSchema, targetSchema: options.targetSchema }))
      const sides = { schema, controlSchema, targetSchema: options.targetSchema, legacySchema: options.legacySchema, parameters: options.parameters ?? {} }
      yield* stage("the rules", rulesOverDelivery(rules, legacy, control, mapped.runId, sides, staging.emit))
      yield* stage("the figures", Effect.forEach(figures, (figure) =>
        control.use(`figure ${figure.id} over the delivery`, (d) => Figure.reconcile(contextOf(legacy, d, mapped.runId, sides, mappedSchemaOf(schema)), { ...figure, id: checks.figure(figure.id) }, staging.emit)), {
        discard: true
      }))
    }
    yield* control.use("record findings", () => staging.flush())
    const recorded = yield* stage("the ledger", FindingsLedger.record(control, controlSchema, {
      runId: mapped.runId,
      rehearsal: options.rehearsal,
      pipeline: pipeline.name,
      today: options.today ?? new Date().toISOString().slice(0, 10)
    }))
    const counted = yield* FindingsLedger.checkCounts(control, controlSchema, mapped.runId)
    return { ...recorded, mapped, checks: counted.map((c) => ({ check: c.check, findings: c.findings })) } satisfies Result
  })
