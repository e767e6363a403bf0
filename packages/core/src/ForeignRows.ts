/**
 * Rows in a pipeline's target tables that no Handover run wrote. A new run empties the target tables before it
 * loads, and a purge empties them after its proof, so both must first know that every row there is one of theirs —
 * a target URL pointing at a live system, or at a database someone else fills, must be refused, not emptied.
 *
 * A row is accounted for when:
 * - in the main table of an entity step (its first target), its key is the target key of a row the run loaded
 *   (`xref`, outcome `loaded`, for any entity whose main table it is);
 * - in another target of a step (a companion, such as the package line items written with each service), it carries
 *   the main table's key column and that key is one the run loaded for the step's entity;
 * - in a table of the pipeline's reference data (code lists, code maps), its key is one of that data's rows.
 * Any other row is foreign, and so is every row of target tables in a database with no control schema. The runs that
 * account for rows are the pipeline's runs whose load is still in the target (not replaced, not purged), or the one
 * run a purge names.
 */
import { ControlSchema, Table, type Database, type Driver } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Pipeline } from "./Pipeline.ts"

export interface Foreign {
  /** The table, schema-qualified. */
  readonly table: string
  readonly rows: number
}

export class ForeignRowsError extends Schema.TaggedError<ForeignRowsError>()("ForeignRowsError", {
  message: Schema.String,
  tables: Schema.Array(Schema.Struct({ table: Schema.String, rows: Schema.Number }))
}) {}

export interface Options {
  readonly targetSchema: string
  readonly controlSchema?: string | undefined
  /** The runs whose loads account for rows; by default the pipeline's runs whose load is still in the target. */
  readonly runIds?: ReadonlyArray<string> | undefined
}

/** How each target table of a pipeline is accounted for. */
type Owner =
  | { readonly _tag: "main"; readonly entities: ReadonlyArray<string>; readonly key: string }
  | { readonly _tag: "companion"; readonly entities: ReadonlyArray<string>; readonly key: string }
  | { readonly _tag: "reference"; readonly keys: ReadonlySet<string> }
  | { readonly _tag: "none" }

const rowKey = (values: ReadonlyArray<unknown>) => JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))))

/** How each target table of the pipeline is accounted for; a pipeline that breaks the conventions is a defect. */
export const owners = (pipeline: Pipeline): ReadonlyMap<string, Owner> => {
  const result = new Map<string, Owner>()
  const written = new Map<string, { readonly _tag: "main" | "companion"; readonly key: string; readonly entities: ReadonlyArray<string> }>()
  const add = (name: string, tag: "main" | "companion", entity: string, key: string) => {
    const known = written.get(name)
    if (known !== undefined && (known._tag !== tag || known.key !== key)) {
      throw new Error(`${pipeline.name}: ${name} is written by more than one kind of step; its rows cannot be told apart`)
    }
    const owner = { _tag: tag, key, entities: [...(known?.entities ?? []), entity] }
    written.set(name, owner)
    result.set(name, owner)
  }
  for (const step of pipeline.steps) {
    const [main, ...companions] = step.targets
    if (main === undefined) continue
    if (main.primaryKey.length !== 1) throw new Error(`${pipeline.name}: ${main.name} has a composite key; a loaded row is known by one key column`)
    const key = main.primaryKey[0]!
    add(main.name, "main", step.entity, key)
    for (const companion of companions) {
      if (!companion.columns.some((c) => c.name === key)) {
        throw new Error(`${pipeline.name}: ${companion.name} is written with ${main.name} but has no ${key} column to tell whose row it is`)
      }
      add(companion.name, "companion", step.entity, key)
    }
  }
  for (const reference of pipeline.referenceData ?? []) {
    const positions = reference.table.primaryKey.map((k) => reference.table.columns.findIndex((c) => c.name === k))
    result.set(reference.table.name, { _tag: "reference", keys: new Set(reference.rows().map((row) => rowKey(positions.map((p) => row[p])))) })
  }
  for (const table of pipeline.targetTables) if (!result.has(table.name)) result.set(table.name, { _tag: "none" })
  return result
}

