/**
 * Headline figures: totals a data owner knows by heart (weekly commitment by provider, debt by age, people by
 * support reason), computed independently on each side — from the legacy rows in the legacy system's own terms, and
 * from the target rows — then reconciled through the xref the way a finance officer would:
 *
 *   source − excluded by a named rule + changed by a named rule = expected target
 *
 * A legacy row that was quarantined or excluded takes its part out of the source; a migrated row whose target part
 * differs from its legacy part is explained when the migration flagged that row with a rule (a stored cost
 * recomputed, a service ended at the client's death). What remains — target minus expected — is the unexplained
 * variance, a finding for every figure, dimension value and measure where it is not exactly zero, naming the rows
 * behind it.
 *
 * Measures are whole numbers (pence, hundredths of an hour, counts), so sums are exact; a `distinct` measure counts
 * distinct keys (people) and compares the sets.
 *
 * Each side gives its parts a page at a time; they are written to the control schema, paired, grouped and summed
 * there, and only the lines that do not reconcile come back, a page at a time: memory holds a page however large the
 * estate.
 */
import type { Pipeline } from "@handover/core"
import { ControlSchema, type Database, Driver, type SqlDialect, Table } from "@handover/sql"
import * as Finding from "./Finding.ts"

export type Unit = "pence" | "count" | "hundredths" | "distinct"

export interface Measure {
  readonly name: string
  readonly unit: Unit
}

/** One row's part in a figure: where it falls on each dimension and its value for each measure. */
export interface Part {
  /** The legacy key (legacy side) or the xref's target key (target side). */
  readonly key: string
  /** One value per dimension of the figure. */
  readonly dimensions: ReadonlyArray<string>
  /** One value per measure: a whole number, or for a `distinct` measure the key counted (null counts nothing). */
  readonly values: ReadonlyArray<number | string | null>
}

/** The run and both databases: what a pipeline's work after a step gets, and what its figures and checks get. */
export type Context = Pipeline.AfterStepContext

export interface Figure {
  readonly id: string
  readonly description: string
  /** The entity whose legacy rows make the figure: its xref, quarantine, exclusions and flags explain variances. */
  readonly entity: string
  readonly dimensions: ReadonlyArray<string>
  readonly measures: ReadonlyArray<Measure>
  /**
   * The parts of the legacy rows, in the legacy system's terms, keyed by legacy key, a page at a time. Rows outside
   * the figure give none.
   */
  readonly legacy: (context: Context) => AsyncIterable<ReadonlyArray<Part>>
  /**
   * The parts of the target rows, keyed by the target key the xref records for the entity: a page at a time, or, as
   * `{ query }`, one query of the target database whose rows go straight into `figure_part` there (no target row
   * comes to Node: the way for a target side that is plain SQL over the target's tables).
   */
  readonly target: ((context: Context) => AsyncIterable<ReadonlyArray<Part>>) | { readonly query: (context: Context) => TargetQuery }
}

/**
 * A query of the target database giving a figure's target parts. Its columns, in order: the part's key, one per
 * dimension (text), one per measure (a whole number, or for a `distinct` measure the key counted, or NULL).
 */
export interface TargetQuery {
  readonly sql: string
  /** The query's parameters, numbered from 1 with the dialect's placeholders. */
  readonly params: ReadonlyArray<Driver.SqlValue>
}

/** One line of a figure: a dimension value and a measure, reconciled. */
export interface Line {
  readonly figure: string
  readonly dimension: string
  readonly value: string
  readonly measure: string
  readonly unit: Unit
  /** Every legacy row's part. */
  readonly source: number
  /** The part of rows quarantined or excluded by a named rule. */
  readonly excluded: number
  /** Target minus legacy, on migrated rows the migration flagged with a rule. */
  readonly explained: number
  readonly expected: number
  readonly target: number
  /** Target minus expected: zero when the figure reconciles. */
  readonly variance: number
  /** Up to a few rows behind a variance: `legacy key → target key`. */
  readonly rows: ReadonlyArray<string>
}

export const total = "all"

const rowsShown = 10

/** Rows of parts written to the control schema at once. */
const pageSize = 5_000

