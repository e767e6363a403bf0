/**
 * What a rehearsal of a pipeline leaves in its target, independent of its run id: every target table in key order,
 * and the run's rows in the control schema (xref, quarantine, exclusions, flags, code issues, review queue, entity
 * steps) without the run id or clock times. Two runs over the same legacy data must leave the same state, however
 * often they were stopped and resumed.
 */
import type { Pipeline } from "@handover/core"
import { ControlSchema, Table, type Database } from "@handover/sql"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"

export interface TableState {
  readonly rows: number
  /** Rows whose key another row of the table also has. */
  readonly duplicateKeys: number
  readonly digest: string
}

export type State = Readonly<Record<string, TableState>>

const stateOf = (rows: ReadonlyArray<ReadonlyArray<string | null>>, keyWidth: number): TableState => {
  const hash = createHash("sha256")
  const keys = new Set<string>()
  for (const row of rows) {
    hash.update(JSON.stringify(row))
    keys.add(JSON.stringify(row.slice(0, keyWidth)))
  }
  return { rows: rows.length, duplicateKeys: rows.length - keys.size, digest: hash.digest("hex").slice(0, 16) }
}

/** Columns of a run's control rows that differ between two runs of the same data. */
const runBound = new Set(["run_id", "started_at", "ended_at"])

/** The state of the target after the latest run of the pipeline (or the given run). */
export const capture = (
  db: Database.Database,
  pipeline: Pipeline.Pipeline,
  targetSchema: string,
  runId: string,
  controlSchema = ControlSchema.defaultSchema
) =>
  db.use("capture the target", async (d): Promise<State> => {
    const q = d.dialect.quoteIdentifier
    const state: Record<string, TableState> = {}
    for (const table of pipeline.targetTables.map((t) => Table.inSchema(t, targetSchema))) {
      const columns = [...table.primaryKey, ...table.columns.map((c) => c.name).filter((c) => !table.primaryKey.includes(c))]
      const rows = await d.queryText(
        `SELECT ${columns.map(q).join(", ")} FROM ${d.dialect.qualify(table)} ORDER BY ${table.primaryKey.map(q).join(", ")}`
      )
      state[`${targetSchema}.${table.name}`] = stateOf(rows, table.primaryKey.length)
    }
    const control = ControlSchema.tables(controlSchema)
    for (const table of [control.entityStep, control.xref, control.quarantine, control.exclusion, control.flag, control.codeIssue, control.unmappedCode, control.reviewItem]) {
      const key = table.primaryKey.filter((c) => !runBound.has(c))
      const columns = [...key, ...table.columns.map((c) => c.name).filter((c) => !runBound.has(c) && !key.includes(c))]
      const rows = await d.queryText(
        `SELECT ${columns.map(q).join(", ")} FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)} ORDER BY ${
          key.map(q).join(", ")
        }`,
        [runId]
      )
      state[`${controlSchema}.${table.name}`] = stateOf(rows, key.length)
    }
    return state
  })

/** The runs of a pipeline in the target, oldest first. */
export const runs = (db: Database.Database, pipeline: string, controlSchema = ControlSchema.defaultSchema) =>
  db.use("list runs", async (d) =>
    (await d.queryText(
      `SELECT run_id, status, replaced_by FROM ${d.dialect.qualify({ schema: controlSchema, name: "run" })} WHERE pipeline = ${
        d.dialect.placeholder(1)
      } ORDER BY started_at`,
      [pipeline]
    )).map(([runId, status, replacedBy]) => ({ runId: runId!, status: status!, replacedBy })))

/**
 * The conservation law recounted from the databases: for every entity step, the legacy table's rows against the rows
 * the run recorded as loaded or merged (xref), quarantined or excluded. Returns the entities where it does not hold.
 */
export const conservationBreaches = (
  legacy: Database.Database,
  target: Database.Database,
  pipeline: Pipeline.Pipeline,
  runId: string,
  legacySchema: string | undefined,
  controlSchema = ControlSchema.defaultSchema
) =>
  Effect.gen(function*() {
    const breaches: Array<string> = []
    for (const step of pipeline.steps) {
      const source = yield* legacy.use("count legacy rows", async (d) =>
        Number((await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify({ schema: legacySchema, name: step.source.table })}`))[0]![0]))
      const recorded = yield* target.use("count recorded rows", async (d) => {
        let n = 0
        for (const name of ["xref", "quarantine", "exclusion"]) {
          const [row] = await d.queryText(
            `SELECT COUNT(*) FROM ${d.dialect.qualify({ schema: controlSchema, name })} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = ${
              d.dialect.placeholder(2)
            }`,
            [runId, step.entity]
          )
          n += Number(row![0])
        }
        return n
      })
      if (source !== recorded) breaches.push(`${step.entity}: ${source} legacy rows, ${recorded} recorded`)
    }
    return breaches
  })

/** The tables whose state differs between two captures, with both states. */
export const differences = (expected: State, actual: State) =>
  [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
    .filter((k) => JSON.stringify(expected[k]) !== JSON.stringify(actual[k]))
    .map((k) => `${k}: expected ${JSON.stringify(expected[k])}, got ${JSON.stringify(actual[k])}`)
