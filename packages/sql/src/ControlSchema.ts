/**
 * The control schema: runs, entity steps (counts and checkpoints), the xref of legacy keys to target keys,
 * quarantine and exclusions. Created and upgraded by migrations, in the target database, so that a batch and its
 * checkpoint commit in one transaction and rehearsal N+1 finds rehearsal N.
 */
import * as Effect from "effect/Effect"
import { sql } from "kysely"
import { Migrator, type Migration } from "kysely/migration"
import { DatabaseError, type Database } from "./Database.ts"
import * as Names from "./Names.ts"
import type { SqlDialect } from "./SqlDialect.ts"
import * as Table from "./Table.ts"

export const defaultSchema = "handover"

const key = Table.text(200)

/** The control tables, in the given schema. */
export const tables = (schema: string) => {
  const run = Table.make({
    schema,
    name: "run",
    columns: {
      run_id: Table.text(40),
      rehearsal: Table.text(200),
      pipeline: Table.text(100),
      config_hash: Table.text(64),
      code_version: Table.text(100),
      started_at: Table.timestamp,
      ended_at: Table.nullable(Table.timestamp),
      status: Table.text(20),
      message: Table.nullable(Table.text()),
      /** The run whose load replaced this run's rows in the target. */
      replaced_by: Table.nullable(Table.text(40))
    },
    primaryKey: ["run_id"]
  })
  const entityStep = Table.make({
    schema,
    name: "entity_step",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      position: Table.int,
      status: Table.text(20),
      last_key: Table.nullable(Table.text()),
      batches: Table.int,
      rows_read: Table.bigint,
      rows_loaded: Table.bigint,
      rows_merged: Table.bigint,
      rows_quarantined: Table.bigint,
      rows_excluded: Table.bigint,
      started_at: Table.timestamp,
      ended_at: Table.nullable(Table.timestamp)
    },
    primaryKey: ["run_id", "entity"]
  })
  const xref = Table.make({
    schema,
    name: "xref",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      target_table: Table.text(200),
      target_key: key,
      outcome: Table.text(10),
      rule_id: Table.nullable(Table.text(40)),
      /** The key duplicates of this row are matched on (a valid NHS number, say). */
      match_key: Table.nullable(key)
    },
    primaryKey: ["run_id", "entity", "legacy_key"]
  })
  const quarantine = Table.make({
    schema,
    name: "quarantine",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      stage: Table.text(20),
      field_path: Table.text(),
      reason: Table.text(),
      rule_id: Table.nullable(Table.text(40)),
      raw_row: Table.text()
    },
    primaryKey: ["run_id", "entity", "legacy_key"]
  })
  const exclusion = Table.make({
    schema,
    name: "exclusion",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      rule_id: Table.text(40),
      reason: Table.text()
    },
    primaryKey: ["run_id", "entity", "legacy_key"]
  })
  /** Notes on rows that were migrated all the same: fixes made by rules, and things for a data owner to look at. */
  const flag = Table.make({
    schema,
    name: "flag",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      seq: Table.int,
      rule_id: Table.text(40),
      field_path: Table.text(200),
      severity: Table.text(10),
      message: Table.text()
    },
    primaryKey: ["run_id", "entity", "legacy_key", "seq"]
  })
  /** Each row carrying a code value no code map knows, and whether the row was flagged or quarantined for it. */
  const codeIssue = Table.make({
    schema,
    name: "code_issue",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      code_system: Table.text(60),
      legacy_value: Table.text(200),
      outcome: Table.text(12)
    },
    primaryKey: ["run_id", "entity", "legacy_key", "code_system"]
  })
  /** The report of unmapped code values: one row per code system and value, with the number of rows carrying it. */
  const unmappedCode = Table.make({
    schema,
    name: "unmapped_code",
    columns: {
      run_id: Table.text(40),
      code_system: Table.text(60),
      legacy_value: Table.text(200),
      entities: Table.text(400),
      rows_flagged: Table.bigint,
      rows_quarantined: Table.bigint
    },
    primaryKey: ["run_id", "code_system", "legacy_value"]
  })
  /** Pairs of rows that may be the same person (or record), for a person to decide: never merged automatically. */
  const reviewItem = Table.make({
    schema,
    name: "review_item",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      candidate_legacy_key: key,
      rule_id: Table.text(40),
      reason: Table.text()
    },
    primaryKey: ["run_id", "entity", "legacy_key", "candidate_legacy_key"]
  })
  /** One reconciliation of a run: when, and how many findings by status. */
  const reconciliation = Table.make({
    schema,
    name: "reconciliation",
    columns: {
      run_id: Table.text(40),
      rehearsal: Table.text(200),
      pipeline: Table.text(100),
      reconciled_at: Table.timestamp,
      previous_run_id: Table.nullable(Table.text(40)),
      findings: Table.bigint,
      summary: Table.text()
    },
    primaryKey: ["run_id"]
  })
  /** Every finding of a reconciled run, with where it stands against the previous run of the series. */
  const finding = Table.make({
    schema,
    name: "finding",
    columns: {
      run_id: Table.text(40),
      fingerprint: Table.text(32),
      check_id: Table.text(100),
      entity: Table.text(100),
      legacy_key: Table.nullable(key),
      target_key: Table.nullable(key),
      field: Table.nullable(Table.text(200)),
      kind: Table.text(20),
      severity: Table.text(10),
      legacy_value: Table.nullable(Table.text()),
      target_value: Table.nullable(Table.text()),
      rule_id: Table.nullable(Table.text(40)),
      explanation: Table.nullable(Table.text(200)),
      message: Table.text(),
      status: Table.text(12)
    },
    primaryKey: ["run_id", "fingerprint"]
  })
  /** Decisions on findings, carried from rehearsal to rehearsal by fingerprint. */
  const triage = Table.make({
    schema,
    name: "triage",
    columns: {
      fingerprint: Table.text(32),
      decision: Table.text(20),
      reason: Table.text(),
      decided_by: Table.text(100),
      decided_at: Table.timestamp,
      expires_on: Table.nullable(Table.date)
    },
    primaryKey: ["fingerprint"]
  })
  /** Each workbook of decisions imported: who imported it, when, from which file, for which run. */
  const decisionImport = Table.make({
    schema,
    name: "decision_import",
    columns: {
      import_id: Table.text(40),
      imported_at: Table.timestamp,
      imported_by: Table.text(100),
      file: Table.text(400),
      rehearsal: Table.text(200),
      run_id: Table.text(40),
      decisions: Table.bigint
    },
    primaryKey: ["import_id"]
  })
  /** Where the decision in force on an item came from: the import, the sheet and the row. */
  const triageSource = Table.make({
    schema,
    name: "triage_source",
    columns: {
      fingerprint: Table.text(32),
      import_id: Table.text(40),
      sheet: Table.text(100),
      row_number: Table.int
    },
    primaryKey: ["fingerprint"]
  })
  /** The council's own code maps: a legacy value a data owner decided the target value of, in a workbook. */
  const councilCodeMap = Table.make({
    schema,
    name: "council_code_map",
    columns: {
      code_system: Table.text(60),
      legacy_value: Table.text(200),
      target_value: Table.text(200),
      fingerprint: Table.text(32),
      decided_by: Table.text(100),
      decided_at: Table.timestamp,
      import_id: Table.text(40)
    },
    primaryKey: ["code_system", "legacy_value"]
  })
  /**
   * The decisions on legacy rows a run is made with, taken from the decisions in force when it started, so that the
   * run and every check of it act on the same ones: the rows decided not to be migrated, and those decided the same
   * person as another row.
   */
  const runDecision = Table.make({
    schema,
    name: "run_decision",
    columns: {
      run_id: Table.text(40),
      entity: Table.text(100),
      legacy_key: key,
      decision: Table.text(20),
      fingerprint: Table.text(32),
      /** For a row decided the same person as another: the other row, which it is merged into. */
      other_legacy_key: Table.nullable(key)
    },
    primaryKey: ["run_id", "entity", "legacy_key"]
  })
  /** The council's code maps a run is made with, taken from `council_code_map` when it started. */
  const runCodeMap = Table.make({
    schema,
    name: "run_code_map",
    columns: {
      run_id: Table.text(40),
      code_system: Table.text(60),
      legacy_value: Table.text(200),
      target_value: Table.text(200)
    },
    primaryKey: ["run_id", "code_system", "legacy_value"]
  })
  /** The headline figures of a reconciled run, each line reconciled: source − excluded + explained = expected, against the target. */
  const figure = Table.make({
    schema,
    name: "figure",
    columns: {
      run_id: Table.text(40),
      figure_id: Table.text(60),
      dimension: Table.text(60),
      dimension_value: Table.text(160),
      measure: Table.text(60),
      unit: Table.text(12),
      source_value: Table.bigint,
      excluded_value: Table.bigint,
      explained_value: Table.bigint,
      expected_value: Table.bigint,
      target_value: Table.bigint,
      variance: Table.bigint,
      rows_behind: Table.nullable(Table.text())
    },
    primaryKey: ["run_id", "figure_id", "dimension", "dimension_value", "measure"]
  })
  /**
   * A reconciliation's findings as its checks find them, written in batches while it runs; the statuses are worked out
   * from here, in SQL, by the transaction that records the reconciliation, which empties it. What a killed
   * reconciliation left is cleared when the next one of the run starts (one command holds the target at a time).
   */
  const specOf = (column: Table.Column): Table.ColumnSpec => (column.nullable ? Table.nullable(column.type) : column.type)
  const findingStaged = Table.make({
    schema,
    name: "finding_staged",
    columns: {
      run_id: Table.text(40),
      /** The order found in: of several findings with one fingerprint, the first is kept. */
      seq: Table.bigint,
      ...Object.fromEntries(finding.columns.filter((c) => c.name !== "run_id" && c.name !== "status").map((c) => [c.name, specOf(c)]))
    },
    primaryKey: ["run_id", "seq"]
  })
  /** The target keys the record check's mapping gives, per table, compared with the target's keys in SQL. */
  const expectedKey = Table.make({
    schema,
    name: "expected_key",
    columns: {
      run_id: Table.text(40),
      table_name: Table.text(100),
      target_key: key,
      legacy_key: key
    },
    // no key: two legacy rows the mapping gives one target key for are both recorded
    primaryKey: []
  })
  /**
   * One row's part in a headline figure, from either side, while the figure is reconciled: where it falls on each
   * dimension (up to four) and its value for each measure (up to four; an amount, or the key a distinct measure counts).
   */
  const figurePart = Table.make({
    schema,
    name: "figure_part",
    columns: {
      run_id: Table.text(40),
      figure_id: Table.text(60),
      /** legacy or target */
      side: Table.text(6),
      part_key: key,
      dimension_1: Table.nullable(Table.text(160)),
      dimension_2: Table.nullable(Table.text(160)),
      dimension_3: Table.nullable(Table.text(160)),
      dimension_4: Table.nullable(Table.text(160)),
      amount_1: Table.nullable(Table.bigint),
      amount_2: Table.nullable(Table.bigint),
      amount_3: Table.nullable(Table.bigint),
      amount_4: Table.nullable(Table.bigint),
      counted_1: Table.nullable(key),
      counted_2: Table.nullable(key),
      counted_3: Table.nullable(key),
      counted_4: Table.nullable(key)
    },
    // no key: parts come in the order of their rows, not of their keys, and keeping a key's index in step cost about
    // three times the writing of the rows; a figure checks its own keys once they are all written
    primaryKey: []
  })
  /** A reconciliation's figure lines as worked out, moved into `figure` by the transaction that records it. */
  const figureStaged = Table.make({ schema, name: "figure_staged", columns: Object.fromEntries(figure.columns.map((c) => [c.name, specOf(c)])), primaryKey: figure.primaryKey })
  return {
    run,
    entityStep,
    xref,
    quarantine,
    exclusion,
    flag,
    codeIssue,
    unmappedCode,
    reviewItem,
    reconciliation,
    finding,
    triage,
    decisionImport,
    triageSource,
    councilCodeMap,
    runDecision,
    runCodeMap,
    figure,
    findingStaged,
    expectedKey,
    figurePart,
    figureStaged
  }
}

