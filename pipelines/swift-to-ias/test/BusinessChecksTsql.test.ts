/**
 * The statements the business checks and the CLD projection send to SQL Server, checked as text: SQL Server cannot
 * run here. Every query stored once, sorted, in a scratch table of the control schema (SELECT INTO), read back in
 * pages and dropped; its date arithmetic (the days from a period's end to an invoice), its code point comparison of
 * service components and person ids, `TOP` in place of `LIMIT`, and a bit for true; and PostgreSQL's forms where the
 * dialects differ.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Reconcile } from "@handover/reconcile"
import type { Driver, SqlDialect } from "@handover/sql"
import * as MssqlSql from "@handover/sql/mssql/MssqlSql"
import * as PostgresSql from "@handover/sql/postgres/PostgresSql"
import * as BusinessChecks from "../src/checks/BusinessChecks.ts"
import * as CldProjection from "../src/CldProjection.ts"
import * as Uplifts from "../src/reference/Uplifts.ts"

/**
 * A driver that records every statement, run through `query` or `queryText`, and answers each with the rows `answer`
 * gives (none by default).
 */
const recording = (dialect: SqlDialect.SqlDialect, answer: (sql: string, statements: ReadonlyArray<string>) => ReadonlyArray<Driver.TextRow> = () => []) => {
  const statements: Array<string> = []
  const run = async (sql: string) => {
    statements.push(sql)
    return answer(sql, statements)
  }
  const driver = { dialect, queryText: run, query: async (sql: string) => (await run(sql), []) } as unknown as Driver.Driver
  return { driver, statements }
}