const count = async (d: Driver.Driver, sql: string, params: ReadonlyArray<unknown> = []) => Number((await d.queryText(sql, params))[0]![0])

/** The target tables of the pipeline that hold rows no run accounts for, with how many. */
export const find = (target: Database.Database, pipeline: Pipeline, options: Options) =>
  Effect.try({
    try: () => owners(pipeline),
    catch: (error) => new ForeignRowsError({ message: error instanceof Error ? error.message : String(error), tables: [] })
  }).pipe(Effect.flatMap((tableOwners) => {
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    return target.use("look for rows Handover did not load", async (d): Promise<ReadonlyArray<Foreign>> => {
      const q = d.dialect.quoteIdentifier
      const p = d.dialect.placeholder
      const existing = new Set(
        (await d.queryText(
          `SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA IN (${p(1)}, ${p(2)})`,
          [options.targetSchema, controlSchema]
        )).map(([schema, name]) => `${schema}.${name}`)
      )
      const control = ControlSchema.tables(controlSchema)
      const hasLedger = existing.has(`${controlSchema}.${control.run.name}`) && existing.has(`${controlSchema}.${control.xref.name}`)
      const runIds = options.runIds ?? (hasLedger
        ? (await d.queryText(
          `SELECT run_id FROM ${d.dialect.qualify(control.run)} WHERE pipeline = ${p(1)} AND replaced_by IS NULL AND status <> 'purged'`,
          [pipeline.name]
        )).map(([id]) => id!)
        : [])
      const foreign: Array<Foreign> = []
      for (const table of pipeline.targetTables.map((t) => Table.inSchema(t, options.targetSchema))) {
        if (!existing.has(`${options.targetSchema}.${table.name}`)) continue
        const owner = tableOwners.get(table.name) ?? { _tag: "none" }
        const from = d.dialect.qualify(table)
        let rows: number
        if ((owner._tag === "main" || owner._tag === "companion") && hasLedger && runIds.length > 0) {
          const column = table.columns.find((c) => c.name === owner.key)!
          const key = column.type._tag === "text" ? `m.${q(owner.key)}` : `CAST(m.${q(owner.key)} AS VARCHAR(200))`
          const params = [...runIds, ...owner.entities]
          const runList = runIds.map((_, i) => p(i + 1)).join(", ")
          const entityList = owner.entities.map((_, i) => p(runIds.length + i + 1)).join(", ")
          rows = await count(
            d,
            `SELECT COUNT(*) FROM ${from} m WHERE NOT EXISTS (SELECT 1 FROM ${d.dialect.qualify(control.xref)} x WHERE x.run_id IN (${runList}) ` +
              `AND x.entity IN (${entityList}) AND x.outcome = 'loaded' AND x.target_key = ${key})`,
            params
          )
        } else if (owner._tag === "reference") {
          const keys = await d.queryText(`SELECT ${table.primaryKey.map(q).join(", ")} FROM ${from}`)
          rows = keys.filter((k) => !owner.keys.has(rowKey(k))).length
        } else {
          rows = await count(d, `SELECT COUNT(*) FROM ${from}`)
        }
        if (rows > 0) foreign.push({ table: `${options.targetSchema}.${table.name}`, rows })
      }
      return foreign
    })
  }))

/** In words: the tables and their foreign rows. */
export const describe = (foreign: ReadonlyArray<Foreign>) =>
  foreign.map((f) => `${f.table} (${f.rows} ${f.rows === 1 ? "row" : "rows"})`).join(", ")

/**
 * Fails with `ForeignRowsError` when the target tables hold rows no Handover run loaded, naming each table and its
 * count: a new run would delete them.
 */
export const refuse = (target: Database.Database, pipeline: Pipeline, options: Options) =>
  Effect.flatMap(find(target, pipeline, options), (foreign) =>
    foreign.length === 0 ? Effect.void : Effect.fail(
      new ForeignRowsError({
        message: `${target.display} holds rows that no Handover rehearsal loaded: ${describe(foreign)}. A new run empties these tables before ` +
          `it loads. Check that this is the rehearsal target; to load anyway, deleting those rows, pass --allow-foreign-rows`,
        tables: foreign
      })
    ))
