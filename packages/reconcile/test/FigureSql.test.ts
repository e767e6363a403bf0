/**
 * Headline figures reconciled in the database: for random figures (up to four dimensions and four measures, whole
 * numbers and distinct keys), random parts on both sides and random run records (rows loaded, merged, quarantined,
 * excluded, flagged, target rows no legacy row accounts for), the lines and findings worked out in SQL over the
 * control schema are exactly those of the in-memory reconciliation; and the T-SQL given for SQL Server is of a form
 * it accepts.
 */
import { assert, describe, it as plainIt, layer } from "@effect/vitest"
import { ControlSchema, type Database, Table } from "@handover/sql"
import { dialect as mssql } from "@handover/sql/mssql/MssqlSql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import fc from "fast-check"
import * as Figure from "../src/Figure.ts"
import type * as Finding from "../src/Finding.ts"
import * as Oracle from "./FigureOracle.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) * 2

const controlSchema = "figure_sql_test"
const entity = "line"

// dimension values that collide across parts and dimensions, read like the total, are empty or need quoting
const dimensionValue = fc.constantFrom("a", "b", "all", "", "O'Brien", "é", "a b")
const personKey = fc.constantFrom("p1", "p2", "p3", "p'4", "legacy client 7")
const units = fc.constantFrom<Figure.Unit>("pence", "count", "hundredths", "distinct")

const figureArb = fc.record({
  dimensions: fc.uniqueArray(fc.constantFrom("provider", "support reason", "age band", "team's area", "year"), { maxLength: 4 }),
  units: fc.array(units, { minLength: 1, maxLength: 4 })
}).map(({ dimensions, units }): Figure.Figure => ({
  id: "figure.test",
  description: "A test figure",
  entity,
  dimensions,
  measures: units.map((unit, i) => ({ name: `measure ${i + 1}`, unit })),
  legacy: () => pages([]),
  target: () => pages([])
}))

type Outcome = "loaded" | "merged" | "quarantined" | "excluded" | "unrecorded"

const partArb = (figure: Figure.Figure, key: string): fc.Arbitrary<Figure.Part> =>
  fc.record({
    dimensions: fc.tuple(...figure.dimensions.map(() => dimensionValue)),
    values: fc.tuple(...figure.measures.map((m) =>
      m.unit === "distinct" ? fc.option(personKey, { nil: null, freq: 4 }) : fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }), { nil: null, freq: 6 })
    ))
  }).map((p) => ({ key, ...p }))

/** A legacy row: its part (or none: a row outside the legacy figure), what the run did with it, and its target part. */
const rowArb = (figure: Figure.Figure, i: number) =>
  fc.record({
    legacy: fc.option(partArb(figure, `L${i}`), { nil: null, freq: 6 }),
    outcome: fc.constantFrom<Outcome>("loaded", "loaded", "loaded", "merged", "quarantined", "excluded", "unrecorded"),
    flagged: fc.boolean(),
    // the target row: the legacy part as it was, another part, or none
    target: fc.oneof(fc.constant<"same">("same"), partArb(figure, `T${i}`), fc.constant(null)),
    survivor: fc.nat(20)
  })

const scenarioArb = figureArb.chain((figure) =>
  fc.record({
    figure: fc.constant(figure),
    rows: fc.integer({ min: 0, max: 24 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(figure, i)))),
    // target rows no legacy row accounts for
    extras: fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => partArb(figure, `X${i}`)))),
    pageSize: fc.integer({ min: 1, max: 7 }),
    // the target side as one query of the target database, inserted there, instead of parts read into Node
    byQuery: fc.boolean()
  })
)

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never

async function* pages(parts: ReadonlyArray<Figure.Part>, size = 1_000): AsyncGenerator<ReadonlyArray<Figure.Part>> {
  for (let i = 0; i < parts.length; i += size) yield parts.slice(i, i + size)
}

interface Built {
  readonly figure: Figure.Figure
  readonly record: Oracle.EntityRecord
  readonly legacy: ReadonlyArray<Figure.Part>
  readonly target: ReadonlyArray<Figure.Part>
  readonly xref: ReadonlyArray<readonly [string, string, string]>
  readonly quarantined: ReadonlyArray<string>
  readonly excluded: ReadonlyArray<string>
  readonly flags: ReadonlyArray<string>
}

