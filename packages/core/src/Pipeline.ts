/**
 * A migration pipeline: entity steps in dependency order, each reading one legacy table, decoding its rows with a
 * Schema of the legacy row and mapping them with pure rules into target rows.
 */
import type { Driver, Table } from "@handover/sql"
import type * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { unstorable } from "./LegacyText.ts"

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

/** A code value that no code map knows: it is reported with its count, and its row is flagged or quarantined. */
export interface UnmappedCode {
  readonly codeSystem: string
  readonly value: string
}

export type Severity = "error" | "warning" | "info"

/** A note on a row that was migrated all the same: a fix made by a rule, or something a data owner should look at. */
export interface Flag {
  readonly rule: string
  readonly field: string
  readonly severity: Severity
  readonly message: string
  readonly unmapped?: UnmappedCode | undefined
}

/** What a mapping does with one decoded legacy row. */
export type Outcome =
  | {
    readonly _tag: "Load"
    readonly targetKey: string
    readonly rows: ReadonlyArray<TargetRow>
    readonly flags: ReadonlyArray<Flag>
    /** A key under which later rows of the entity can find this one and merge into it (a valid NHS number). */
    readonly matchKey: string | null
  }
  | { readonly _tag: "Merge"; readonly targetKey: string; readonly rule: string; readonly flags: ReadonlyArray<Flag> }
  | { readonly _tag: "Exclude"; readonly rule: string; readonly reason: string }
  | {
    readonly _tag: "Quarantine"
    readonly rule: string
    readonly field: string
    readonly reason: string
    readonly unmapped: ReadonlyArray<UnmappedCode>
  }

/** The row becomes target rows; the first row's table is the entity's main table and `targetKey` its key. */
export const load = (targetKey: string, ...rows: ReadonlyArray<TargetRow>): Outcome => ({
  _tag: "Load",
  targetKey,
  rows,
  flags: [],
  matchKey: null
})

/** The row is a duplicate of a row already migrated under `targetKey`. */
export const merge = (targetKey: string, rule: MappingRule, flags: ReadonlyArray<Flag> = []): Outcome => ({
  _tag: "Merge",
  targetKey,
  rule: rule.id,
  flags
})

/** A rule leaves the row out of the target on purpose. */
export const exclude = (rule: MappingRule, reason: string): Outcome => ({ _tag: "Exclude", rule: rule.id, reason })

/** A rule found the row unfit to load; it waits in quarantine with the reason. */
export const quarantine = (
  rule: MappingRule,
  field: string,
  reason: string,
  unmapped: ReadonlyArray<UnmappedCode> = []
): Outcome => ({ _tag: "Quarantine", rule: rule.id, field, reason, unmapped })

/** A flag raised by a rule. */
export const flag = (
  rule: MappingRule,
  field: string,
  severity: Severity,
  message: string,
  unmapped?: UnmappedCode
): Flag => ({ rule: rule.id, field, severity, message, unmapped })

/** Adds flags to a load or merge; other outcomes are returned as they are. */
export const withFlags = (outcome: Outcome, flags: ReadonlyArray<Flag>): Outcome =>
  flags.length === 0 || (outcome._tag !== "Load" && outcome._tag !== "Merge")
    ? outcome
    : { ...outcome, flags: [...outcome.flags, ...flags] }

/** Sets the key under which later duplicates of a loaded row find it. */
export const withMatchKey = (outcome: Outcome, matchKey: string | null): Outcome =>
  outcome._tag === "Load" ? { ...outcome, matchKey } : outcome

export const row = (table: Table.Table, values: Readonly<Record<string, Driver.SqlValue>>): TargetRow => ({ table, values })

/** Lets a mapping find rows migrated before it: by legacy key (through the xref) or by match key. */
export interface TransformContext {
  readonly targetKeyOf: (entity: string, legacyKey: string) => string | undefined
  /** Columns of the migrated main-table row of a referenced legacy row (as asked for by the reference), as text. */
  readonly targetRowOf: (entity: string, legacyKey: string) => Readonly<Record<string, string | null>> | undefined
  /** Columns of a referenced main-table row, found by its target key. */
  readonly targetRowByKey: (entity: string, targetKey: string) => Readonly<Record<string, string | null>> | undefined
  /** Whether a referenced legacy row was excluded by a rule (rather than quarantined or never there). */
  readonly wasExcluded: (entity: string, legacyKey: string) => boolean
  /** The target key of a row of this entity loaded earlier with this match key. */
  readonly matchedTargetKey: (matchKey: string) => string | undefined
  /** The run's parameters (the cut-over date, ...). */
  readonly parameters: Readonly<Record<string, string>>
  /**
   * The value a data owner decided a legacy code value maps to, where the code maps know none (the council's own code
   * map, as the run was made with it).
   */
  readonly councilCode?: ((codeSystem: string, legacyValue: string) => string | undefined) | undefined
}

/**
 * A reference from a row to a row of another entity, resolved before the mapping runs: by the referenced row's
 * legacy key (through the xref), or by its target key, which may come from a reference resolved before it.
 */