/** The most dimensions and measures a figure has: the columns of the control table `figure_part`. */
export const maxDimensions = 4
export const maxMeasures = 4

const range = (n: number): ReadonlyArray<number> => Array.from({ length: n }, (_, i) => i + 1)

/**
 * Reconciles one figure in the database. The parts of both sides are written a page at a time to the control
 * schema's `figure_part`; the lines are worked out there, through what the run did with the entity's legacy rows, and
 * written to `figure_staged` (the transaction that records the reconciliation moves them into `figure`); a finding for
 * each line that does not reconcile goes to `emit`, a page at a time. Memory holds a page of parts or lines.
 */
export const reconcile = async (context: Context, figure: Figure, emit: Finding.Emit): Promise<void> => {
  if (figure.dimensions.length > maxDimensions || figure.measures.length > maxMeasures) {
    throw new Error(`figure ${figure.id} has more than ${maxDimensions} dimensions or ${maxMeasures} measures`)
  }
  const t = ControlSchema.tables(context.controlSchema)
  const d = context.target.dialect
  const clearParts = () =>
    context.target.query(`DELETE FROM ${d.qualify(t.figurePart)} WHERE run_id = ${d.placeholder(1)} AND figure_id = ${d.placeholder(2)}`, [context.runId, figure.id])
  // parts a reconciliation stopped part-way left behind
  await clearParts()
  const write = async (side: "legacy" | "target", pages: AsyncIterable<ReadonlyArray<Part>>) => {
    for await (const page of pages) {
      for (let i = 0; i < page.length; i += pageSize) {
        await context.target.writeRows(t.figurePart, page.slice(i, i + pageSize).map((part) => partRow(context.runId, figure, side, part)))
      }
    }
  }
  await write("legacy", figure.legacy(context))
  if (typeof figure.target === "function") await write("target", figure.target(context))
  else {
    const statement = targetPartsStatement(d, context.controlSchema, figure, figure.target.query(context), context.runId)
    await context.target.query(statement.sql, statement.params)
  }
  // a row counted twice on one side would count twice in its line: the keys of each side are checked once written
  // (keys compared exactly: SQL Server's default collation would take keys differing in case for one)
  const partKey = d.name === "mssql" ? "part_key COLLATE Latin1_General_100_BIN2" : "part_key"
  const [twice] = await context.target.queryText(
    `SELECT ${d.top(1)}side, ${partKey} FROM ${d.qualify(t.figurePart)} WHERE run_id = ${d.placeholder(1)} AND figure_id = ${d.placeholder(2)} ` +
      `GROUP BY side, ${partKey} HAVING COUNT(*) > 1${d.limit(1)}`,
    [context.runId, figure.id]
  )
  if (twice !== undefined) throw new Error(`figure ${figure.id}: the ${twice[0]} side gives row ${twice[1]} more than one part`)
  for (const statement of d.analyze(t.figurePart)) await context.target.query(statement)
  const statement = linesStatement(d, context.controlSchema, figure, context.runId)
  await context.target.transaction(async (c) => {
    await c.query(`DELETE FROM ${d.qualify(t.figureStaged)} WHERE run_id = ${d.placeholder(1)} AND figure_id = ${d.placeholder(2)}`, [context.runId, figure.id])
    // every join of the statement is over whole sets of parts: a nested loop, chosen when the planner misjudges the
    // rows of a step (the run's xref or flags freshly written), costs the product of the two sides
    if (d.name !== "mssql") await c.query("SET LOCAL enable_nestloop = off")
    // compiling the statement's many expressions costs more than it saves
    if (d.name === "postgres") await c.query("SET LOCAL jit = off")
    await c.query(statement.sql, statement.params)
  })
  for await (const page of openLinePages(context.target, context.controlSchema, context.runId, figure.id)) {
    await emit(page.map((line) => findingOf(figure, line)))
  }
  await clearParts()
}