const build = (s: Scenario): Built => {
  const xref: Array<readonly [string, string, string]> = []
  const quarantined: Array<string> = []
  const excluded: Array<string> = []
  const flags: Array<string> = []
  const legacy: Array<Figure.Part> = []
  const target: Array<Figure.Part> = []
  const record = { xref: new Map<string, string>(), merged: new Set<string>(), out: new Set<string>(), flagged: new Map<string, string>() }
  s.rows.forEach((row, i) => {
    const key = `L${i}`
    const targetKey = `T${i}`
    if (row.legacy !== null) legacy.push(row.legacy)
    if (row.flagged) {
      flags.push(key)
      record.flagged.set(key, "RULE-01")
    }
    if (row.outcome === "quarantined" || row.outcome === "excluded") {
      ;(row.outcome === "quarantined" ? quarantined : excluded).push(key)
      record.out.add(key)
    } else if (row.outcome === "merged") {
      // merged into another row: the survivor's target key
      xref.push([key, `T${row.survivor}`, "merged"])
      record.merged.add(key)
    } else if (row.outcome === "loaded") {
      xref.push([key, targetKey, "loaded"])
      record.xref.set(key, targetKey)
    }
    // a target row for every outcome: one the run records no legacy row for shows as such
    const part = row.target === "same" ? (row.legacy === null ? null : { ...row.legacy, key: targetKey }) : row.target
    if (part !== null) target.push(part)
  })
  for (const extra of s.extras) target.push(extra)
  return { figure: s.figure, record, legacy, target, xref, quarantined, excluded, flags }
}

const runId = "run-1"

const load = (d: Database.Database, b: Built) =>
  d.use("load the run's record", async (driver) => {
    const t = ControlSchema.tables(controlSchema)
    for (const table of [t.xref, t.quarantine, t.exclusion, t.flag, t.figureStaged, t.figurePart]) await driver.query(`DELETE FROM ${driver.dialect.qualify(table)}`)
    if (b.xref.length > 0) await driver.writeRows(t.xref, b.xref.map(([l, k, outcome]) => [runId, entity, l, "t", k, outcome, null, null]))
    if (b.quarantined.length > 0) await driver.writeRows(t.quarantine, b.quarantined.map((l) => [runId, entity, l, "decode", "f", "bad", null, "{}"]))
    if (b.excluded.length > 0) await driver.writeRows(t.exclusion, b.excluded.map((l) => [runId, entity, l, "RULE-02", "out of scope"]))
    // two flags on some rows: a row is flagged once however many rules touched it
    const flagRows = b.flags.flatMap((l, i) => [[runId, entity, l, 1, "RULE-01", "f", "info", "fixed"], ...(i % 2 === 0 ? [[runId, entity, l, 2, "RULE-03", "g", "info", "fixed"]] : [])])
    if (flagRows.length > 0) await driver.writeRows(t.flag, flagRows)
  })

const stagedLines = (d: Database.Database) =>
  d.use("read the staged lines", async (driver) => {
    const rows = await driver.queryText(
      `SELECT figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind ` +
        `FROM ${driver.dialect.qualify(ControlSchema.tables(controlSchema).figureStaged)} WHERE run_id = ${driver.dialect.placeholder(1)}`,
      [runId]
    )
    return rows.map((r): Figure.Line => ({
      figure: String(r[0]), dimension: String(r[1]), value: String(r[2]), measure: String(r[3]), unit: String(r[4]) as Figure.Unit,
      source: Number(r[5]), excluded: Number(r[6]), explained: Number(r[7]), expected: Number(r[8]), target: Number(r[9]), variance: Number(r[10]),
      rows: r[11] === null ? [] : String(r[11]).split("\n")
    }))
  })

const cellId = (l: Pick<Figure.Line, "dimension" | "value" | "measure">) => JSON.stringify([l.dimension, l.value, l.measure])

/** The rows behind a line: all of them when fewer than ten could be named, else ten of those that could. */
const assertRows = (got: ReadonlyArray<string>, want: ReadonlyArray<string>, candidates: ReadonlyArray<string>, what: string) => {
  if (candidates.length < 10) assert.deepStrictEqual([...got].sort(), [...want].sort(), what)
  else {
    assert.strictEqual(got.length, 10, what)
    assert.strictEqual(new Set(got).size, 10, what)
    for (const row of got) assert.include(candidates, row, what)
  }
}

const messageHead = (f: Finding.Finding) => f.message.split("; rows: ")[0]

/** A table of the target's rows for a figure whose target side is a query: every column text, as a target may hold. */
const targetRows = { schema: controlSchema, name: "figure_target_rows" }

