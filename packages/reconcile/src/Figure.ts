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
 */
import type { Pipeline } from "@handover/core"
import { ControlSchema, type Database, Driver, type SqlDialect } from "@handover/sql"
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
  /** The parts of the legacy rows, in the legacy system's terms, keyed by legacy key. Rows outside the figure give none. */
  readonly legacy: (context: Context) => Promise<Iterable<Part>>
  /** The parts of the target rows, keyed by the target key the xref records for the entity. */
  readonly target: (context: Context) => Promise<Iterable<Part>>
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

interface Cell {
  source: number
  excluded: number
  explained: number
  expected: number
  target: number
  sourceSet?: Set<string>
  expectedSet?: Set<string>
  targetSet?: Set<string>
  rows: Array<string>
}

/** What a run did with an entity's legacy rows: where each went, which were taken out, which a rule changed. */
export interface EntityRecord {
  /** Target key of each loaded legacy row. */
  readonly xref: ReadonlyMap<string, string>
  /** Legacy rows merged into another. */
  readonly merged: ReadonlySet<string>
  /** Legacy rows quarantined or excluded. */
  readonly out: ReadonlySet<string>
  /** Legacy rows the migration flagged, with the first rule. */
  readonly flagged: ReadonlyMap<string, string>
}

/** The run's record of an entity, from the control schema. */
export const entityRecord = async (context: Context, entity: string): Promise<EntityRecord> => {
  const t = ControlSchema.tables(context.controlSchema)
  const d = context.target.dialect
  const where = `WHERE run_id = ${d.placeholder(1)} AND entity = ${d.placeholder(2)}`
  const parameters = [context.runId, entity]
  const xref = new Map<string, string>()
  const merged = new Set<string>()
  for (const r of await context.target.queryText(`SELECT legacy_key, target_key, outcome FROM ${d.qualify(t.xref)} ${where}`, parameters)) {
    if (r[2] === "merged") merged.add(String(r[0]))
    else xref.set(String(r[0]), String(r[1]))
  }
  const out = new Set<string>()
  for (const table of [t.quarantine, t.exclusion]) {
    for (const r of await context.target.queryText(`SELECT legacy_key FROM ${d.qualify(table)} ${where}`, parameters)) out.add(String(r[0]))
  }
  const flagged = new Map<string, string>()
  for (const r of await context.target.queryText(`SELECT legacy_key, rule_id FROM ${d.qualify(t.flag)} ${where} ORDER BY seq`, parameters)) {
    if (!flagged.has(String(r[0]))) flagged.set(String(r[0]), String(r[1]))
  }
  return { xref, merged, out, flagged }
}

