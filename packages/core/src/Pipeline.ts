/**
 * A migration pipeline: entity steps in dependency order, each reading one legacy table, decoding its rows with a
 * Schema of the legacy row and mapping them with pure rules into target rows.
 */
import type { Driver, Table } from "@handover/sql"
import type * as Schema from "effect/Schema"

/** A mapping rule, named by a stable id that every finding, exclusion and quarantine entry refers to. */
export interface MappingRule {
  readonly id: string
  readonly description: string
}

/** A legacy row as read: every column as text, or NULL. */
export type LegacyText = Readonly<Record<string, string | null>>

export interface TargetRow {
  readonly table: Table.Table
  readonly values: Readonly<Record<string, Driver.SqlValue>>
}

/** What a mapping does with one decoded legacy row. */
export type Outcome =
  | { readonly _tag: "Load"; readonly targetKey: string; readonly rows: ReadonlyArray<TargetRow> }
  | { readonly _tag: "Merge"; readonly targetKey: string; readonly rule: string }
  | { readonly _tag: "Exclude"; readonly rule: string; readonly reason: string }
  | { readonly _tag: "Quarantine"; readonly rule: string; readonly field: string; readonly reason: string }

/** The row becomes target rows; the first row's table is the entity's main table and `targetKey` its key. */
export const load = (targetKey: string, ...rows: ReadonlyArray<TargetRow>): Outcome => ({ _tag: "Load", targetKey, rows })

/** The row is a duplicate of a row already migrated under `targetKey`. */
export const merge = (targetKey: string, rule: MappingRule): Outcome => ({ _tag: "Merge", targetKey, rule: rule.id })

/** A rule leaves the row out of the target on purpose. */
export const exclude = (rule: MappingRule, reason: string): Outcome => ({ _tag: "Exclude", rule: rule.id, reason })

/** A rule found the row unfit to load; it waits in quarantine with the reason. */
export const quarantine = (rule: MappingRule, field: string, reason: string): Outcome => ({
  _tag: "Quarantine",
  rule: rule.id,
  field,
  reason
})

export const row = (table: Table.Table, values: Readonly<Record<string, Driver.SqlValue>>): TargetRow => ({ table, values })

/** Lets a mapping find the target key of a row of an earlier entity (or an earlier row of its own entity). */
export interface TransformContext {
  readonly targetKeyOf: (entity: string, legacyKey: string) => string | undefined
}

/** A reference from a row to a row of another entity, resolved through the xref before the mapping runs. */
export interface Reference<L> {
  readonly entity: string
  readonly legacyKey: (row: L) => string | null
}

export interface EntityStep<L = any> {
  /** The entity in the users' words: client, address, care package... */
  readonly entity: string
  readonly source: {
    readonly table: string
    readonly key: ReadonlyArray<string>
    readonly columns: ReadonlyArray<string>
  }
  /** The Schema of the legacy row, decoding the text columns. */
  readonly legacyRow: Schema.Codec<L, LegacyText>
  readonly references: ReadonlyArray<Reference<L>>
  readonly rules: ReadonlyArray<MappingRule>
  readonly transform: (row: L, context: TransformContext) => Outcome
  /** The target tables this step writes, the entity's main table first. */
  readonly targets: ReadonlyArray<Table.Table>
}

/** Declares a step, inferring the legacy row type from its Schema. */
export const step = <L>(definition: EntityStep<L>): EntityStep<L> => {
  const ids = new Set<string>()
  for (const rule of definition.rules) {
    if (ids.has(rule.id)) throw new Error(`entity ${definition.entity}: rule id ${rule.id} is declared twice`)
    ids.add(rule.id)
  }
  for (const column of definition.source.key) {
    if (!definition.source.columns.includes(column)) {
      throw new Error(`entity ${definition.entity}: key column ${column} is not among the source columns`)
    }
  }
  return definition
}

export interface Pipeline {
  readonly name: string
  readonly version: string
  /** Every target table, parents before children. */
  readonly targetTables: ReadonlyArray<Table.Table>
  readonly steps: ReadonlyArray<EntityStep>
}

export const make = (pipeline: Pipeline): Pipeline => {
  const entities = new Set<string>()
  for (const s of pipeline.steps) {
    if (entities.has(s.entity)) throw new Error(`pipeline ${pipeline.name}: entity ${s.entity} appears twice`)
    for (const ref of s.references) {
      if (ref.entity !== s.entity && !entities.has(ref.entity)) {
        throw new Error(`pipeline ${pipeline.name}: ${s.entity} refers to ${ref.entity}, which is not migrated before it`)
      }
    }
    entities.add(s.entity)
  }
  return pipeline
}

/** The key of a legacy row as one string: the value itself for a one-column key, a JSON array otherwise. */
export const legacyKeyOf = (key: ReadonlyArray<string | null>): string =>
  key.length === 1 ? String(key[0]) : JSON.stringify(key)

/** The inverse of `legacyKeyOf`: the key's column values. */
export const keyValuesOf = (legacyKey: string, width: number): ReadonlyArray<string> =>
  width === 1 ? [legacyKey] : (JSON.parse(legacyKey) as Array<string>)
