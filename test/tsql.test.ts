/**
 * Every kind of statement Handover sends SQL Server, parsed by an independent T-SQL parser (datafusion-sqlparser-rs,
 * as `@guanmingchiu/sqlparser-ts`), so that a syntax error cannot ship unseen where no server can run: the DDL of the
 * control schema and of every table, its migrations, keyset reads, the catalogue, the command's hold, the canonical
 * hash and the table diff, the findings ledger and the record check, and the headline figures' target sides.
 *
 * What the parser cannot take is listed below with why, and each is checked to be refused still, so the list stays
 * true: a statement on it that the parser comes to take is a failure until it is struck off.
 */
import { assert, describe, it } from "@effect/vitest"
import { init, parse } from "@guanmingchiu/sqlparser-ts"
import { Figure, FindingsLedger, RecordCheck, type Reconcile, TableDiffSql } from "@handover/reconcile"
import { Ledger, Rehearsal } from "@handover/core"
import { ControlSchema, Database, type Driver, Names, type SqlDialect, Table } from "@handover/sql"
import * as MssqlHold from "@handover/sql/mssql/MssqlHold"
import * as MssqlSql from "@handover/sql/mssql/MssqlSql"
import { BusinessChecks, HeadlineFigures, SwiftPipeline } from "@handover/swift-to-ias"
import * as Effect from "effect/Effect"
import { DummyDriver, Kysely, MssqlAdapter, MssqlIntrospector, MssqlQueryCompiler } from "kysely"

const tsql = MssqlSql.dialect

/** Statements the parser cannot take, by a pattern of their text, and why: each is valid T-SQL by Microsoft's reference. */
const beyondTheParser: ReadonlyArray<{ readonly pattern: RegExp; readonly why: string }> = [
  { pattern: /^UPDATE STATISTICS /, why: "the parser has no UPDATE STATISTICS" },
  {
    pattern: /^ALTER TABLE \S+ ALTER COLUMN \S+ \w+ NOT NULL$/,
    why: "the parser knows PostgreSQL's ALTER COLUMN ... SET DATA TYPE, not T-SQL's ALTER COLUMN name type"
  },
  { pattern: /SELECT @\w+ \+= /, why: "the parser has no compound assignment to a variable in a SELECT list (SELECT @v += ...)" },
  { pattern: /EXEC @\w+ = /, why: "the parser has no return status of EXEC (EXEC @status = procedure ...)" }
]

/** The statements of a list that do not parse as T-SQL, with the parser's word, less those listed as beyond it. */
const unparsed = (statements: ReadonlyArray<string>) => {
  const wrong: Array<string> = []
  for (const sql of statements) {
    const beyond = beyondTheParser.find((b) => b.pattern.test(sql))
    let error: unknown
    try {
      parse(sql, "mssql")
    } catch (e) {
      error = e
    }
    if (beyond !== undefined && error === undefined) wrong.push(`now parsed, strike it off the list (${beyond.why}): ${sql}`)
    if (beyond === undefined && error !== undefined) wrong.push(`${String(error)}\n  in: ${sql}`)
  }
  return wrong
}

/** A table with a column of every type and a key of two, in a schema and under a name that need brackets. */
const everyType = Table.make({
  schema: "legacy ]src",
  name: "all types",
  columns: {
    id: Table.int,
    code: Table.text(20),
    amount: Table.nullable(Table.decimal(12, 2)),
    born: Table.nullable(Table.date),
    seen: Table.nullable(Table.timestamp),
    active: Table.nullable(Table.boolean),
    big: Table.nullable(Table.bigint),
    note: Table.nullable(Table.text())
  },
  primaryKey: ["id", "code"]
})

/** Kysely compiling for SQL Server and running nothing: each statement, with its parameters, told to `sent`. */
const compilingKysely = (sent: (statement: { readonly sql: string; readonly parameters: ReadonlyArray<unknown> }) => void) =>
  new Kysely<any>({
    dialect: {
      createAdapter: () => new MssqlAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new MssqlIntrospector(k),
      createQueryCompiler: () => new MssqlQueryCompiler()
    },
    log: (event) => sent({ sql: event.query.sql, parameters: event.query.parameters })
  })