/** A part as a row of `figure_part`: dimensions, whole-number measures as amounts, distinct measures as the key counted. */
const partRow = (runId: string, figure: Figure, side: "legacy" | "target", part: Part): ReadonlyArray<Driver.SqlValue> => {
  const dimensions = range(maxDimensions).map((i) => (i <= figure.dimensions.length ? (part.dimensions[i - 1] ?? "").slice(0, 160) : null))
  const amounts = range(maxMeasures).map((i) => {
    const value = part.values[i - 1]
    return i <= figure.measures.length && figure.measures[i - 1]!.unit !== "distinct" && typeof value === "number" ? value : null
  })
  const counted = range(maxMeasures).map((i) => {
    const value = part.values[i - 1]
    return i <= figure.measures.length && figure.measures[i - 1]!.unit === "distinct" && typeof value === "string" ? value : null
  })
  return [runId, figure.id, side, part.key, ...dimensions, ...amounts, ...counted]
}

/**
 * The statement that inserts a figure's target parts into `figure_part` from the figure's query of the target, as
 * `partRow` writes parts read into Node: dimensions cut to 160 characters (an empty one as empty text), whole-number
 * measures as amounts, distinct ones as the keys counted.
 */
export const targetPartsStatement = (
  dialect: SqlDialect.SqlDialect,
  controlSchema: string,
  figure: Pick<Figure, "id" | "dimensions" | "measures">,
  query: TargetQuery,
  runId: string
): SqlDialect.Statement => {
  const t = ControlSchema.tables(controlSchema)
  const n = query.params.length
  const cast = (expression: string, type: Table.ColumnType) => `CAST(${expression} AS ${dialect.columnType(type)})`
  const dimensions = range(figure.dimensions.length).map((i) => `dimension_${i}`)
  const measures = figure.measures.map((_, i) => `measure_${i + 1}`)
  const empty = dialect.quoteString("")
  const columns = [
    "run_id", "figure_id", "side", "part_key",
    ...range(maxDimensions).map((i) => `dimension_${i}`),
    ...range(maxMeasures).map((i) => `amount_${i}`),
    ...range(maxMeasures).map((i) => `counted_${i}`)
  ]
  const values = [
    cast(dialect.placeholder(n + 1), Table.text(40)),
    cast(dialect.placeholder(n + 2), Table.text(60)),
    `'target'`,
    cast("q.part_key", Table.text(200)),
    ...range(maxDimensions).map((i) => (i <= dimensions.length ? `LEFT(COALESCE(${cast(`q.dimension_${i}`, Table.text())}, ${empty}), 160)` : "NULL")),
    ...range(maxMeasures).map((i) =>
      i <= measures.length && figure.measures[i - 1]!.unit !== "distinct" ? cast(`q.measure_${i}`, Table.bigint) : "NULL"
    ),
    ...range(maxMeasures).map((i) =>
      i <= measures.length && figure.measures[i - 1]!.unit === "distinct" ? cast(`q.measure_${i}`, Table.text(200)) : "NULL"
    )
  ]
  return {
    sql: `INSERT INTO ${dialect.qualify(t.figurePart)} (${columns.join(", ")}) SELECT ${values.join(", ")} ` +
      `FROM (${query.sql}) q (${["part_key", ...dimensions, ...measures].join(", ")})`,
    params: [...query.params, runId, figure.id]
  }
}

/** The finding of a line that does not reconcile. */
const findingOf = (figure: Figure, line: Line): Finding.Finding => {
  const { unit } = line
  const where = line.dimension === total ? "in total" : `for ${line.dimension} ${line.value}`
  return Finding.make({
    check: figure.id,
    entity: figure.entity,
    field: `${line.measure} by ${line.dimension}: ${line.value}`,
    kind: unit === "pence" ? "money" : "count",
    severity: "error",
    legacyValue: format(unit, line.expected),
    targetValue: format(unit, line.target),
    message: `${figure.description}, ${line.measure} ${where}: expected ${format(unit, line.expected)} (legacy ${format(unit, line.source)}` +
      `, less ${format(unit, line.excluded)} quarantined or excluded, ${format(unit, line.explained)} changed by named rules)` +
      `, target ${format(unit, line.target)}: ${format(unit, line.variance)} unexplained` +
      (line.rows.length > 0 ? `; rows: ${line.rows.join(", ")}` : "")
  })
}