/** Writes the target parts as rows of `targetRows`, and gives the query of them a figure's target side runs. */
const targetRowsQuery = (d: Database.Database, figure: Figure.Figure, parts: ReadonlyArray<Figure.Part>) =>
  d.use("write the target rows", async (driver): Promise<Figure.TargetQuery> => {
    const q = driver.dialect.quoteIdentifier
    const columns = ["k", ...figure.dimensions.map((_, i) => `d${i + 1}`), ...figure.measures.map((_, i) => `m${i + 1}`)]
    await driver.query(`DROP TABLE IF EXISTS ${driver.dialect.qualify(targetRows)}`)
    await driver.query(`CREATE TABLE ${driver.dialect.qualify(targetRows)} (${columns.map((c) => `${q(c)} ${driver.dialect.columnType(Table.text(200))}`).join(", ")})`)
    if (parts.length > 0) {
      await driver.writeRows(
        { ...targetRows, columns: columns.map((name) => ({ name, type: Table.text(200), nullable: true })), primaryKey: [] } as Table.Table,
        parts.map((p) => [p.key, ...p.dimensions, ...p.values.map((v) => (v === null ? null : String(v)))])
      )
    }
    // the key, the dimensions and the measures in order, under names of the target's own
    return { sql: `SELECT ${columns.map(q).join(", ")} FROM ${driver.dialect.qualify(targetRows)} WHERE ${q("k")} <> ${driver.dialect.placeholder(1)}`, params: ["no such key"] }
  })