/** The SQL of the control schema's migrations, as Kysely compiles it for SQL Server with nothing run. */
const migrationSql = async (schema: string): Promise<ReadonlyArray<string>> => {
  const statements: Array<string> = []
  const db = compilingKysely((s) => void statements.push(s.sql))
  for (const migration of Object.values(ControlSchema.migrations(schema, tsql))) await migration.up(db)
  await db.destroy()
  return statements
}

describe("the T-SQL Handover writes parses as T-SQL", () => {
  it("DDL, migrations, keyset reads, the catalogue and the hold", async () => {
    await init()
    const control = ControlSchema.tables("handover")
    const catalogue = Names.catalogue("mssql")
    const statements = [
      tsql.createSchema("legacy ]src"),
      tsql.createTable(everyType),
      ...Object.values(control).map((t) => tsql.createTable(t)),
      // every table of the SWIFT migration's target and reference data: each key one SQL Server can index
      ...Rehearsal.targetTables(SwiftPipeline.pipeline, "ias").map((t) => tsql.createTable(t)),
      ...tsql.clearTables([everyType, control.xref]),
      ...tsql.analyze(everyType),
      ...tsql.materialise({ schema: "handover", name: "sorted_1" }, `SELECT ROW_NUMBER() OVER (ORDER BY [id]) AS [n], [id] FROM ${tsql.qualify(everyType)}`),
      tsql.dropTable(everyType),
      ...tsql.dropSchema("legacy ]src"),
      ...(await migrationSql("handover")),
      tsql.keysetPage({ table: everyType, columns: ["id", "code", "note"], key: ["id", "code"], after: undefined, limit: 100 }),
      tsql.keysetPage({
        table: everyType,
        columns: ["id", "code", "note"],
        key: ["id", "code"],
        after: ["7", "co-op"],
        limit: 100,
        databaseTypes: { id: "int", code: "varchar", note: "money" }
      }).sql,
      `SELECT [id] FROM ${tsql.qualify(everyType)} WHERE ${tsql.oneOf("[code]", ["a", "b"], 1).sql}`,
      catalogue.schemaExists("legacy").sql,
      catalogue.tablesIn("legacy", ["a", "b"]).sql,
      catalogue.tablesIn(undefined, ["a"]).sql,
      catalogue.primaryKey("legacy", "client").sql,
      catalogue.columns("legacy", "client").sql,
      catalogue.keyProblems(everyType, ["id", "code"]),
      MssqlHold.takeSql,
      MssqlHold.modeSql,
      MssqlHold.holderSql,
      MssqlHold.releaseSql
    ].map((s) => (typeof s === "string" ? s : s.sql))
    assert.deepStrictEqual(unparsed(statements), [])
  })

  it("the table diff's statements, over a key of every type", async () => {
    await init()
    const statements: Array<string> = []
    for (const where of [undefined, "[active] = 1"]) {
      const t = TableDiffSql.target(everyType, tsql, new Set(), where)
      const key = ["5", "ab"]
      statements.push(
        TableDiffSql.countRows(t),
        TableDiffSql.quantileKeys(t, 1_000),
        TableDiffSql.segmentChecksums(t, [key, ["9", "zz"]]),
        TableDiffSql.segmentChecksums(t, [key], [0]),
        TableDiffSql.pairsPage(t, { from: key, to: ["9", "zz"] }, undefined, 5_000),
        TableDiffSql.pairsPage(t, { from: undefined, to: undefined }, key, 5_000),
        TableDiffSql.rowsByKey(t, [key, ["6", "c'd"]])
      )
    }
    assert.deepStrictEqual(unparsed(statements), [])
  })

  it("the findings ledger, the record check and the headline figures' target sides", async () => {
    await init()
    const run = { runId: "run-2", rehearsal: "weekly", pipeline: "swift-to-ias", today: "2026-01-15" }
    const compare = FindingsLedger.comparisonStatements(tsql, "handover", "run-1", "run-2", 20)
    const person = Table.make({ schema: "ias", name: "person", columns: { person_id: Table.text(40), name: Table.text(20) }, primaryKey: ["person_id"] })
    const extra = RecordCheck.extraKeysQuery(tsql, person, "handover", "run-2", true)
    const ledger: ReadonlyArray<SqlDialect.Statement> = [
      FindingsLedger.previousRunStatement(tsql, "handover", run),
      ...FindingsLedger.recordStatements(tsql, "handover", run, "run-1"),
      ...FindingsLedger.recordStatements(tsql, "handover", run, null),
      FindingsLedger.statusCountStatement(tsql, "handover", run.runId),
      ...FindingsLedger.clearStagingStatements(tsql, "handover"),
      compare.counts,
      compare.reversedCount,
      compare.someGone,
      compare.someAppeared,
      { sql: `SELECT ${extra.key.join(", ")} FROM ${extra.from} WHERE ${extra.where}`, params: [] }
    ]
    const context = {
      legacy: { dialect: tsql },
      target: { dialect: tsql },
      runId: "run-1",
      controlSchema: "handover",
      targetSchema: "ias",
      legacySchema: undefined,
      parameters: { cutoverDate: "2026-03-31" }
    } as unknown as Figure.Context
    const figures = HeadlineFigures.all.flatMap((figure) => {
      const target = figure.target
      return typeof target === "function" ? [] : [Figure.targetPartsStatement(tsql, "handover", figure, target.query(context), "run-1").sql]
    })
    assert.isAbove(figures.length, 0)
    assert.deepStrictEqual(unparsed([...ledger.map((s) => s.sql), ...figures]), [])
  })

  it("the business checks, each run over an empty target", async () => {
    await init()
    const statements: Array<string> = []
    const record = async (sql: string) => (statements.push(sql), [])
    const driver = { dialect: tsql, queryText: record, query: record } as unknown as Driver.Driver
    const context: Reconcile.CheckContext = {
      runId: "run-1",
      legacy: driver,
      target: driver,
      legacySchema: "swift",
      targetSchema: "ias",
      controlSchema: "handover",
      parameters: { cutoverDate: "2026-03-31" }
    }
    for (const check of BusinessChecks.checks({ pageSize: 250 })) {
      for await (const _ of check.run(context)) assert.fail(`${check.id} found something in an empty target`)
    }
    assert.isAbove(statements.length, 0)
    assert.deepStrictEqual(unparsed(statements), [])
  })

  it("the run ledger's statements, which never hand SQL Server a Date (it would bind it as a datetime, to about 3 ms)", async () => {
    await init()
    const sent: Array<{ readonly sql: string; readonly parameters: ReadonlyArray<unknown> }> = []
    const kysely = compilingKysely((statement) => void sent.push(statement))
    const record = async (sql: string, parameters: ReadonlyArray<unknown> = []) => (sent.push({ sql, parameters }), [])
    const connection: Driver.Connection = { query: record, writeRows: async () => {} }
    const driver = {
      dialect: tsql,
      kysely,
      query: record,
      queryText: record,
      writeRows: connection.writeRows,
      transaction: (f: (c: Driver.Connection) => Promise<unknown>) => f(connection),
      copyOut: undefined,
      close: async () => {}
    } as unknown as Driver.Driver
    const ledger = Ledger.make(Database.fromDriver("SQL Server", driver), "handover")
    const startedAt = new Date("2026-03-31T09:30:00.123Z")
    await Effect.runPromise(Effect.gen(function*() {
      yield* ledger.startRun({ runId: "run-1", rehearsal: "weekly", pipeline: "swift-to-ias", configHash: "h", codeVersion: "1", startedAt }, [everyType], [])
      yield* ledger.beginStep("run-1", "client", 1)
      yield* ledger.finishStep("run-1", "client")
      yield* ledger.finishRun("run-1", "completed", null)
    }))
    await kysely.destroy()
    assert.isAbove(sent.length, 3)
    for (const { sql, parameters } of sent) {
      for (const p of parameters) assert.notInstanceOf(p, Date, sql)
    }
    assert.isTrue(sent.some((s) => s.parameters.includes(startedAt.toISOString())), "the run's start as ISO text")
    assert.deepStrictEqual(unparsed(sent.map((s) => s.sql)), [])
  })

  it("refuses what is not T-SQL, so that passing means something", async () => {
    await init()
    assert.strictEqual(unparsed(["SELECT FROM WHERE", "CREATE TABLE [a] ([id] int NOT NULL, PRIMARY KEY ([id])"]).length, 2)
  })
})