const sameParts = (a: Part | undefined, b: Part | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : a.dimensions.every((v, i) => v === b.dimensions[i]) && a.values.every((v, i) => v === b.values[i])

export interface Reconciled {
  readonly lines: ReadonlyArray<Line>
  readonly findings: ReadonlyArray<Finding.Finding>
}

/**
 * Reconciles one figure: its lines are written to the control schema's `figure_staged` for the run (the transaction
 * that records the reconciliation moves them into `figure`), and a finding for each line that does not reconcile
 * goes to `emit`.
 */
export const reconcile = async (context: Context, figure: Figure, emit: Finding.Emit): Promise<void> => {
  const reconciled = compare(figure, await entityRecord(context, figure.entity), await figure.legacy(context), await figure.target(context))
  const table = ControlSchema.tables(context.controlSchema).figureStaged
  const d = context.target.dialect
  await context.target.transaction(async (c) => {
    await c.query(`DELETE FROM ${d.qualify(table)} WHERE run_id = ${d.placeholder(1)} AND figure_id = ${d.placeholder(2)}`, [context.runId, figure.id])
    const rows = reconciled.lines.map((l) => [
      context.runId, l.figure, l.dimension, l.value.slice(0, 160), l.measure, l.unit,
      l.source, l.excluded, l.explained, l.expected, l.target, l.variance, l.rows.length === 0 ? null : l.rows.join("\n")
    ])
    for (let i = 0; i < rows.length; i += 5_000) await c.writeRows(table, rows.slice(i, i + 5_000))
  })
  for (let i = 0; i < reconciled.findings.length; i += 5_000) await emit(reconciled.findings.slice(i, i + 5_000))
}

/** Reconciles the parts of a figure's legacy and target rows through what the run did with the legacy rows. */
export const compare = (figure: Figure, record: EntityRecord, legacyParts: Iterable<Part>, targetPartList: Iterable<Part>): Reconciled => {
  const targetParts = new Map<string, Part>()
  for (const part of targetPartList) targetParts.set(part.key, part)
  const cells = new Map<string, Cell>()
  /** The cells a part adds to, per measure: the total and its value on each dimension. */
  const cellsOf = (part: Part): ReadonlyArray<ReadonlyArray<Cell>> => {
    const keys = [[total, total], ...figure.dimensions.map((d, i) => [d, part.dimensions[i] ?? ""])]
    return figure.measures.map((measure, m) =>
      keys.map(([dimension, value]) => {
        const id = JSON.stringify([dimension, value, m])
        let cell = cells.get(id)
        if (cell === undefined) {
          cell = { source: 0, excluded: 0, explained: 0, expected: 0, target: 0, rows: [] }
          if (measure.unit === "distinct") {
            cell.sourceSet = new Set()
            cell.expectedSet = new Set()
            cell.targetSet = new Set()
          }
          cells.set(id, cell)
        }
        return cell
      })
    )
  }
  const targetCells = new Map<string, ReadonlyArray<ReadonlyArray<Cell>>>()
  const targetCellsOf = (part: Part) => {
    let found = targetCells.get(part.key)
    if (found === undefined) targetCells.set(part.key, (found = cellsOf(part)))
    return found
  }
  const add = (part: Part, at: ReadonlyArray<ReadonlyArray<Cell>>, side: "source" | "excluded" | "explained" | "expected" | "target", sign: 1 | -1 = 1) => {
    part.values.forEach((value, m) => {
      for (const cell of at[m]!) {
        if (typeof value === "number") cell[side] += sign * value
        else if (value !== null && side !== "excluded" && side !== "explained") cell[`${side}Set`]!.add(value)
      }
    })
  }
  const note = (at: ReadonlyArray<ReadonlyArray<Cell>>, row: string) => {
    for (const measureCells of at) {
      for (const cell of measureCells) if (cell.rows.length < rowsShown && !cell.rows.includes(row)) cell.rows.push(row)
    }
  }
  const paired = new Set<string>()
  for (const part of legacyParts) {
    const at = cellsOf(part)
    add(part, at, "source")
    if (record.out.has(part.key)) {
      add(part, at, "excluded")
      continue
    }
    if (record.merged.has(part.key)) {
      // merged into another row by a named rule: that row carries the target's part
      add(part, at, "explained", -1)
      continue
    }
    const targetKey = record.xref.get(part.key)
    const targetPart = targetKey === undefined ? undefined : targetParts.get(targetKey)
    if (targetKey !== undefined) paired.add(targetKey)
    const same = sameParts(part, targetPart)
    if (same || !record.flagged.has(part.key)) {
      add(part, at, "expected")
      if (!same) {
        note(at, `${part.key} → ${targetKey ?? "nothing"}`)
        if (targetPart !== undefined) note(targetCellsOf(targetPart), `${part.key} → ${targetKey}`)
      }
    } else {
      // the migration changed this row by a named rule: the target's part is what is expected
      add(part, at, "explained", -1)
      if (targetPart !== undefined) {
        add(targetPart, targetCellsOf(targetPart), "explained")
        add(targetPart, targetCellsOf(targetPart), "expected")
      }
    }
  }
  // migrated rows outside the legacy figure whose target part the migration flagged (a line ended at death, say)
  for (const [legacyKey, targetKey] of record.xref) {
    if (paired.has(targetKey)) continue
    const targetPart = targetParts.get(targetKey)
    if (targetPart === undefined) continue
    paired.add(targetKey)
    if (record.flagged.has(legacyKey)) {
      add(targetPart, targetCellsOf(targetPart), "explained")
      add(targetPart, targetCellsOf(targetPart), "expected")
    } else note(targetCellsOf(targetPart), `${legacyKey} → ${targetKey}`)
  }
  for (const part of targetParts.values()) {
    add(part, targetCellsOf(part), "target")
    if (!paired.has(part.key)) note(targetCellsOf(part), `no legacy row → ${part.key}`)
  }

  const lines: Array<Line> = []
  const findings: Array<Finding.Finding> = []
  for (const [id, cell] of cells) {
    const [dimension, value, m] = JSON.parse(id) as [string, string, number]
    const measure = figure.measures[m]!
    let { excluded, expected, explained, source, target } = cell
    if (measure.unit === "distinct") {
      source = cell.sourceSet!.size
      expected = cell.expectedSet!.size
      target = cell.targetSet!.size
      // people are not additive: what rows taken out and rules changed did to the count, together
      excluded = 0
      explained = expected - source
      for (const k of cell.expectedSet!) if (!cell.targetSet!.has(k) && cell.rows.length < rowsShown) cell.rows.push(`${k} not in the target`)
      for (const k of cell.targetSet!) if (!cell.expectedSet!.has(k) && cell.rows.length < rowsShown) cell.rows.push(`${k} not expected`)
    }
    const distinctDiffers = measure.unit === "distinct" &&
      (cell.expectedSet!.size !== cell.targetSet!.size || [...cell.expectedSet!].some((k) => !cell.targetSet!.has(k)))
    const variance = target - expected
    const line: Line = { figure: figure.id, dimension, value, measure: measure.name, unit: measure.unit, source, excluded, explained, expected, target, variance, rows: variance === 0 && !distinctDiffers ? [] : cell.rows }
    lines.push(line)
    if (variance !== 0 || distinctDiffers) {
      const where = dimension === total ? "in total" : `for ${dimension} ${value}`
      findings.push(Finding.make({
        check: figure.id,
        entity: figure.entity,
        field: `${measure.name} by ${dimension}: ${value}`,
        kind: measure.unit === "pence" ? "money" : "count",
        severity: "error",
        legacyValue: format(measure.unit, expected),
        targetValue: format(measure.unit, target),
        message: `${figure.description}, ${measure.name} ${where}: expected ${format(measure.unit, expected)} (legacy ${format(measure.unit, source)}` +
          `, less ${format(measure.unit, excluded)} quarantined or excluded, ${format(measure.unit, explained)} changed by named rules)` +
          `, target ${format(measure.unit, target)}: ${format(measure.unit, variance)} unexplained` +
          (line.rows.length > 0 ? `; rows: ${line.rows.join(", ")}` : "")
      }))
    }
  }
  lines.sort((a, b) => (a.dimension === b.dimension ? (a.value < b.value ? -1 : a.value > b.value ? 1 : a.measure < b.measure ? -1 : 1) : a.dimension === total ? -1 : b.dimension === total ? 1 : a.dimension < b.dimension ? -1 : 1))
  return { lines, findings }
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

const lineOf = (r: ReadonlyArray<string | null>): Line => ({
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
      `SELECT figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind ` +
        `FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)} ORDER BY figure_id, dimension, dimension_value, measure`,
      [runId]
    )
    return rows.map((r) => ({
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
    }))
  })