export type Reference<L> =
  | {
    readonly entity: string
    readonly legacyKey: (row: L) => string | null
    /** Columns of the referenced entity's main target table to hand to the mapping. */
    readonly columns?: ReadonlyArray<string>
  }
  | {
    readonly entity: string
    readonly targetKey: (row: L, resolved: TransformContext) => string | null
    readonly columns: ReadonlyArray<string>
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
  /** The match key of a row, for finding an earlier row of the same entity to merge into (before the mapping runs). */
  readonly matchKey?: ((row: L) => string | null) | undefined
  readonly transform: (row: L, context: TransformContext) => Outcome
  /** The target tables this step writes, the entity's main table first. */
  readonly targets: ReadonlyArray<Table.Table>
}

/** Each table the pipeline's steps write, once, with the entity of the first step that writes it, in step order. */
export const writtenTables = (pipeline: Pick<Pipeline, "steps">): ReadonlyArray<{ readonly table: Table.Table; readonly entity: string }> => {
  const seen = new Map<string, { readonly table: Table.Table; readonly entity: string }>()
  for (const step of pipeline.steps) {
    for (const table of step.targets) if (!seen.has(table.name)) seen.set(table.name, { table, entity: step.entity })
  }
  return [...seen.values()]
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
  /** Reference data loaded into the target before the first step (code lists, code maps), replaced on every run. */
  readonly referenceData?: ReadonlyArray<{ readonly table: Table.Table; readonly rows: () => ReadonlyArray<ReadonlyArray<Driver.SqlValue>> }>
  /** Work after a step has loaded every row (finding likely duplicates, say); it must be safe to repeat. */
  readonly afterStep?: Readonly<Record<string, (context: AfterStepContext) => Promise<void>>>
  /** Files the council makes from the target (a statutory return), written beside the reports of every run. */
  readonly returns?: ReadonlyArray<Return>
  /**
   * The values a legacy value of a code system may be mapped to (a national list), for data owners who map a value
   * the code maps do not know; undefined where the pipeline has no list.
   */
  readonly codeValues?: (codeSystem: string) => ReadonlyArray<string> | undefined
}

/**
 * A file made from a migrated target for the council, such as a statutory return, so that it can be set beside the
 * one the legacy system made: its rows read a page at a time, each a value (or nothing) for each of its columns.
 */
export interface Return {
  /** The file's name, `cld-return.csv` say. */
  readonly file: string
  /** The columns, in the order of the file, named as the return names them. */
  readonly columns: ReadonlyArray<string>
  readonly rows: (context: ReturnContext) => AsyncIterable<ReadonlyArray<Readonly<Partial<Record<string, string | null>>>>>
}

/** What a return is made from: the run and the target. */
export interface ReturnContext {
  readonly runId: string
  readonly target: Driver.Driver
  readonly targetSchema: string
  readonly controlSchema: string
  readonly parameters: Readonly<Record<string, string>>
}

/** What work after a step can use: the databases' drivers, the run and the control tables. */
export interface AfterStepContext {
  readonly runId: string
  readonly legacy: Driver.Driver
  readonly target: Driver.Driver
  readonly legacySchema: string | undefined
  readonly targetSchema: string
  readonly controlSchema: string
  readonly parameters: Readonly<Record<string, string>>
}

export const make = (pipeline: Pipeline): Pipeline => {
  const entities = new Set<string>()
  for (const s of pipeline.steps) {
    if (entities.has(s.entity)) throw new Error(`pipeline ${pipeline.name}: entity ${s.entity} appears twice`)
    for (const ref of s.references) {
      if ("targetKey" in ref && ref.entity === s.entity) {
        throw new Error(`pipeline ${pipeline.name}: ${s.entity} cannot look up its own rows by target key`)
      }
      if (ref.entity !== s.entity && !entities.has(ref.entity)) {
        throw new Error(`pipeline ${pipeline.name}: ${s.entity} refers to ${ref.entity}, which is not migrated before it`)
      }
    }
    entities.add(s.entity)
  }
  return pipeline
}

/** The longest legacy key the control tables keep (their key columns hold 200 characters). */
export const maxLegacyKeyLength = 200

/**
 * The key of a legacy row as one string: the value itself for a one-column key, a JSON array otherwise. A key the
 * control tables could not hold as it is — a NUL or a broken character (SQL Server can store both), or longer than
 * they keep — is written as its JSON array, and a long one cut short with a digest of the whole key, so that every
 * row, however broken its key, is recorded under a key of its own.
 */
export const legacyKeyOf = (key: ReadonlyArray<string | null>): string => {
  const plain = key.length === 1 ? String(key[0]) : JSON.stringify(key)
  if (plain.length <= maxLegacyKeyLength && (key.length > 1 || unstorable(plain) === undefined)) return plain
  const json = JSON.stringify(key)
  if (json.length <= maxLegacyKeyLength) return json
  const digest = `…sha256:${createHash("sha256").update(json).digest("hex").slice(0, 32)}`
  let cut = maxLegacyKeyLength - digest.length
  // never half a surrogate pair
  if (/[\uD800-\uDBFF]/.test(json[cut - 1] ?? "")) cut--
  return json.slice(0, cut) + digest
}

