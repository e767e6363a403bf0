/**
 * Removes one trial load from the target and nothing else. A run's load is in the target until a later run of the
 * pipeline replaces it; purging it empties the pipeline's target tables after proving, table by table, that every
 * row there is one the run loaded (its key in the run's xref). Anything else in a table — rows another process
 * wrote, rows of a run not recorded — makes the purge refuse and change nothing. The run keeps its counts, xref,
 * quarantine and findings in the control schema, marked `purged`.
 */
import { ControlSchema, Names, Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { TargetDatabase } from "./Databases.ts"
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
    return yield* target.use("purge a run", async (d): Promise<Purged> => {
      const t = ControlSchema.tables(controlSchema)
      const q = d.dialect.qualify
      const p = d.dialect.placeholder
      const removed: Record<string, number> = {}
      const owned = new Set<string>()
      // a main table may take the rows of more than one entity (contributions and transport trips both become
      // client charges): its rows are the run's when the xref of any of them has their key
      const entitiesOf = new Map<string, { readonly table: Table.Table; readonly entities: Array<string> }>()
      for (const step of pipeline.steps) {
        const main = entitiesOf.get(step.targets[0]!.name) ?? { table: step.targets[0]!, entities: [] }
        main.entities.push(step.entity)
        entitiesOf.set(main.table.name, main)
      }
      for (const { table, entities } of entitiesOf.values()) {
        const main = Table.inSchema(table, options.targetSchema)
        if (main.primaryKey.length !== 1) throw new Error( `${main.name} has a composite key: purge needs one key column`)
        const key = d.dialect.quoteIdentifier(main.primaryKey[0]!)
        const [strangers] = await d.queryText(
          `SELECT COUNT(*) FROM ${q(main)} m WHERE NOT EXISTS (SELECT 1 FROM ${q(t.xref)} x WHERE x.run_id = ${p(1)} ` +
            `AND x.entity IN (${entities.map((_, i) => p(i + 2)).join(", ")}) AND x.outcome = 'loaded' AND x.target_key = m.${key})`,
          [run.runId, ...entities]
        )
        if (Number(strangers![0]) > 0) {
          throw new Error( `${main.name} holds ${strangers![0]} rows that run ${run.runId} did not load: nothing was removed`)
        }
        owned.add(main.name)
      }
      const tables = pipeline.targetTables.map((table) => Table.inSchema(table, options.targetSchema))
      for (const table of tables) removed[table.name] = Number((await d.queryText(`SELECT COUNT(*) FROM ${q(table)}`))[0]![0])
      await d.transaction(async (c) => {
        for (const statement of d.dialect.clearTables(tables)) await c.query(statement)
        await c.query(`UPDATE ${q(t.run)} SET status = 'purged', message = ${p(1)} WHERE run_id = ${p(2)}`, [`purged at ${new Date().toISOString()}`, run.runId])
      })
      return { runId: run.runId, removed, note: `removed its load from ${owned.size} entity tables and their companions` }
    })
  })