export type ControlTables = ReturnType<typeof tables>

/** The migrations of the control schema, oldest first. Never edit one that has shipped: add the next. */
export const migrations = (schema: string, dialect: SqlDialect): Record<string, Migration> => {
  const t = tables(schema)
  return {
    "0001_control_tables": {
      up: async (db) => {
        for (const table of [t.run, t.entityStep, t.xref, t.quarantine, t.exclusion, t.flag, t.codeIssue, t.unmappedCode, t.reviewItem]) {
          await sql.raw(dialect.createTable(table)).execute(db)
        }
      }
    },
    "0002_findings_ledger": {
      up: async (db) => {
        for (const table of [t.reconciliation, t.finding, t.triage]) await sql.raw(dialect.createTable(table)).execute(db)
      }
    },
    "0003_headline_figures": {
      up: async (db) => {
        await sql.raw(dialect.createTable(t.figure)).execute(db)
      }
    },
    // lookups of the xref by target key (merged rows and their survivor, target rows back to their legacy row) would
    // otherwise scan the whole xref once per probe
    "0004_xref_by_target_key": {
      up: async (db) => {
        const columns = ["run_id", "entity", "target_key"].map((c) => dialect.quoteIdentifier(c)).join(", ")
        await sql.raw(`CREATE INDEX xref_by_target_key ON ${dialect.qualify(t.xref)} (${columns})`).execute(db)
      }
    },
    // the lookup of earlier rows with the same match key (an NHS number), batch by batch; only rows that have one.
    // The index by target key goes: kept up to date on every row written it more than doubled the cost of a load,
    // and every lookup by target key is served by the target table's own key instead.
    "0005_xref_by_match_key": {
      up: async (db) => {
        await sql.raw(dialect.name === "mssql"
          ? `DROP INDEX xref_by_target_key ON ${dialect.qualify(t.xref)}`
          : `DROP INDEX ${t.xref.schema === undefined ? "" : `${dialect.quoteIdentifier(t.xref.schema)}.`}xref_by_target_key`).execute(db)
        const columns = ["run_id", "entity", "match_key"].map((c) => dialect.quoteIdentifier(c)).join(", ")
        const match = dialect.quoteIdentifier("match_key")
        await sql.raw(`CREATE INDEX xref_by_match_key ON ${dialect.qualify(t.xref)} (${columns}) WHERE ${match} IS NOT NULL`).execute(db)
      }
    },
    // a reconciliation streams: its findings, the keys its record check expects and the parts of its figures are
    // written in batches and compared, grouped and summed in the database
    "0006_reconciliation_staging": {
      up: async (db) => {
        for (const table of [t.findingStaged, t.expectedKey, t.figurePart, t.figureStaged]) await sql.raw(dialect.createTable(table)).execute(db)
        const index = (name: string, table: Table.Table, columns: ReadonlyArray<string>) =>
          sql.raw(`CREATE INDEX ${name} ON ${dialect.qualify(table)} (${columns.map((c) => dialect.quoteIdentifier(c)).join(", ")})`).execute(db)
        await index("finding_staged_by_fingerprint", t.findingStaged, ["run_id", "fingerprint", "seq"])
        await index("expected_key_by_key", t.expectedKey, ["run_id", "table_name", "target_key"])
        // the reports read a run's findings in pages in this order
        await index("finding_by_check", t.finding, ["run_id", "check_id", "entity", "fingerprint"])
      }
    },
    // a figure's parts are written without a key (a figure checks its own keys once written): the staging table holds
    // nothing between reconciliations, so it is made again
    "0007_figure_part_unkeyed": {
      up: async (db) => {
        await sql.raw(dialect.dropTable(t.figurePart)).execute(db)
        await sql.raw(dialect.createTable(t.figurePart)).execute(db)
      }
    },
    // decisions imported from the workbooks data owners edit, where each came from, and the council's code maps
    "0008_decision_imports": {
      up: async (db) => {
        for (const table of [t.decisionImport, t.triageSource, t.councilCodeMap]) await sql.raw(dialect.createTable(table)).execute(db)
      }
    },
    "0009_run_decisions": {
      up: async (db) => {
        for (const table of [t.runDecision, t.runCodeMap]) await sql.raw(dialect.createTable(table)).execute(db)
      }
    }
  }
}

/** Brings the control schema up to date. */
export const migrate = (database: Database, schema: string = defaultSchema) =>
  Effect.gen(function*() {
    // the control schema is created here: a plain identifier, never a name that reads as more SQL
    yield* Names.created("control schema", schema)
    yield* database.use("create control schema", (d) => d.query(d.dialect.createSchema(schema)))
    const result = yield* database.use("migrate control schema", (d) =>
      new Migrator({
        db: d.kysely,
        provider: { getMigrations: async () => migrations(schema, d.dialect) },
        migrationTableSchema: schema
      }).migrateToLatest())
    if (result.error !== undefined) {
      return yield* new DatabaseError({
        operation: "migrate control schema",
        database: database.display,
        message: `control schema migration failed on ${database.display}: ${String(result.error)}`,
        cause: result.error
      })
    }
    return result.results ?? []
  })
