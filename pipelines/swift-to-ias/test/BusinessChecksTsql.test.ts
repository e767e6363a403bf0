/**
 * The statements the business checks and the CLD projection send to SQL Server, checked as text: SQL Server cannot
 * run here. Its date arithmetic (the day after a line ends, the days from a period's end to an invoice), its code
 * point comparison of service components, `TOP` in place of `LIMIT`, and a bit for true; and PostgreSQL's forms where
 * the dialects differ.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Reconcile } from "@handover/reconcile"
import type { Driver, SqlDialect } from "@handover/sql"
import * as MssqlSql from "@handover/sql/mssql/MssqlSql"
import * as PostgresSql from "@handover/sql/postgres/PostgresSql"
import * as BusinessChecks from "../src/checks/BusinessChecks.ts"
import * as CldProjection from "../src/CldProjection.ts"

/** A driver that records every statement and answers each with the rows `answer` gives (none by default). */
const recording = (dialect: SqlDialect.SqlDialect, answer: (sql: string) => ReadonlyArray<Driver.TextRow> = () => []) => {
  const statements: Array<string> = []
  const driver = {
    dialect,
    queryText: async (sql: string) => {
      statements.push(sql)
      return answer(sql)
    }
  } as unknown as Driver.Driver
  return { driver, statements }
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
    byCheck[check.id] = statements.slice(from)
  }
  return byCheck
}

describe("the business checks' statements", () => {
  it("on SQL Server: DATEADD and DATEDIFF, components compared by code point, TOP and no LIMIT", async () => {
    const byCheck = await statementsOf(MssqlSql.dialect)
    const rate = byCheck["rule.rate-for-year"]!.join("\n")
    assert.include(rate, "s2.event_start_date = DATEADD(day, 1, s.event_end_date)")
    assert.include(rate, "COALESCE(s2.service_component, c2.element_type, c2.unit_type, 'null') COLLATE Latin1_General_BIN2 = " +
      "COALESCE(s.service_component, c.element_type, c.unit_type, 'null') COLLATE Latin1_General_BIN2")
    assert.include(rate, "ORDER BY s.provider_id, COALESCE(s.service_component, c.element_type, c.unit_type, 'null') COLLATE Latin1_General_BIN2, s.service_id, c.cpli_id")
    assert.include(byCheck["rule.late-client-invoice"]!.join("\n"), "DATEDIFF(day, i.period_to, i.raised_date) > 91")
    for (const [id, statements] of Object.entries(byCheck)) {
      for (const sql of statements) {
        if (sql.startsWith("SELECT team_code")) continue
        assert.match(sql, /^SELECT TOP \(250\) /, `${id}: ${sql}`)
        assert.notInclude(sql, "LIMIT", id)
        assert.notMatch(sql, /\$\d/, `${id}: PostgreSQL placeholders`)
        assert.notInclude(sql, "+ 1", id)
      }
    }
    // the legacy key of every finding through the xref, joined on the run as a parameter
    assert.include(byCheck["rule.deceased-open-service"]![0]!,
      "LEFT JOIN [handover].[xref] x ON x.run_id = @1 AND x.entity = 'package line' AND x.target_key = s.service_id AND x.outcome = 'loaded'")
  })

  it("on PostgreSQL: date arithmetic on dates, LIMIT", async () => {
    const byCheck = await statementsOf(PostgresSql.make("postgres"))
    const rate = byCheck["rule.rate-for-year"]!.join("\n")
    assert.include(rate, "s2.event_start_date = s.event_end_date + 1")
    assert.notInclude(rate, "COLLATE")
    assert.include(byCheck["rule.late-client-invoice"]!.join("\n"), "(i.raised_date - i.period_to) > 91")
    for (const statements of Object.values(byCheck)) for (const sql of statements) if (!sql.startsWith("SELECT team_code")) assert.match(sql, /LIMIT 250$/)
  })
})

describe("the CLD projection's statements", () => {
  const person = (sql: string): ReadonlyArray<Driver.TextRow> =>
    sql.includes("p.person_id") && !sql.includes("p.person_id >") ? [["P1", ...Array.from({ length: 12 }, () => null), "0"]] : []

  it("on SQL Server: a page of people, then their rows by the range of their ids, a bit for true", async () => {
    const { driver, statements } = recording(MssqlSql.dialect, person)
    for await (const _ of CldProjection.project(driver, {
      runId: "run-1", targetSchema: "ias", controlSchema: "handover", laCode: "999", periodStart: "2025-04-01", periodEnd: "2026-03-31", pageSize: 40
    })) assert.fail("no events, no rows")
    assert.match(statements[0]!, /^SELECT TOP \(40\) p\.person_id, /)
    assert.include(statements[0]!, "x.target_key = p.person_id")
    assert.include(statements.join("\n"), "is_unpaid_carer = 1 AND person_id >= @1 AND person_id <= @2")
    assert.include(statements.join("\n"), "e.person_id >= @1 AND e.person_id <= @2")
    for (const sql of statements) assert.notInclude(sql, "LIMIT")
    assert.isFalse(statements.join("\n").includes("TRUE"))
  })

  it("on PostgreSQL: booleans as TRUE", async () => {
    const { driver, statements } = recording(PostgresSql.make("postgres"), person)
    for await (const _ of CldProjection.project(driver, {
      runId: "run-1", targetSchema: "ias", controlSchema: "handover", laCode: "999", periodStart: "2025-04-01", periodEnd: "2026-03-31", pageSize: 40
    })) assert.fail("no events, no rows")
    assert.include(statements.join("\n"), "is_unpaid_carer = TRUE AND person_id >= $1 AND person_id <= $2")
    assert.match(statements[0]!, /LIMIT 40$/)
  })
})
