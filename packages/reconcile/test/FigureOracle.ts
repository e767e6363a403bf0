/**
 * The in-memory reconciliation of a figure, kept as the oracle the reconciliation in the database is held to: it
 * pairs parts through a run's record of the entity held in maps and sets, and groups them into cells.
 */
import { ControlSchema } from "@handover/sql"
import * as Figure from "../src/Figure.ts"
import * as Finding from "../src/Finding.ts"

type Part = Figure.Part
type Line = Figure.Line
const total = Figure.total
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
export const entityRecord = async (context: Figure.Context, entity: string): Promise<EntityRecord> => {
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

/** Reconciles the parts of a figure's legacy and target rows through what the run did with the legacy rows. */
export const compare = (
  figure: Figure.Figure,
  record: EntityRecord,
  legacyParts: Iterable<Part>,
  targetPartList: Iterable<Part>,
  rowsShown = 10
): Reconciled => {
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
        legacyValue: Figure.format(measure.unit, expected),
        targetValue: Figure.format(measure.unit, target),
        message: `${figure.description}, ${measure.name} ${where}: expected ${Figure.format(measure.unit, expected)} (legacy ${Figure.format(measure.unit, source)}` +
          `, less ${Figure.format(measure.unit, excluded)} quarantined or excluded, ${Figure.format(measure.unit, explained)} changed by named rules)` +
          `, target ${Figure.format(measure.unit, target)}: ${Figure.format(measure.unit, variance)} unexplained` +
          (line.rows.length > 0 ? `; rows: ${line.rows.join(", ")}` : "")
      }))
    }
  }
  lines.sort((a, b) => (a.dimension === b.dimension ? (a.value < b.value ? -1 : a.value > b.value ? 1 : a.measure < b.measure ? -1 : 1) : a.dimension === total ? -1 : b.dimension === total ? 1 : a.dimension < b.dimension ? -1 : 1))
  return { lines, findings }
}