/** The staged lines of one figure that do not reconcile (a variance, or people counted differently), a page at a time. */
async function* openLinePages(driver: Driver.Driver, controlSchema: string, runId: string, figureId: string): AsyncGenerator<ReadonlyArray<Line>> {
  const d = driver.dialect
  for await (
    const page of Driver.keysetPages(driver, {
      key: ["figure_id", "dimension", "dimension_value", "measure"],
      columns: ["unit", "source_value", "excluded_value", "explained_value", "expected_value", "target_value", "variance", "rows_behind"],
      from: d.qualify(ControlSchema.tables(controlSchema).figureStaged),
      where: `run_id = ${d.placeholder(1)} AND figure_id = ${d.placeholder(2)} AND (variance <> 0 OR rows_behind IS NOT NULL)`,
      params: [runId, figureId],
      pageSize
    })
  ) yield page.map(lineOf)
}

/**
 * The statement that works out a figure's lines from its parts in `figure_part` and inserts them into
 * `figure_staged`, in one pass of the database (parameters: the run, the entity, the figure, the run, the figure).
 *
 * Each legacy part is paired through the run's xref with the target part of its target key. It adds to the source of
 * its cells; a row quarantined or excluded adds to the excluded part; a row merged into another is taken out by its
 * rule (the survivor carries the target's part); a migrated row whose target part differs from its own and which the
 * migration flagged is explained by its rule (its part out, the target's in); any other row is expected as it was.
 * Target parts the legacy figure has no row for are explained when the migration flagged their legacy row, and named
 * behind the line otherwise. A cell is the total or one value of one dimension; a `distinct` measure counts the
 * distinct keys of the source, the expected and the target, and compares the expected and target sets. Up to ten rows
 * behind a line that does not reconcile are kept, pairs that differ first, in order.
 */
