/**
 * The headline figures' target side is SQL over the target's tables: its expressions (age band and financial year at
 * the cut-over date, age of a debt, whole pence, planned hours of hourly lines) give what the legacy side's TypeScript
 * gives for the same values, on each dialect, at any dates and cut-over dates; and what it sends to SQL Server is of a
 * form SQL Server accepts.
 */
import { assert, describe, it as plainIt, layer } from "@effect/vitest"
import { Money } from "@handover/core"
import { Figure } from "@handover/reconcile"
import type { Driver } from "@handover/sql"
import { dialect as mssql } from "@handover/sql/mssql/MssqlSql"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { TestDatabase } from "../../../packages/testkit/src/index.ts"
import * as HeadlineFigures from "../src/checks/HeadlineFigures.ts"
import { context } from "./support.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) * 4

const day = (date: Date) => date.toISOString().slice(0, 10)
const calendarDay = (min: string, max: string) =>
  fc.date({ min: new Date(`${min}T00:00:00Z`), max: new Date(`${max}T00:00:00Z`), noInvalidDate: true }).map(day)

/** Dates around the boundaries the figures draw: birthdays, the first of April, the days a debt changes age. */
const dateNear = (cutover: string) =>
  fc.oneof(
    calendarDay("1890-01-01", "2110-12-31"),
    fc.integer({ min: -400, max: 400 }).map((days) => day(new Date(Date.parse(`${cutover}T00:00:00Z`) - days * 86_400_000))),
    // the same day and month as the cut-over, some years before it: a birthday on the day
    fc.integer({ min: 0, max: 120 }).map((years) => `${String(Number(cutover.slice(0, 4)) - years).padStart(4, "0")}${cutover.slice(4)}`)
      .filter((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && day(new Date(`${d}T00:00:00Z`)) === d),
    fc.integer({ min: 1900, max: 2100 }).chain((y) => fc.constantFrom(`${y}-03-31`, `${y}-04-01`, `${y}-01-01`, `${y}-12-31`))
  )

const scenario = calendarDay("1990-01-01", "2100-12-31").chain((cutover) =>
  fc.record({
    cutover: fc.constant(cutover),
    date: fc.option(dateNear(cutover), { nil: null, freq: 8 }),
    pounds: fc.option(fc.bigInt({ min: -(10n ** 13n) + 1n, max: 10n ** 13n - 1n }).map((p) => {
      const sign = p < 0n ? "-" : ""
      const abs = (p < 0n ? -p : p).toString().padStart(3, "0")
      return `${sign}${abs.slice(0, -2)}.${abs.slice(-2)}`
    }), { nil: null, freq: 8 }),
    basis: fc.option(fc.constantFrom("HOUR", "hours", " Hourly ", "hr", "WEEK", "Weekly", "", "visit"), { nil: null, freq: 8 }),
    units: fc.option(fc.integer({ min: 0, max: 9_999_999 }).map((n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`), { nil: null, freq: 6 })
  })
)

const literal = (value: string | null, type: string) => (value === null ? `CAST(NULL AS ${type})` : `CAST('${value}' AS ${type})`)

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`headline figures' target SQL on ${dialect}`, (it) => {
    it.effect("gives what the legacy side's TypeScript gives, at any date and cut-over date", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* db.use("compare", (d: Driver.Driver) =>
          fc.assert(
            fc.asyncProperty(scenario, async (s) => {
              const c = { ...context(d, "run"), parameters: { cutoverDate: s.cutover } }
              const sql = HeadlineFigures.targetSql(c)
              const date = literal(s.date, "date")
              const pounds = literal(s.pounds, "numeric(13, 2)")
              const units = literal(s.units, "numeric(9, 2)")
              const [row] = await d.queryText(
                `SELECT ${sql.ageBand(date)}, ${sql.financialYear(date)}, ${sql.debtAge(date)}, ${sql.pence(pounds)}, ${sql.hours(literal(s.basis, "text"), units)}, ` +
                  `CASE WHEN ${sql.activeAtCutover(date, "CAST(NULL AS date)")} THEN 1 ELSE 0 END`,
                sql.params()
              )
              const hourly = HeadlineFigures.hourly(s.basis) && s.units !== null
              assert.deepStrictEqual(row, [
                HeadlineFigures.ageBand(s.date, s.cutover),
                HeadlineFigures.financialYear(s.date),
                HeadlineFigures.debtAge(s.date, s.cutover),
                String(s.pounds === null ? 0 : Money.fromPounds(s.pounds)),
                String(hourly ? Math.round(Number(s.units) * 100) : 0),
                s.date !== null && s.date <= s.cutover ? "1" : "0"
              ], JSON.stringify(s))
            }),
            { numRuns: runs }
          ))
      }))
  })
}

describe("headline figures' target side in T-SQL", () => {
  const driver = { dialect: mssql } as unknown as Driver.Driver
  const c = context(driver, "run-1")

  plainIt("uses SQL Server's date functions and Unicode literals, its own placeholders, and the target's tables", () => {
    for (const figure of HeadlineFigures.all) {
      const target = figure.target
      if (typeof target === "function") assert.fail(`${figure.id}: the target side is read into Node`)
      else {
        const query = target.query(c)
        assert.deepStrictEqual(query.params, query.sql.includes("@1") ? [c.parameters.cutoverDate!] : [], figure.id)
        for (const banned of [/EXTRACT\(/, /::/, /\$\d/, /\|\|/, /\btext\b/, /\bLIMIT\b/, /"ias"/]) assert.notMatch(query.sql, banned, figure.id)
        assert.match(query.sql, /FROM \[ias\]\.\[/, figure.id)
        // what the figure reads out is Unicode text, compared as such
        for (const literal of query.sql.match(/N?'(?:[^']|'')*'/g) ?? []) {
          if (/^'(contribution|third_party_top_up|transport_flat|HOUR|HOURS|HOURLY|HR)'$/.test(literal)) continue
          assert.isTrue(literal.startsWith("N'"), `${figure.id}: ${literal}`)
        }
        const statement = Figure.targetPartsStatement(mssql, "handover", figure, query, "run-1")
        let depth = 0
        for (const ch of statement.sql.replace(/N?'(?:[^']|'')*'/g, "''")) {
          depth += ch === "(" ? 1 : ch === ")" ? -1 : 0
          assert.isAtLeast(depth, 0, figure.id)
        }
        assert.strictEqual(depth, 0, figure.id)
        assert.deepStrictEqual([...new Set(statement.sql.match(/@\d+/g))].sort(), query.params.length === 1 ? ["@1", "@2", "@3"] : ["@1", "@2"], figure.id)
      }
    }
    const debt = HeadlineFigures.debt.target
    const services = HeadlineFigures.serviceUsers.target
    if (typeof debt === "function" || typeof services === "function") return assert.fail("the target sides are queries")
    assert.include(debt.query(c).sql, "DATEDIFF(day, raised_date, CAST(@1 AS date)) <= 30")
    assert.include(services.query(c).sql, "YEAR(pe.date_of_birth)")
    assert.include(services.query(c).sql, "ROW_NUMBER() OVER (PARTITION BY c.service_id ORDER BY c.cpli_id) AS line_rank")
  })
})
