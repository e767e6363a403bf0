/**
 * Removes one trial load from the target and nothing else. A run's load is in the target until a later run of the
 * pipeline replaces it; purging it empties the pipeline's target tables after proving, table by table, that every
 * row there is one the run loaded (its key in the run's xref, or for a companion table the key of the main row it
 * was written with) or one of the pipeline's reference data (`ForeignRows`). Anything else in a table — rows another
 * process wrote, rows of a run not recorded — makes the purge refuse and change nothing. The run keeps its counts, xref,
 * quarantine and findings in the control schema, marked `purged`.
 */
import { ControlSchema, Names, Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { TargetDatabase } from "./Databases.ts"
import * as ForeignRows from "./ForeignRows.ts"
import * as Ledger from "./Ledger.ts"
import type { Pipeline } from "./Pipeline.ts"

export class PurgeError extends Schema.TaggedError<PurgeError>()("PurgeError", { message: Schema.String }) {}

export interface Purged {
  readonly runId: string
  /** Rows removed, by table; empty when the run's load had already been replaced. */
  readonly removed: Readonly<Record<string, number>>
  readonly note: string
}

export const purge = (pipeline: Pipeline, options: { readonly runId: string; readonly targetSchema: string; readonly controlSchema?: string }) =>
  Effect.gen(function*() {
    const target = yield* TargetDatabase
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    yield* Names.created("target schema", options.targetSchema)
    yield* Ledger.migrate(target, controlSchema)
    const run = (yield* Ledger.make(target, controlSchema).runs()).find((r) => r.runId === options.runId)
    if (run === undefined) return yield* new PurgeError({ message: `no run ${options.runId} in this target` })
    if (run.pipeline !== pipeline.name) return yield* new PurgeError({ message: `run ${run.runId} is a ${run.pipeline} run, not ${pipeline.name}` })
    if (run.status === "purged") return { runId: run.runId, removed: {}, note: "already purged" } satisfies Purged
    if (run.replacedBy !== null) {
      return { runId: run.runId, removed: {}, note: `its load was replaced by run ${run.replacedBy}: none of it is in the target` } satisfies Purged
    }
    // every row of every target table must be the run's: its key in the run's xref (a main table's row, or a
    // companion's row by the main table's key), or a row of the pipeline's reference data
    const foreign = yield* ForeignRows.find(target, pipeline, { targetSchema: options.targetSchema, controlSchema, runIds: [run.runId] })
    if (foreign.length > 0) {
      return yield* new PurgeError({
        message: `the target holds rows that run ${run.runId} did not load: ${ForeignRows.describe(foreign)}; nothing was removed`
      })
    }
    const entityTables = new Set(pipeline.steps.map((step) => step.targets[0]!.name))
    return yield* target.use("purge a run", async (d): Promise<Purged> => {
      const t = ControlSchema.tables(controlSchema)
      const q = d.dialect.qualify
      const p = d.dialect.placeholder
      const removed: Record<string, number> = {}
      const tables = pipeline.targetTables.map((table) => Table.inSchema(table, options.targetSchema))
      for (const table of tables) removed[table.name] = Number((await d.queryText(`SELECT COUNT(*) FROM ${q(table)}`))[0]![0])
      await d.transaction(async (c) => {
        for (const statement of d.dialect.clearTables(tables)) await c.query(statement)
        await c.query(`UPDATE ${q(t.run)} SET status = 'purged', message = ${p(1)} WHERE run_id = ${p(2)}`, [`purged at ${new Date().toISOString()}`, run.runId])
      })
      return { runId: run.runId, removed, note: `removed its load from ${entityTables.size} entity tables and their companions` }
    })
  })