export const linesStatement = (
  dialect: SqlDialect.SqlDialect,
  controlSchema: string,
  figure: Pick<Figure, "id" | "entity" | "dimensions" | "measures">,
  runId: string
): SqlDialect.Statement => {
  if (figure.measures.length === 0) throw new Error(`figure ${figure.id} has no measure`)
  const t = ControlSchema.tables(controlSchema)
  const p = dialect.placeholder
  const mssql = dialect.name === "mssql"
  const str = dialect.quoteString
  // SQL Server compares text without regard to case by default: dimension values and keys counted are compared and
  // grouped exactly, as they are in PostgreSQL
  const exact = (expression: string) => (mssql ? `${expression} COLLATE Latin1_General_100_BIN2` : expression)
  const text = (length?: number) => dialect.columnType(Table.text(length))
  const dims = range(figure.dimensions.length)
  const measures = figure.measures.map((measure, i) => ({ ...measure, n: i + 1 }))
  const amounts = measures.filter((m) => m.unit !== "distinct")
  const distincts = measures.filter((m) => m.unit === "distinct")
  const ofRun = (alias: string) => `${alias}.run_id = ${p(1)} AND ${alias}.entity = ${p(2)}`
  const ofFigure = (alias: string, side: "legacy" | "target") => `${alias}.run_id = ${p(1)} AND ${alias}.figure_id = ${p(3)} AND ${alias}.side = ${str(side)}`
  const sameValue = (a: string, b: string) => `(${a} = ${b} OR (${a} IS NULL AND ${b} IS NULL))`
  // a whole-number measure is summed from its amount column, a distinct one counted from its key column
  const amountNumbers = amounts.map((m) => m.n)
  const countedNumbers = distincts.map((m) => m.n)

  /** A contribution row: the dimensions of the part whose cells it adds to, its amounts and keys, its role and note. */
  const contribution = (
    from: string,
    side: "l" | "t",
    role: string,
    options: { readonly negate?: boolean; readonly note?: string } = {}
  ) => {
    const dimension = dims.map((i) => `${exact(`${side === "l" ? "d" : "td"}${i}`)} AS d${i}`)
    const amount = amountNumbers.map((i) =>
      options.note !== undefined ? `CAST(NULL AS ${dialect.columnType(Table.bigint)}) AS a${i}` : `${options.negate === true ? "-" : ""}${side === "l" ? "a" : "ta"}${i} AS a${i}`
    )
    const counted = countedNumbers.map((i) => options.note !== undefined ? `CAST(NULL AS ${text(200)}) AS c${i}` : `${exact(`${side === "l" ? "c" : "tc"}${i}`)} AS c${i}`)
    return `SELECT ${[...dimension, ...amount, ...counted, `${str(role)} AS pr`, `${options.note ?? `CAST(NULL AS ${text()})`} AS note`].join(", ")} FROM ${from}`
  }
  const arrow = str(" → ")
  const inFigure = `st = 'in' AND same = 0`

  /** The cell of a grouping over the dimensions: 0 and `all` for the total, else the dimension's number and value. */
  const cellOf = (grouped: (i: number) => string) => ({
    dn: dims.length === 0 ? "0" : `CASE ${dims.map((i) => `WHEN ${grouped(i)} THEN ${i}`).join(" ")} ELSE 0 END`,
    dv: dims.length === 0
      ? `CAST(${str(total)} AS ${text(160)})`
      : `CASE ${dims.map((i) => `WHEN ${grouped(i)} THEN d${i}`).join(" ")} ELSE CAST(${str(total)} AS ${text(160)}) END`
  })
  const cell = cellOf((i) => `GROUPING(d${i}) = 0`)
  const groupingSets = (extra: ReadonlyArray<string>) =>
    `GROUPING SETS (${[`(${extra.join(", ")})`, ...dims.map((i) => `(${[`d${i}`, ...extra].join(", ")})`)].join(", ")})`
  const roles = ["source", "excluded", "explained", "expected", "target"] as const
  const sumOf = (role: string, i: number) => `SUM(CASE WHEN pr = ${str(role)} THEN a${i} END)`
  const flagOf = (role: string) => `MAX(CASE WHEN pr = ${str(role)} THEN 1 ELSE 0 END)`
  const caseOf = (column: string, values: ReadonlyArray<readonly [number, string]>) =>
    `CASE ${column} ${values.map(([n, v]) => `WHEN ${n} THEN ${str(v)}`).join(" ")} END`
  const zero = (expression: string) => `COALESCE(${expression}, 0)`
  const aggregate = mssql
    ? `STRING_AGG(CAST(r AS nvarchar(max)), NCHAR(10)) WITHIN GROUP (ORDER BY cat, r)`
    : `string_agg(r, chr(10) ORDER BY cat, r)`

  /** The figure's target parts, as a subquery named `tp`. */
  const targetParts = `(SELECT ${["part_key AS tpk", ...dims.map((i) => `dimension_${i} AS td${i}`), ...amountNumbers.map((i) => `amount_${i} AS ta${i}`), ...countedNumbers.map((i) => `counted_${i} AS tc${i}`)].join(", ")} ` +
    `FROM ${dialect.qualify(t.figurePart)} p WHERE ${ofFigure("p", "target")}) tp`
  /** 1 when the migration flagged the legacy row (any number of times), else 0. */
  const flagged = (legacyKey: string) =>
    `CASE WHEN EXISTS (SELECT 1 FROM ${dialect.qualify(t.flag)} f WHERE ${ofRun("f")} AND f.legacy_key = ${legacyKey}) THEN 1 ELSE 0 END`
  const ctes: Array<string> = [
    // each legacy part, what the run did with its row, and the target part it was paired with (the control tables
    // joined directly, not through subqueries of their own, so that the planner sees their statistics)
    `lc AS (SELECT ${[
      "l.part_key AS k",
      ...dims.map((i) => `l.dimension_${i} AS d${i}`),
      ...amountNumbers.map((i) => `l.amount_${i} AS a${i}`),
      ...countedNumbers.map((i) => `l.counted_${i} AS c${i}`),
      `CASE WHEN q.legacy_key IS NOT NULL OR e.legacy_key IS NOT NULL THEN 'out' WHEN x.outcome = 'merged' THEN 'merged' ELSE 'in' END AS st`,
      "x.target_key AS tk",
      "tp.*",
      `${flagged("l.part_key")} AS flagged`,
      `CASE WHEN ${["tp.tpk IS NOT NULL", ...dims.map((i) => `${exact(`l.dimension_${i}`)} = tp.td${i}`), ...amountNumbers.map((i) => sameValue(`l.amount_${i}`, `tp.ta${i}`)), ...countedNumbers.map((i) => sameValue(exact(`l.counted_${i}`), `tp.tc${i}`))].join(" AND ")} THEN 1 ELSE 0 END AS same`
    ].join(", ")} FROM ${dialect.qualify(t.figurePart)} l ` +
    `LEFT JOIN ${dialect.qualify(t.quarantine)} q ON ${ofRun("q")} AND q.legacy_key = l.part_key ` +
    `LEFT JOIN ${dialect.qualify(t.exclusion)} e ON ${ofRun("e")} AND e.legacy_key = l.part_key ` +
    `LEFT JOIN ${dialect.qualify(t.xref)} x ON ${ofRun("x")} AND x.legacy_key = l.part_key ` +
    `LEFT JOIN ${targetParts} ON x.outcome <> 'merged' AND tp.tpk = x.target_key WHERE ${ofFigure("l", "legacy")})`,
    // migrated rows whose target part no legacy part was paired with: the first legacy row of each target key
    `sec AS (SELECT x.legacy_key AS k, x.target_key AS tk, tp.*, ${flagged("x.legacy_key")} AS flagged, ` +
    `ROW_NUMBER() OVER (PARTITION BY x.target_key ORDER BY x.legacy_key) AS n ` +
    `FROM ${dialect.qualify(t.xref)} x JOIN ${targetParts} ON tp.tpk = x.target_key ` +
    `WHERE ${ofRun("x")} AND x.outcome <> 'merged' AND NOT EXISTS (SELECT 1 FROM lc WHERE lc.st = 'in' AND lc.tk = x.target_key))`,
    `c AS (${[
      contribution("lc", "l", "source"),
      contribution("lc WHERE st = 'out'", "l", "excluded"),
      contribution(`lc WHERE st = 'merged' OR (${inFigure} AND flagged = 1)`, "l", "explained", { negate: true }),
      contribution(`lc WHERE st = 'in' AND (same = 1 OR flagged = 0)`, "l", "expected"),
      contribution(`lc WHERE ${inFigure} AND flagged = 0`, "l", "note", { note: `CONCAT(k, ${arrow}, COALESCE(tk, ${str("nothing")}))` }),
      contribution(`lc WHERE ${inFigure} AND flagged = 0 AND tpk IS NOT NULL`, "t", "note", { note: `CONCAT(k, ${arrow}, tk)` }),
      contribution(`lc WHERE ${inFigure} AND flagged = 1 AND tpk IS NOT NULL`, "t", "explained"),
      contribution(`lc WHERE ${inFigure} AND flagged = 1 AND tpk IS NOT NULL`, "t", "expected"),
      contribution(`sec WHERE n = 1 AND flagged = 1`, "t", "explained"),
      contribution(`sec WHERE n = 1 AND flagged = 1`, "t", "expected"),
      contribution(`sec WHERE n = 1 AND flagged = 0`, "t", "note", { note: `CONCAT(k, ${arrow}, tk)` }),
      contribution(targetParts, "t", "target"),
      contribution(`${targetParts} WHERE NOT EXISTS (SELECT 1 FROM ${dialect.qualify(t.xref)} x WHERE ${ofRun("x")} AND x.outcome <> 'merged' AND x.target_key = tp.tpk)`, "t", "note", {
        note: `CONCAT(${str("no legacy row → ")}, tpk)`
      })
    ].join(" UNION ALL ")})`,
    // every cell, with the sums of its whole-number measures
    `cell AS (SELECT ${[`${cell.dn} AS dn`, `${cell.dv} AS dv`, ...amounts.flatMap((m) => roles.map((r) => `${sumOf(r, m.n)} AS ${r}_${m.n}`))].join(", ")} ` +
    `FROM c WHERE pr <> 'note' GROUP BY ${groupingSets([])} HAVING COUNT(*) > 0)`,
    // the keys a distinct measure counts, per cell, and whether each is in the source, the expected and the target
    ...distincts.flatMap((m) => [
      `dk${m.n} AS (SELECT ${cell.dn} AS dn, ${cell.dv} AS dv, c${m.n} AS k, ${flagOf("source")} AS s, ${flagOf("expected")} AS e, ${flagOf("target")} AS t ` +
      `FROM c WHERE c${m.n} IS NOT NULL AND pr IN ('source', 'expected', 'target') GROUP BY ${groupingSets([`c${m.n}`])})`,
      `dc${m.n} AS (SELECT dn, dv, SUM(s) AS s, SUM(e) AS e, SUM(t) AS t, SUM(CASE WHEN e <> t THEN 1 ELSE 0 END) AS diff FROM dk${m.n} GROUP BY dn, dv)`
    ]),
    `ln AS (${measures.map((m) =>
      m.unit === "distinct"
        ? `SELECT cell.dn, cell.dv, ${m.n} AS mn, ${zero(`q.s`)} AS vs, 0 AS vx, ${zero("q.e")} - ${zero("q.s")} AS vp, ${zero("q.e")} AS ve, ${zero("q.t")} AS vt, ` +
          `CASE WHEN ${zero("q.diff")} > 0 THEN 1 ELSE 0 END AS df FROM cell LEFT JOIN dc${m.n} q ON q.dn = cell.dn AND q.dv = cell.dv`
        : `SELECT dn, dv, ${m.n} AS mn, ${roles.map((r, i) => `${zero(`${r}_${m.n}`)} AS ${["vs", "vx", "vp", "ve", "vt"][i]}`).join(", ")}, 0 AS df FROM cell`
    ).join(" UNION ALL ")})`,
    // the rows behind each line that does not reconcile: pairs that differ (every measure of the cell), then the
    // people expected but not in the target, then the people in the target not expected
    `nt AS (SELECT ${cell.dn} AS dn, ${cell.dv} AS dv, note FROM c WHERE pr = 'note' GROUP BY ${groupingSets(["note"])})`,
    `cand AS (${[
      `SELECT dn, dv, 0 AS mn, 1 AS cat, note AS r FROM nt`,
      ...distincts.flatMap((m) => [
        `SELECT dn, dv, ${m.n} AS mn, 2 AS cat, CONCAT(k, ${str(" not in the target")}) AS r FROM dk${m.n} WHERE e = 1 AND t = 0`,
        `SELECT dn, dv, ${m.n} AS mn, 3 AS cat, CONCAT(k, ${str(" not expected")}) AS r FROM dk${m.n} WHERE t = 1 AND e = 0`
      ])
    ].join(" UNION ALL ")})`,
    `op AS (SELECT dn, dv, mn FROM ln WHERE vt <> ve OR df = 1)`,
    `rk AS (SELECT op.dn, op.dv, op.mn, cand.cat, cand.r, ROW_NUMBER() OVER (PARTITION BY op.dn, op.dv, op.mn ORDER BY cand.cat, cand.r) AS n ` +
    `FROM op JOIN cand ON cand.dn = op.dn AND cand.dv = op.dv AND (cand.mn = 0 OR cand.mn = op.mn))`,
    `rb AS (SELECT dn, dv, mn, ${aggregate} AS behind FROM rk WHERE n <= ${rowsShown} GROUP BY dn, dv, mn)`
  ]
  const staged = t.figureStaged
  const target = ["run_id", "figure_id", "dimension", "dimension_value", "measure", "unit", "source_value", "excluded_value", "explained_value", "expected_value", "target_value", "variance", "rows_behind"]
  const select = [
    `CAST(${p(4)} AS ${text(40)})`,
    `CAST(${p(5)} AS ${text(60)})`,
    caseOf("ln.dn", [[0, total], ...figure.dimensions.map((name, i) => [i + 1, name] as const)]),
    "ln.dv",
    caseOf("ln.mn", measures.map((m) => [m.n, m.name] as const)),
    caseOf("ln.mn", measures.map((m) => [m.n, m.unit] as const)),
    "ln.vs", "ln.vx", "ln.vp", "ln.ve", "ln.vt", "ln.vt - ln.ve",
    "CASE WHEN ln.vt <> ln.ve OR ln.df = 1 THEN rb.behind END"
  ]
  const sql = `WITH ${ctes.join(", ")} INSERT INTO ${dialect.qualify(staged)} (${target.join(", ")}) ` +
    `SELECT ${select.join(", ")} FROM ln LEFT JOIN rb ON rb.dn = ln.dn AND rb.dv = ln.dv AND rb.mn = ln.mn`
  return { sql, params: [runId, figure.entity, figure.id, runId, figure.id] }
}