const checkScenario = (d: Database.Database, s: Scenario) =>
  Effect.gen(function*() {
    const b = build(s)
    yield* load(d, b)
    const query = s.byQuery ? yield* targetRowsQuery(d, b.figure, b.target) : undefined
    const figure: Figure.Figure = {
      ...b.figure,
      legacy: () => pages(b.legacy, s.pageSize),
      target: query === undefined ? () => pages(b.target, s.pageSize) : { query: () => query }
    }
    const found: Array<Finding.Finding> = []
    const emitted: Array<number> = []
    yield* d.use("reconcile the figure", (driver) =>
      Figure.reconcile(
        { runId, legacy: driver, target: driver, legacySchema: undefined, targetSchema: "unused", controlSchema, parameters: {} },
        figure,
        async (page) => {
          emitted.push(page.length)
          for (const f of page) found.push(f)
        }
      ))
    const want = Oracle.compare(figure, b.record, b.legacy, b.target)
    const all = Oracle.compare(figure, b.record, b.legacy, b.target, Number.POSITIVE_INFINITY)
    const candidates = new Map(all.lines.map((l) => [cellId(l), l.rows]))
    const got = yield* stagedLines(d)
    assert.deepStrictEqual(got.map(cellId).sort(), want.lines.map(cellId).sort())
    const gotById = new Map(got.map((l) => [cellId(l), l]))
    for (const line of want.lines) {
      const g = gotById.get(cellId(line))!
      assert.deepStrictEqual({ ...g, rows: [] }, { ...line, value: line.value, rows: [] }, cellId(line))
      assertRows(g.rows, line.rows, candidates.get(cellId(line))!, cellId(line))
    }
    // the same findings, their rows the rows behind their line
    const fieldOf = (f: Finding.Finding) => f.field!
    assert.deepStrictEqual(found.map(fieldOf).sort(), want.findings.map(fieldOf).sort())
    const wantByField = new Map(want.findings.map((f) => [fieldOf(f), f]))
    for (const f of found) {
      const w = wantByField.get(fieldOf(f))!
      assert.deepStrictEqual({ ...f, message: messageHead(f) }, { ...w, message: messageHead(w) })
      const line = got.find((l) => `${l.measure} by ${l.dimension}: ${l.value}` === f.field)!
      assert.strictEqual(f.message, line.rows.length === 0 ? messageHead(f) : `${messageHead(f)}; rows: ${line.rows.join(", ")}`)
    }
    // the parts are cleared once the figure is reconciled
    const left = yield* d.use("parts left", (driver) => driver.queryText(`SELECT COUNT(*) FROM ${driver.dialect.qualify(ControlSchema.tables(controlSchema).figurePart)}`))
    assert.strictEqual(Number(left[0]![0]), 0)
    return { findings: found.length, lines: got.length }
  })

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`headline figures in SQL on ${dialect}`, (it) => {
    it.effect("gives exactly the lines and findings of the reconciliation in memory", () =>
      Effect.gen(function*() {
        const d = yield* TestDatabase.TestDatabase
        yield* ControlSchema.migrate(d, controlSchema)
        let withFindings = 0
        let distinctDiffering = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(scenarioArb, async (s) => {
              const result = await Effect.runPromise(checkScenario(d, s))
              if (result.findings > 0) withFindings += 1
              if (s.figure.measures.some((m) => m.unit === "distinct") && result.findings > 0) distinctDiffering += 1
            }),
            { numRuns: runs }
          )
        )
        // the property met figures that reconcile and figures that do not
        assert.isAbove(withFindings, 0)
        assert.isAbove(distinctDiffering, 0)
      }))

    it.effect("refuses a side that gives one row twice, whichever side and wherever in its pages", () =>
      Effect.gen(function*() {
        const d = yield* TestDatabase.TestDatabase
        yield* ControlSchema.migrate(d, controlSchema)
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.constantFrom("legacy" as const, "target" as const), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 6 }), async (side, n, at, pageSize) => {
              const parts = Array.from({ length: n }, (_, i) => ({ key: `K${i}`, dimensions: ["a"], values: [1] }))
              const twice = [...parts, { ...parts[at % n]!, values: [2] }]
              const figure: Figure.Figure = {
                id: "figure.twice", description: "A figure with a row given twice", entity, dimensions: ["provider"], measures: [{ name: "cost", unit: "pence" }],
                legacy: () => pages(side === "legacy" ? twice : parts, pageSize),
                target: () => pages(side === "target" ? twice : parts, pageSize)
              }
              const outcome = await Effect.runPromise(Effect.exit(d.use("reconcile", (driver) =>
                Figure.reconcile({ runId, legacy: driver, target: driver, legacySchema: undefined, targetSchema: "unused", controlSchema, parameters: {} }, figure, async () => {}))))
              await Effect.runPromise(d.use("clear", (driver) => driver.query(`DELETE FROM ${driver.dialect.qualify(ControlSchema.tables(controlSchema).figurePart)}`)))
              assert.strictEqual(outcome._tag, "Failure")
              assert.include(String(Cause.squash((outcome as Exit.Failure<unknown, unknown>).cause)), `the ${side} side gives row K${at % n} more than one part`)
            }),
            { numRuns: Math.min(runs, 10) }
          )
        )
      }))

    it.effect("names ten rows behind a line with more, and nothing behind lines that reconcile", () =>
      Effect.gen(function*() {
        const d = yield* TestDatabase.TestDatabase
        yield* ControlSchema.migrate(d, controlSchema)
        const figure: Figure.Figure = {
          id: "figure.test", description: "A test figure", entity, dimensions: ["provider"],
          measures: [{ name: "cost", unit: "pence" }, { name: "people", unit: "distinct" }], legacy: () => pages([]), target: () => pages([])
        }
        // 30 loaded rows, the first 12 changed after the load by a penny
        const rows = Array.from({ length: 30 }, (_, i) => ({
          legacy: { key: `L${i}`, dimensions: [i % 2 === 0 ? "a" : "b"], values: [100, `p${i}`] },
          outcome: "loaded" as const, flagged: false,
          target: { key: `T${i}`, dimensions: [i % 2 === 0 ? "a" : "b"], values: [i < 12 ? 101 : 100, `p${i}`] },
          survivor: 0
        }))
        const s: Scenario = { figure, rows, extras: [], pageSize: 4, byQuery: false }
        yield* checkScenario(d, s)
        const lines = yield* stagedLines(d)
        const total = lines.find((l) => l.dimension === "all" && l.measure === "cost")!
        assert.strictEqual(total.variance, 12)
        assert.strictEqual(total.rows.length, 10)
        assert.deepStrictEqual(lines.find((l) => l.value === "a" && l.measure === "cost")!.rows.length, 6)
        for (const l of lines.filter((l) => l.measure === "people")) assert.deepStrictEqual(l.rows, [])
      }))
  })
}

