/**
 * The SQL the findings ledger and the record check write, as text: T-SQL (SQL Server cannot run here) and
 * PostgreSQL. Every statement uses only what every dialect has — ROW_NUMBER() OVER, CASE, NOT EXISTS; no DISTINCT ON,
 * no FILTER, no LIMIT in T-SQL — its own placeholders, numbered from 1 with a parameter for each, and the control
 * schema's tables quoted the dialect's way.
 */
import { describe, expect, it } from "@effect/vitest"
import * as MssqlSql from "@handover/sql/mssql/MssqlSql"
import * as PostgresSql from "@handover/sql/postgres/PostgresSql"
import { ControlSchema, type SqlDialect, Table } from "@handover/sql"
import * as fc from "fast-check"
import * as FindingsLedger from "../src/FindingsLedger.ts"
import * as RecordCheck from "../src/RecordCheck.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) * 3

const tsql = MssqlSql.dialect
const postgres = PostgresSql.make("postgres")

const run = { runId: "run-2", rehearsal: "weekly", pipeline: "swift-to-ias", today: "2026-01-15" }

/** Every statement the ledger writes for a recording, a comparison and the record check's search for extra rows. */
const statements = (dialect: SqlDialect.SqlDialect, schema: string, previousRunId: string | null): ReadonlyArray<SqlDialect.Statement> => {
  const compare = FindingsLedger.comparisonStatements(dialect, schema, "run-1", "run-2", 20)
  const person = Table.make({ schema: "ias", name: "person", columns: { person_id: Table.text(40), name: Table.text(20) }, primaryKey: ["person_id"] })
  const extra = RecordCheck.extraKeysQuery(dialect, person, schema, "run-2", true)
  return [
    FindingsLedger.previousRunStatement(dialect, schema, run),
    ...FindingsLedger.recordStatements(dialect, schema, run, previousRunId),
    FindingsLedger.statusCountStatement(dialect, schema, run.runId),
    ...FindingsLedger.clearStagingStatements(dialect, schema),
    compare.counts,
    compare.reversedCount,
    compare.someGone,
    compare.someAppeared,
    { sql: `SELECT ${extra.key.join(", ")} FROM ${extra.from} WHERE ${extra.where}`, params: extra.params ?? [] }
  ]
}

/** The parameter numbers a statement refers to, for a dialect's placeholder form. */
const referenced = (sql: string, form: RegExp) => new Set([...sql.matchAll(form)].map((m) => Number(m[1])))

const schemaName = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/)

describe("the findings ledger's SQL", () => {
  it("is T-SQL SQL Server runs: no DISTINCT ON, FILTER, LIMIT or $n; @n placeholders, each with its parameter; bracketed names", () => {
    fc.assert(
      fc.property(schemaName, fc.option(fc.constant("run-1")), (schema, previous) => {
        for (const s of statements(tsql, schema, previous)) {
          expect(s.sql).not.toMatch(/DISTINCT ON|FILTER\s*\(|\bLIMIT\b|\$\d|::|\bILIKE\b|\bRETURNING\b/i)
          const used = referenced(s.sql, /@(\d+)/g)
          expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: s.params.length }, (_, i) => i + 1))
          // every control table named is in the control schema, quoted
          for (const m of s.sql.matchAll(/(?:FROM|JOIN|INTO)\s+(\S+)/g)) {
            if (m[1]!.startsWith("(")) continue
            expect(m[1]).toMatch(/^\[[^\]]+\]\.\[[^\]]+\]$/)
          }
        }
      }),
      { numRuns: runs }
    )
  })

  it("is PostgreSQL with $n placeholders, each with its parameter", () => {
    fc.assert(
      fc.property(schemaName, fc.option(fc.constant("run-1")), (schema, previous) => {
        for (const s of statements(postgres, schema, previous)) {
          expect(s.sql).not.toMatch(/DISTINCT ON|FILTER\s*\(|\bTOP\b|@\d/i)
          const used = referenced(s.sql, /\$(\d+)/g)
          expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: s.params.length }, (_, i) => i + 1))
        }
      }),
      { numRuns: runs }
    )
  })

  it("keeps the first staged finding of each fingerprint with ROW_NUMBER() OVER, and works out statuses with CASE and EXISTS", () => {
    const [, , , insert] = [null, ...FindingsLedger.recordStatements(tsql, "handover", run, "run-1")]
    expect(insert!.sql).toContain("ROW_NUMBER() OVER (PARTITION BY s.fingerprint ORDER BY s.seq) AS first_seen")
    expect(insert!.sql).toContain("WHERE f.first_seen = 1")
    expect(insert!.sql).toMatch(/CASE WHEN EXISTS .* THEN 'accepted' WHEN EXISTS .* THEN 'open' WHEN EXISTS .* THEN 'regressed' ELSE 'new' END/)
    expect(insert!.params).toEqual([run.runId, run.today, "run-1", run.rehearsal, run.pipeline])
    expect(FindingsLedger.previousRunStatement(tsql, "handover", run).sql).toMatch(/^SELECT TOP \(1\) r\.run_id FROM \[handover\]\.\[reconciliation\] r .* ORDER BY r\.reconciled_at DESC, r\.run_id DESC$/)
  })

  it("records the previous run's gone findings as resolved only when there is a previous run", () => {
    const resolvedInsert = (previous: string | null) =>
      FindingsLedger.recordStatements(tsql, "handover", run, previous).filter((s) => s.sql.includes("'resolved' FROM"))
    expect(resolvedInsert(null)).toEqual([])
    const [statement] = resolvedInsert("run-1")
    expect(statement!.sql).toContain("NOT EXISTS (SELECT 1 FROM [handover].[finding_staged] s WHERE s.run_id = @3 AND s.fingerprint = o.fingerprint)")
    expect(statement!.params).toEqual([run.runId, "run-1", run.runId])
  })

  it("moves the staged figure lines and empties every staging table whole, last", () => {
    const all = FindingsLedger.recordStatements(tsql, "handover", run, "run-1")
    const t = ControlSchema.tables("handover")
    const last = all.slice(-4).map((s) => s.sql)
    expect([...last].sort()).toEqual([t.findingStaged, t.expectedKey, t.figurePart, t.figureStaged].map((table) => `DELETE FROM ${tsql.qualify(table)}`).sort())
    const postgres = FindingsLedger.recordStatements(PostgresSql.make("postgres"), "handover", run, "run-1")
    expect(postgres.at(-1)!.sql).toBe(`TRUNCATE ${[t.findingStaged, t.expectedKey, t.figurePart, t.figureStaged].map((table) => PostgresSql.make("postgres").qualify(table)).join(", ")}`)
    expect(all.map((s) => s.sql)).toContain(
      "INSERT INTO [handover].[figure] (run_id, figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind) " +
        "SELECT run_id, figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind " +
        "FROM [handover].[figure_staged] WHERE run_id = @1"
    )
  })
})