/** The scratch tables a statement stores a sorted query in, reads a page of, or drops. */
const scratch = /(?:\[handover\]\.\[|"handover"\.")(sorted_[0-9a-f]{16})/

/** Each query is stored once sorted in a scratch table of the control schema, read back in pages, then dropped. */
const assertSortedOnce = (statements: ReadonlyArray<string>, where: string) => {
  const stored = statements.filter((sql) => /^(SELECT \* INTO|CREATE UNLOGGED TABLE)/.test(sql)).map((sql) => scratch.exec(sql)?.[1])
  const dropped = statements.filter((sql) => sql.startsWith("DROP TABLE IF EXISTS")).map((sql) => scratch.exec(sql)?.[1])
  assert.isAbove(stored.length, 0, where)
  assert.notInclude(stored, undefined, where)
  assert.deepStrictEqual([...dropped].sort(), [...stored].sort(), `${where}: every scratch table dropped`)
  for (const sql of statements) {
    const table = scratch.exec(sql)?.[1]
    assert.isDefined(table, `${where}: a statement that reads the target itself: ${sql}`)
    assert.include(stored, table, where)
  }
}

const statementsOf = async (dialect: SqlDialect.SqlDialect) => {
  const { driver, statements } = recording(dialect)
  const context: Reconcile.CheckContext = {
    runId: "run-1",
    legacy: driver,
    target: driver,
    legacySchema: "swift",
    targetSchema: "ias",
    controlSchema: "handover",
    parameters: { cutoverDate: "2026-03-31" }
  }
  const byCheck: Record<string, ReadonlyArray<string>> = {}
  for (const check of BusinessChecks.checks({ pageSize: 250 })) {
    const from = statements.length
    for await (const _ of check.run(context)) assert.fail(`${check.id} found something in an empty target`)
    byCheck[check.id] = statements.slice(from).filter((sql) => !sql.startsWith("SELECT team_code"))
  }
  return byCheck
}

describe("the business checks' statements", () => {
  it("on SQL Server: stored sorted by SELECT INTO, DATEDIFF, components compared by code point, TOP and no LIMIT", async () => {
    const byCheck = await statementsOf(MssqlSql.dialect)
    const rate = byCheck["rule.rate-for-year"]!.join("\n")
    // lines grouped by provider and component in the database, components compared by code point; the next day by
    // DATEADD; the uplift factors rounded to the 30 decimal places SQL Server's decimals leave room for
    assert.include(rate, "COALESCE(s.service_component, c.element_type, c.unit_type, 'null') COLLATE Latin1_General_BIN2 AS component")
    assert.include(rate, "ROW_NUMBER() OVER (PARTITION BY k.provider, k.component ORDER BY k.latest)")
    assert.include(rate, "s2.event_start_date = DATEADD(day, 1, s.event_end_date)")
    assert.include(rate, `(CAST('0001-01-01' AS DATE), CAST('2006-03-31' AS DATE), ${Uplifts.factorText(2005, 30)})`)
    assert.include(rate, "(CAST('2025-04-01' AS DATE), CAST('9999-12-31' AS DATE), 1)")
    assert.match(rate, /, \d\.\d{30}\)/)
    assert.notMatch(rate, /\.\d{31}/)
    assert.include(byCheck["rule.late-client-invoice"]!.join("\n"), "DATEDIFF(day, i.period_to, i.raised_date) > 91")
    for (const [id, statements] of Object.entries(byCheck)) {
      assertSortedOnce(statements, id)
      for (const sql of statements) {
        if (sql.startsWith("SELECT * INTO")) {
          assert.match(sql, /^SELECT \* INTO \[handover\]\.\[sorted_[0-9a-f]{16}\] FROM \(SELECT ROW_NUMBER\(\) OVER \(ORDER BY /, id)
        } else if (sql.startsWith("SELECT")) {
          assert.match(sql, /^SELECT TOP \(250\) \[n\], /, `${id}: ${sql}`)
        } else assert.match(sql, /^(ALTER TABLE|DROP TABLE IF EXISTS) \[handover\]\.\[sorted_/, `${id}: ${sql}`)
        assert.notInclude(sql, "LIMIT", id)
        assert.notMatch(sql, /\$\d/, `${id}: PostgreSQL placeholders`)
        assert.notMatch(sql, /date\)? \+ \d/, `${id}: date arithmetic by +`)
      }
    }
    // the legacy key of every finding through the xref, joined on the run as a parameter
    assert.include(byCheck["rule.deceased-open-service"]![0]!,
      "LEFT JOIN [handover].[xref] x ON x.run_id = @1 AND x.entity = 'package line' AND x.target_key = s.service_id AND x.outcome = 'loaded'")
  })

  it("on PostgreSQL: stored sorted in an unlogged table, date arithmetic on dates, LIMIT", async () => {
    const byCheck = await statementsOf(PostgresSql.make("postgres"))
    const rate = byCheck["rule.rate-for-year"]!.join("\n")
    assert.notInclude(rate, "COLLATE")
    assert.include(rate, "s2.event_start_date = (s.event_end_date + 1)")
    // the uplift factors exact: three decimal places a year since 2005
    assert.include(rate, `(CAST('0001-01-01' AS DATE), CAST('2006-03-31' AS DATE), ${Uplifts.factorText(2005)})`)
    assert.match(rate, /\.\d{60}\)/)
    assert.include(byCheck["rule.late-client-invoice"]!.join("\n"), "(i.raised_date - i.period_to) > 91")
    for (const [id, statements] of Object.entries(byCheck)) {
      assertSortedOnce(statements, id)
      for (const sql of statements) {
        if (sql.startsWith("CREATE")) assert.match(sql, /^CREATE UNLOGGED TABLE "handover"\."sorted_[0-9a-f]{16}" AS SELECT ROW_NUMBER\(\) OVER \(ORDER BY /, id)
        else if (sql.startsWith("SELECT")) assert.match(sql, /LIMIT 250$/, id)
      }
    }
  })
})

describe("the CLD projection's statements", () => {
  /** Answers the page read of the people's scratch table with one person; every other read is empty. */
  const onePerson = (sql: string, statements: ReadonlyArray<string>): ReadonlyArray<Driver.TextRow> => {
    const stored = statements.find((s) => /^(SELECT \* INTO|CREATE)/.test(s) && /las_person\W* p\b/.test(s))
    const people = stored === undefined ? undefined : scratch.exec(stored)?.[1]
    const table = scratch.exec(sql)?.[1]
    return sql.startsWith("SELECT") && table !== undefined && table === people && !sql.includes(" > ")
      ? [["1", "P1", ...Array.from({ length: 12 }, () => null)]]
      : []
  }
  const project = async (dialect: SqlDialect.SqlDialect) => {
    const { driver, statements } = recording(dialect, onePerson)
    for await (const _ of CldProjection.project(driver, {
      runId: "run-1", targetSchema: "ias", controlSchema: "handover", laCode: "999", periodStart: "2025-04-01", periodEnd: "2026-03-31", pageSize: 40
    })) assert.fail("no events, no rows")
    return statements
  }
  const tables = ["las_person", "las_address", "las_person_relationship", "cc_financial_assessment", "las_request", "las_assessment", "las_review", "las_service"]

  it("on SQL Server: each table stored once sorted by person id compared by code point, flags through the xref's key, a bit for true", async () => {
    const statements = await project(MssqlSql.dialect)
    assertSortedOnce(statements, "the CLD projection")
    const stored = statements.filter((sql) => sql.startsWith("SELECT * INTO"))
    // one sorted read of each table (the flags read touches several by their primary keys)
    for (const table of tables) assert.strictEqual(stored.filter((sql) => sql.includes(`[ias].[${table}] `) && !sql.includes("[handover].[flag]")).length, 1, table)
    assert.include(stored.join("\n"), "ROW_NUMBER() OVER (ORDER BY p.person_id COLLATE Latin1_General_BIN2)")
    assert.include(stored.join("\n"), "ROW_NUMBER() OVER (ORDER BY e.person_id COLLATE Latin1_General_BIN2, e.service_id)")
    const flags = stored.find((sql) => sql.includes("[handover].[flag]"))!
    for (const [table, id] of [["las_person", "person_id"], ["las_address", "address_id"], ["las_request", "request_id"], ["las_service", "service_id"]]) {
      assert.include(flags, `[handover].[flag] f JOIN [handover].[xref] x ON x.run_id = f.run_id AND x.entity = f.entity AND x.legacy_key = f.legacy_key JOIN [ias].[${table}] e ON e.${id} = x.target_key`)
    }
    assert.include(stored.join("\n"), "is_unpaid_carer = 1")
    // no read of a range of person ids, which no index serves
    assert.notMatch(statements.join("\n"), /person_id (>=|<=)/)
    // the people read back in pages of 40
    assert.isTrue(statements.some((sql) => sql.startsWith("SELECT TOP (40) [n], [c0], ")))
    for (const sql of statements) assert.notInclude(sql, "LIMIT")
    assert.isFalse(statements.join("\n").includes("TRUE"))
  })

  it("on PostgreSQL: person ids compared in the C collation, booleans as TRUE", async () => {
    const statements = await project(PostgresSql.make("postgres"))
    assertSortedOnce(statements, "the CLD projection")
    assert.include(statements.join("\n"), `ROW_NUMBER() OVER (ORDER BY p.person_id COLLATE "C")`)
    assert.include(statements.join("\n"), "is_unpaid_carer = TRUE")
    assert.isTrue(statements.some((sql) => /^SELECT "n", "c0", .* LIMIT 40$/.test(sql)))
  })
})