describe("headline figures in T-SQL", () => {
  const figure = {
    id: "figure.weekly", entity: "package line", dimensions: ["provider", "team's area"],
    measures: [{ name: "cost", unit: "pence" as const }, { name: "people", unit: "distinct" as const }]
  }
  const statement = Figure.linesStatement(mssql, "handover", figure, "run-1")

  plainIt("uses only what SQL Server accepts: no LIMIT, DISTINCT ON, FILTER, || or PostgreSQL casts and placeholders", () => {
    for (const banned of [/\bLIMIT\b/i, /DISTINCT\s+ON/i, /\bFILTER\s*\(/i, /\|\|/, /::/, /\$\d/, /\bILIKE\b/i, /\btext\b/, /\bstring_agg\(r, chr/i, /\bvarchar\(/, /\bTRUE\b|\bFALSE\b/]) {
      assert.notMatch(statement.sql, banned)
    }
    assert.match(statement.sql, /GROUP BY GROUPING SETS \(\(\), \(d1\), \(d2\)\)/)
    assert.match(statement.sql, /ROW_NUMBER\(\) OVER \(PARTITION BY/)
    assert.match(statement.sql, /STRING_AGG\(CAST\(r AS nvarchar\(max\)\), NCHAR\(10\)\) WITHIN GROUP \(ORDER BY cat, r\)/)
    assert.include(statement.sql, "CAST(@4 AS nvarchar(40))")
    // values told apart by letter case stay apart
    assert.include(statement.sql, "d1 COLLATE Latin1_General_100_BIN2 AS d1")
    assert.include(statement.sql, "l.dimension_2 COLLATE Latin1_General_100_BIN2 = tp.td2")
    assert.include(statement.sql, "[handover].[figure_part]")
    assert.include(statement.sql, "INSERT INTO [handover].[figure_staged]")
    assert.deepStrictEqual(statement.params, ["run-1", "package line", "figure.weekly", "run-1", "figure.weekly"])
  })

  plainIt("writes text with characters beyond ASCII, and quotes, as Unicode literals", () => {
    // every literal is N'...', so that the arrow and the names keep their characters
    const literals = statement.sql.match(/N?'(?:[^']|'')*'/g) ?? []
    assert.isAbove(literals.length, 10)
    for (const literal of literals.filter((l) => /[^\x20-\x7e]|''/.test(l))) assert.isTrue(literal.startsWith("N'"), literal)
    assert.include(statement.sql, "N' → '")
    assert.include(statement.sql, "N'team''s area'")
  })

  plainIt("balances its parentheses and numbers placeholders from 1 to 5", () => {
    let depth = 0
    for (const ch of statement.sql.replace(/N?'(?:[^']|'')*'/g, "''")) {
      depth += ch === "(" ? 1 : ch === ")" ? -1 : 0
      assert.isAtLeast(depth, 0)
    }
    assert.strictEqual(depth, 0)
    assert.deepStrictEqual([...new Set(statement.sql.match(/@\d+/g))].sort(), ["@1", "@2", "@3", "@4", "@5"])
  })

  plainIt("reads a figure without dimensions as its total alone", () => {
    const sql = Figure.linesStatement(mssql, "handover", { ...figure, dimensions: [] }, "run-1").sql
    assert.include(sql, "GROUPING SETS (())")
    assert.notInclude(sql, "GROUPING(")
  })

  plainIt("inserts a target side given as a query as its parts: placeholders after the query's own, each measure in its column", () => {
    const inserted = Figure.targetPartsStatement(mssql, "handover", figure, { sql: "SELECT k, a, b, m, p FROM [ias].[rows] WHERE k <> @1", params: ["x"] }, "run-1")
    assert.deepStrictEqual(inserted.params, ["x", "run-1", "figure.weekly"])
    assert.include(inserted.sql, "INSERT INTO [handover].[figure_part] (run_id, figure_id, side, part_key, dimension_1, dimension_2, dimension_3, dimension_4, amount_1, amount_2, amount_3, amount_4, counted_1, counted_2, counted_3, counted_4)")
    assert.include(inserted.sql, "SELECT CAST(@2 AS nvarchar(40)), CAST(@3 AS nvarchar(60)), 'target', CAST(q.part_key AS nvarchar(200))")
    assert.include(inserted.sql, "LEFT(COALESCE(CAST(q.dimension_1 AS nvarchar(max)), N''), 160), LEFT(COALESCE(CAST(q.dimension_2 AS nvarchar(max)), N''), 160), NULL, NULL")
    // a sum in its amount column, a distinct count's key in its key column
    assert.include(inserted.sql, "CAST(q.measure_1 AS bigint), NULL, NULL, NULL, NULL, CAST(q.measure_2 AS nvarchar(200)), NULL, NULL")
    assert.include(inserted.sql, "FROM (SELECT k, a, b, m, p FROM [ias].[rows] WHERE k <> @1) q (part_key, dimension_1, dimension_2, measure_1, measure_2)")
    for (const banned of [/::/, /\$\d/, /\btext\b/]) assert.notMatch(inserted.sql, banned)
  })
})