/** A measure's value as people read it: pounds and pence, hours, or a count. */
export const format = (unit: Unit, value: number): string => {
  if (unit === "pence") {
    const sign = value < 0 ? "-" : ""
    const abs = Math.abs(value)
    return `${sign}£${Math.floor(abs / 100).toLocaleString("en-GB")}.${String(abs % 100).padStart(2, "0")}`
  }
  if (unit === "hundredths") {
    const sign = value < 0 ? "-" : ""
    const abs = Math.abs(value)
    return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`
  }
  return String(value)
}

/**
 * Writes a run's figure lines into the control schema on a connection the caller has open (the transaction that
 * records the rest of the reconciliation), replacing any from an earlier reconciliation of the run.
 */
export const write = async (
  connection: Driver.Connection,
  dialect: SqlDialect.SqlDialect,
  controlSchema: string,
  runId: string,
  lines: ReadonlyArray<Line>
): Promise<void> => {
  const table = ControlSchema.tables(controlSchema).figure
  await connection.query(`DELETE FROM ${dialect.qualify(table)} WHERE run_id = ${dialect.placeholder(1)}`, [runId])
  const rows = lines.map((l) => [
    runId, l.figure, l.dimension, l.value.slice(0, 160), l.measure, l.unit,
    l.source, l.excluded, l.explained, l.expected, l.target, l.variance, l.rows.length === 0 ? null : l.rows.join("\n")
  ])
  for (let i = 0; i < rows.length; i += 5_000) await connection.writeRows(table, rows.slice(i, i + 5_000))
}

/** A run's figure lines in pages of at most `pageSize`, in the order of `lines`: memory holds one page. */
export async function* linePages(
  driver: Driver.Driver,
  controlSchema: string,
  runId: string,
  options: { readonly figures?: ReadonlyArray<string>; readonly pageSize?: number } = {}
): AsyncGenerator<ReadonlyArray<Line>> {
  const table = ControlSchema.tables(controlSchema).figure
  const d = driver.dialect
  const only = options.figures === undefined ? undefined : d.oneOf("figure_id", options.figures, 2)
  for await (
    const page of Driver.keysetPages(driver, {
      key: ["figure_id", "dimension", "dimension_value", "measure"],
      columns: ["unit", "source_value", "excluded_value", "explained_value", "expected_value", "target_value", "variance", "rows_behind"],
      from: d.qualify(table),
      where: `run_id = ${d.placeholder(1)}${only === undefined ? "" : ` AND ${only.sql}`}`,
      params: [runId, ...(only?.params ?? [])],
      pageSize: options.pageSize ?? 5_000
    })
  ) yield page.map(lineOf)
}

/** The columns of a stored figure line, in the order `lineOf` reads them. */
export const lineColumns = "figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind"

/** A stored figure line, read as text in the order of `lineColumns`. */
export const lineOf = (r: ReadonlyArray<string | null>): Line => ({
  figure: String(r[0]),
  dimension: String(r[1]),
  value: String(r[2]),
  measure: String(r[3]),
  unit: String(r[4]) as Unit,
  source: Number(r[5]),
  excluded: Number(r[6]),
  explained: Number(r[7]),
  expected: Number(r[8]),
  target: Number(r[9]),
  variance: Number(r[10]),
  rows: r[11] === null || r[11] === undefined ? [] : String(r[11]).split("\n")
})

/** A run's figure lines as stored. */
export const lines = (target: Database.Database, controlSchema: string, runId: string) =>
  target.use("read headline figures", async (d): Promise<ReadonlyArray<Line>> => {
    const table = ControlSchema.tables(controlSchema).figure
    const rows = await d.queryText(
      `SELECT ${lineColumns} FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)} ORDER BY figure_id, dimension, dimension_value, measure`,
      [runId]
    )
    return rows.map(lineOf)
  })
