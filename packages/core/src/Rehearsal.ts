/**
 * One rehearsal: every entity step of a pipeline, from the legacy database into the target, batch by batch, each
 * batch committed with its checkpoint, each step closed by the conservation law. A rehearsal that stopped part way
 * resumes from its checkpoints; a new one replaces the previous load.
 */
import { ControlSchema, Driver, Names, Retry, SqlDialect, Table, type Database } from "@handover/sql"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createHash, randomUUID } from "node:crypto"
import * as Counts from "./Counts.ts"
import { LegacyDatabase, TargetDatabase } from "./Databases.ts"
import * as Decode from "./Decode.ts"
import * as Ledger from "./Ledger.ts"
import {
  legacyKeyOf,
  type EntityStep,
  type LegacyText,
  type Outcome,
  type Pipeline,
  type TransformContext,
  type UnmappedCode
} from "./Pipeline.ts"
import * as Source from "./Source.ts"

export class ConservationError extends Schema.TaggedError<ConservationError>()("ConservationError", {
  runId: Schema.String,
  entity: Schema.String,
  message: Schema.String
}) {}

export class RehearsalError extends Schema.TaggedError<RehearsalError>()("RehearsalError", {
  message: Schema.String
}) {}

export interface Options {
  /** The rehearsal series this run belongs to, e.g. `trial-3`. */
  readonly rehearsal: string
  readonly batchSize?: number
  /** Schema of the legacy tables; none: the connection's default. */
  readonly legacySchema?: string | undefined
  /** Schema of the target tables. */
  readonly targetSchema: string
  readonly controlSchema?: string
  readonly readMode?: Source.ReadMode
  /** Continue the latest unfinished run of the same rehearsal and configuration (default), or always start afresh. */
  readonly resume?: boolean
  readonly codeVersion?: string
  /** Values the mappings may use, such as the cut-over date; part of the configuration a resume must match. */
  readonly parameters?: Readonly<Record<string, string>>
}

export interface StepEvent {
  readonly runId: string
  readonly entity: string
  readonly position: number
}

export interface BatchEvent extends StepEvent {
  readonly batch: number
  readonly counts: Counts.Counts
}

/** What hears about a rehearsal as it goes: progress displays, and tests that stop a run at a chosen point. */
export interface ObserverShape {
  readonly stepStarted: (event: StepEvent & { readonly resumedAt: Counts.Counts }) => Effect.Effect<void>
  /** Called inside the batch's transaction, before it commits: a failure here rolls the batch back. */
  readonly beforeCommit: (event: BatchEvent) => Effect.Effect<void>
  readonly batchCommitted: (event: BatchEvent) => Effect.Effect<void>
  readonly stepFinished: (event: StepEvent & { readonly counts: Counts.Counts }) => Effect.Effect<void>
}

/** Hears about a rehearsal as it goes; by default, nobody listens. */
export const Observer = Context.Reference<ObserverShape>("@handover/core/Rehearsal/Observer", {
  defaultValue: () => ({
    stepStarted: () => Effect.void,
    beforeCommit: () => Effect.void,
    batchCommitted: () => Effect.void,
    stepFinished: () => Effect.void
  })
})

export interface StepResult {
  readonly entity: string
  readonly counts: Counts.Counts
}

export interface Result {
  readonly runId: string
  readonly rehearsal: string
  readonly resumed: boolean
  readonly steps: ReadonlyArray<StepResult>
}

/** A digest of what decides a run's output: the pipeline, its rules and where it writes. */
export const configHash = (pipeline: Pipeline, options: Options): string =>
  createHash("sha256").update(JSON.stringify({
    pipeline: pipeline.name,
    version: pipeline.version,
    legacySchema: options.legacySchema ?? null,
    targetSchema: options.targetSchema,
    parameters: options.parameters ?? {},
    steps: pipeline.steps.map((s) => ({
      entity: s.entity,
      source: s.source,
      rules: s.rules.map((r) => r.id),
      targets: s.targets.map((t) => ({ name: t.name, columns: t.columns, primaryKey: t.primaryKey }))
    }))
  })).digest("hex")

/** The target tables of a pipeline, placed in the target schema. */
export const targetTables = (pipeline: Pipeline, targetSchema: string) =>
  pipeline.targetTables.map((t) => Table.inSchema(t, targetSchema))

/** Creates the control schema and the pipeline's target tables where they are missing. */
export const prepareTarget = (target: Database.Database, pipeline: Pipeline, options: Options) =>
  Effect.gen(function*() {
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    yield* Ledger.migrate(target, controlSchema)
    yield* target.use("create target schema", async (d) => {
      await d.query(d.dialect.createSchema(options.targetSchema))
      for (const table of targetTables(pipeline, options.targetSchema)) await d.query(d.dialect.createTable(table))
    })
  })

interface BatchWrites {
  readonly targets: Map<string, Array<ReadonlyArray<Driver.SqlValue>>>
  readonly xref: Array<ReadonlyArray<Driver.SqlValue>>
  readonly quarantine: Array<ReadonlyArray<Driver.SqlValue>>
  readonly exclusion: Array<ReadonlyArray<Driver.SqlValue>>
  readonly flags: Array<ReadonlyArray<Driver.SqlValue>>
  readonly codeIssues: Array<ReadonlyArray<Driver.SqlValue>>
  counts: Counts.Counts
}

/** What the xref and the target already know for one batch: references and earlier rows with the same match keys. */
export interface Resolved {
  /** What data owners decided of some rows of the entity: not to migrate them, or to merge them into another row. */
  readonly decisions?: Ledger.RowDecisions | undefined
  /** The council's code maps the run is made with, by `Ledger.councilCodeKey`. */
  readonly councilCodes?: ReadonlyMap<string, string> | undefined
  readonly keys: ReadonlyMap<string, ReadonlyMap<string, string>>
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, Readonly<Record<string, string | null>>>>
  readonly byTargetKey: ReadonlyMap<string, ReadonlyMap<string, Readonly<Record<string, string | null>>>>
  readonly excluded: ReadonlyMap<string, ReadonlySet<string>>
  readonly matches: ReadonlyMap<string, string>
}

const contextOf = (
  step: EntityStep,
  resolved: Resolved,
  own: { readonly keys: ReadonlyMap<string, string>; readonly matches: ReadonlyMap<string, string> },
  parameters: Readonly<Record<string, string>>
): TransformContext => ({
  targetKeyOf: (entity, legacyKey) =>
    (entity === step.entity ? own.keys.get(legacyKey) : undefined) ?? resolved.keys.get(entity)?.get(legacyKey),
  targetRowOf: (entity, legacyKey) => resolved.rows.get(entity)?.get(legacyKey),
  targetRowByKey: (entity, targetKey) => resolved.byTargetKey.get(entity)?.get(targetKey),
  wasExcluded: (entity, legacyKey) => resolved.excluded.get(entity)?.has(legacyKey) ?? false,
  matchedTargetKey: (matchKey) => own.matches.get(matchKey) ?? resolved.matches.get(matchKey),
  parameters,
  councilCode: (codeSystem, legacyValue) => resolved.councilCodes?.get(Ledger.councilCodeKey(codeSystem, legacyValue))
})

/**
 * The values of a target row in column order, checked against the table: a value that would not fit its column is a
 * reason to quarantine the row, never to cut it short.
 */
const valuesInOrder = (table: Table.Table, values: Readonly<Record<string, Driver.SqlValue>>, entity: string) =>
  table.columns.map((c) => {
    const v = values[c.name]
    if (v === undefined) throw new Error(`${entity}: the mapping gave no value for ${table.name}.${c.name}`)
    if (v === null && !c.nullable) throw new Error(`${entity}: ${table.name}.${c.name} cannot be empty`)
    // too long, out of range, a date the target has no day for, a NUL: the database would refuse the whole batch
    const problem = Table.valueProblem(c, v)
    if (problem !== undefined) throw new Error(`${table.name}.${c.name} ${problem}`)
    return v
  })

const rawJson = (row: LegacyText) => JSON.stringify(row)

/** What the mapping made of one legacy row. */
export type RowResult =
  | { readonly _tag: "DecodeFailure"; readonly legacyKey: string; readonly text: LegacyText; readonly fieldPath: string; readonly reason: string }
  | { readonly _tag: "MappingFailure"; readonly legacyKey: string; readonly text: LegacyText; readonly reason: string }
  | {
    readonly _tag: "Mapped"
    readonly legacyKey: string
    readonly text: LegacyText
    readonly outcome: Outcome
    /** The target rows of a load, placed and in column order. */
    readonly rows: ReadonlyArray<readonly [Table.Table, ReadonlyArray<Driver.SqlValue>]>
  }

/**
 * Maps one batch of legacy rows. Pure apart from what was resolved for it; `ownMatches` collects the match keys of
 * rows loaded so far (for one batch while migrating, across the whole entity when the mapping is re-run to check it).
 */
export const mapRows = (
  step: EntityStep,
  placed: ReadonlyMap<string, Table.Table>,
  rows: ReadonlyArray<Driver.TextRow>,
  texts: ReadonlyArray<LegacyText>,
  decodedRows: ReadonlyArray<unknown>,
  keyPositions: ReadonlyArray<number>,
  resolved: Resolved,
  parameters: Readonly<Record<string, string>>,
  ownMatches: Map<string, string>
): ReadonlyArray<RowResult> => {
  const ownKeys = new Map<string, string>()
  const context = contextOf(step, resolved, { keys: ownKeys, matches: ownMatches }, parameters)
  const results: Array<RowResult> = []
  for (const [index, textRow] of rows.entries()) {
    const text = texts[index]!
    const legacyKey = legacyKeyOf(keyPositions.map((p) => textRow[p] ?? null))
    if (resolved.decisions?.notToMigrate.has(legacyKey) === true) {
      results.push({ _tag: "Mapped", legacyKey, text, outcome: { _tag: "Exclude", rule: Ledger.notToMigrateRule.id, reason: "a data owner decided it is not to be migrated" }, rows: [] })
      continue
    }
    const other = resolved.decisions?.sameAs.get(legacyKey)
    if (other !== undefined) {
      // merged into the other row's person; held back until the other row is loaded (it may come later)
      const survivor = context.targetKeyOf(step.entity, other)
      const outcome: Outcome = survivor === undefined
        ? { _tag: "Quarantine", rule: Ledger.samePersonRule.id, field: "(row)", reason: `decided the same person as ${step.entity} ${other}, which is not migrated`, unmapped: [] }
        : { _tag: "Merge", targetKey: survivor, rule: Ledger.samePersonRule.id, flags: [] }
      if (outcome._tag === "Merge") ownKeys.set(legacyKey, outcome.targetKey)
      results.push({ _tag: "Mapped", legacyKey, text, outcome, rows: [] })
      continue
    }
    const decoded = decodedRows[index]
    if (Decode.isFailure(decoded)) {
      results.push({ _tag: "DecodeFailure", legacyKey, text, fieldPath: decoded.fieldPath, reason: decoded.reason })
      continue
    }
    let outcome: Outcome
    let rowsOut: ReadonlyArray<readonly [Table.Table, ReadonlyArray<Driver.SqlValue>]> = []
    try {
      outcome = step.transform(decoded, context)
      if (outcome._tag === "Load") {
        // check every row before any is kept, so a bad row leaves nothing half-written
        rowsOut = outcome.rows.map((r) => {
          const table = placed.get(r.table.name)
          if (table === undefined) throw new Error(`${step.entity}: ${r.table.name} is not a target of this step`)
          return [table, valuesInOrder(table, r.values, step.entity)] as const
        })
      }
    } catch (error) {
      results.push({ _tag: "MappingFailure", legacyKey, text, reason: `the mapping failed: ${error instanceof Error ? error.message : String(error)}` })
      continue
    }
    if (outcome._tag === "Load") {
      ownKeys.set(legacyKey, outcome.targetKey)
      if (outcome.matchKey !== null && !ownMatches.has(outcome.matchKey)) ownMatches.set(outcome.matchKey, outcome.targetKey)
    } else if (outcome._tag === "Merge") {
      ownKeys.set(legacyKey, outcome.targetKey)
    }
    results.push({ _tag: "Mapped", legacyKey, text, outcome, rows: rowsOut })
  }
  return results
}

/** Turns one batch of mapped rows into the rows to write, with its counts. */
const writesOf = (runId: string, step: EntityStep, results: ReadonlyArray<RowResult>): BatchWrites => {
  const writes: BatchWrites = {
    targets: new Map(),
    xref: [],
    quarantine: [],
    exclusion: [],
    flags: [],
    codeIssues: [],
    counts: { ...Counts.zero, read: results.length }
  }
  const mainTable = step.targets[0]!.name
  const codeIssue = (legacyKey: string, unmapped: ReadonlyArray<UnmappedCode>, outcome: string) => {
    const seen = new Set<string>()
    for (const u of unmapped) {
      if (seen.has(u.codeSystem)) continue
      seen.add(u.codeSystem)
      writes.codeIssues.push([runId, step.entity, legacyKey, u.codeSystem, u.value.slice(0, 200), outcome])
    }
  }
  let loaded = 0, merged = 0, quarantined = 0, excluded = 0
  for (const result of results) {
    const { legacyKey, text } = result
    if (result._tag === "DecodeFailure") {
      writes.quarantine.push([runId, step.entity, legacyKey, "decode", result.fieldPath, result.reason, null, rawJson(text)])
      quarantined++
      continue
    }
    if (result._tag === "MappingFailure") {
      writes.quarantine.push([runId, step.entity, legacyKey, "transform", "(row)", result.reason, null, rawJson(text)])
      quarantined++
      continue
    }
    const outcome = result.outcome
    if (outcome._tag === "Load" || outcome._tag === "Merge") {
      outcome.flags.forEach((f, seq) =>
        writes.flags.push([runId, step.entity, legacyKey, seq, f.rule, f.field.slice(0, 200), f.severity, f.message])
      )
      codeIssue(legacyKey, outcome.flags.flatMap((f) => (f.unmapped === undefined ? [] : [f.unmapped])), "flagged")
    }
    switch (outcome._tag) {
      case "Load":
        for (const [table, values] of result.rows) {
          const list = writes.targets.get(table.name) ?? []
          list.push(values)
          writes.targets.set(table.name, list)
        }
        writes.xref.push([runId, step.entity, legacyKey, mainTable, outcome.targetKey, "loaded", null, outcome.matchKey])
        loaded++
        break
      case "Merge":
        writes.xref.push([runId, step.entity, legacyKey, mainTable, outcome.targetKey, "merged", outcome.rule, null])
        merged++
        break
      case "Exclude":
        writes.exclusion.push([runId, step.entity, legacyKey, outcome.rule, outcome.reason])
        excluded++
        break
      case "Quarantine":
        writes.quarantine.push([runId, step.entity, legacyKey, "transform", outcome.field, outcome.reason, outcome.rule, rawJson(text)])
        codeIssue(legacyKey, outcome.unmapped, "quarantined")
        quarantined++
        break
    }
  }
  writes.counts = { read: results.length, loaded, merged, quarantined, excluded }
  return writes
}

/** How a step's rows are read and placed: what both a migration and a check of it need. */
export const prepareStep = (pipeline: Pipeline, step: EntityStep, options: Pick<Options, "targetSchema" | "legacySchema">) => ({
  placed: new Map(step.targets.map((t) => [t.name, Table.inSchema(t, options.targetSchema)] as const)) as ReadonlyMap<string, Table.Table>,
  decode: Decode.decoder(step.legacyRow),
  keyPositions: step.source.key.map((k) => step.source.columns.indexOf(k)),
  sourceTable: { schema: options.legacySchema, name: step.source.table },
  mainTableOf: new Map(pipeline.steps.map((s) => [s.entity, s.targets[0]!] as const)) as ReadonlyMap<string, Table.Table>
})

/** Text rows as records of the step's source columns, and decoded. */
export const decodeRows = (step: EntityStep, decode: (row: LegacyText) => unknown, rows: ReadonlyArray<Driver.TextRow>) => {
  const texts = rows.map((r) => {
    const text: Record<string, string | null> = {}
    step.source.columns.forEach((c, i) => (text[c] = r[i] ?? null))
    return text as LegacyText
  })
  return { texts, decodedRows: texts.map(decode) }
}

/**
 * Resolves a batch's references through the xref of the run (and the target rows they ask for), and, unless the
 * caller keeps its own, the earlier rows with the same match keys.
 */
export const resolveBatch = Effect.fnUntraced(function*(
  ledger: Ledger.Ledger,
  runId: string,
  step: EntityStep,
  decodedRows: ReadonlyArray<unknown>,
  mainTableOf: ReadonlyMap<string, Table.Table>,
  options: Pick<Options, "targetSchema" | "parameters">,
  lookUpMatches: boolean
) {
  const keys = new Map<string, ReadonlyMap<string, string>>()
  const targetRows = new Map<string, ReadonlyMap<string, Readonly<Record<string, string | null>>>>()
  const byTargetKey = new Map<string, Map<string, Readonly<Record<string, string | null>>>>()
  const excluded = new Map<string, Set<string>>()
  const soFar: Resolved = { keys, rows: targetRows, byTargetKey, excluded, matches: new Map() }
  for (const ref of step.references) {
    const main = mainTableOf.get(ref.entity)
    if (main === undefined) return yield* new RehearsalError({ message: `${step.entity} refers to unknown entity ${ref.entity}` })
    const placedMain = Table.inSchema(main, options.targetSchema)
    const wanted = new Set<string>()
    if ("targetKey" in ref) {
      const context = contextOf(step, soFar, { keys: new Map(), matches: new Map() }, options.parameters ?? {})
      for (const d of decodedRows) {
        if (Decode.isFailure(d)) continue
        const k = ref.targetKey(d, context)
        if (k !== null) wanted.add(k)
      }
      if (wanted.size === 0) continue
      const found = yield* ledger.rowsByTargetKey(placedMain, [...wanted], ref.columns)
      const known = byTargetKey.get(ref.entity) ?? new Map()
      for (const [k, v] of found) known.set(k, v)
      byTargetKey.set(ref.entity, known)
      continue
    }
    for (const d of decodedRows) {
      if (Decode.isFailure(d)) continue
      const k = ref.legacyKey(d)
      if (k !== null) wanted.add(k)
    }
    if (wanted.size === 0) continue
    const columns = ref.columns ?? []
    let found: ReadonlyMap<string, string>
    if (columns.length === 0) {
      found = yield* ledger.targetKeys(runId, ref.entity, [...wanted])
    } else {
      const withRows = yield* ledger.targetRows(runId, ref.entity, [...wanted], placedMain, columns)
      found = new Map([...withRows].map(([k, v]) => [k, v.targetKey] as const))
      const known = new Map(targetRows.get(ref.entity) ?? [])
      for (const [k, v] of withRows) known.set(k, v.row)
      targetRows.set(ref.entity, known)
    }
    keys.set(ref.entity, new Map([...(keys.get(ref.entity) ?? []), ...found]))
    const missing = [...wanted].filter((k) => !found.has(k))
    if (missing.length > 0 && ref.entity !== step.entity) {
      const set = excluded.get(ref.entity) ?? new Set<string>()
      for (const k of yield* ledger.excludedKeys(runId, ref.entity, missing)) set.add(k)
      excluded.set(ref.entity, set)
    }
  }
  let matches: ReadonlyMap<string, string> = new Map()
  if (lookUpMatches && step.matchKey !== undefined) {
    const wanted = new Set<string>()
    for (const d of decodedRows) {
      if (Decode.isFailure(d)) continue
      const k = step.matchKey(d)
      if (k !== null) wanted.add(k)
    }
    if (wanted.size > 0) matches = yield* ledger.matchedKeys(runId, step.entity, [...wanted])
  }
  return { keys, rows: targetRows, byTargetKey, excluded, matches } satisfies Resolved
})

/**
 * What the xref knows of the rows a batch's rows are decided the same person as: their target keys, beside those of
 * the batch's references.
 */
export const withSamePerson = Effect.fnUntraced(function*(
  ledger: Ledger.Ledger,
  runId: string,
  step: EntityStep,
  rows: ReadonlyArray<Driver.TextRow>,
  keyPositions: ReadonlyArray<number>,
  resolved: Resolved,
  decisions: Ledger.RowDecisions
) {
  if (decisions.sameAs.size === 0) return resolved
  const others = new Set<string>()
  for (const row of rows) {
    const other = decisions.sameAs.get(legacyKeyOf(keyPositions.map((p) => row[p] ?? null)))
    if (other !== undefined) others.add(other)
  }
  if (others.size === 0) return resolved
  const found = yield* ledger.targetKeys(runId, step.entity, [...others])
  const keys = new Map(resolved.keys)
  keys.set(step.entity, new Map([...(resolved.keys.get(step.entity) ?? []), ...found]))
  return { ...resolved, keys }
})

/** What one batch's rows loaded (legacy key to target key) and under which match keys. */
interface OwnRows {
  readonly keys: ReadonlyMap<string, string>
  readonly matches: ReadonlyMap<string, string>
}

const ownRowsOf = (results: ReadonlyArray<RowResult>): OwnRows => {
  const keys = new Map<string, string>()
  const matches = new Map<string, string>()
  for (const r of results) {
    if (r._tag !== "Mapped") continue
    const o = r.outcome
    if (o._tag === "Load" || o._tag === "Merge") keys.set(r.legacyKey, o.targetKey)
    if (o._tag === "Load" && o.matchKey !== null && !matches.has(o.matchKey)) matches.set(o.matchKey, o.targetKey)
  }
  return { keys, matches }
}

/** What the xref knows for a batch, with what earlier batches of the same entity loaded but have not committed yet. */
const withUncommitted = (resolved: Resolved, entity: string, inFlight: ReadonlyArray<OwnRows>): Resolved => {
  if (inFlight.length === 0) return resolved
  const keys = new Map(resolved.keys)
  const own = new Map(resolved.keys.get(entity) ?? [])
  const matches = new Map(resolved.matches)
  for (const batch of inFlight) {
    for (const [k, v] of batch.keys) if (!own.has(k)) own.set(k, v)
    for (const [k, v] of batch.matches) if (!matches.has(k)) matches.set(k, v)
  }
  keys.set(entity, own)
  return { ...resolved, keys, matches }
}

/**
 * Maps again the rows of a step that its mapping quarantined, once every row of the entity has been loaded, and
 * writes those whose outcome changes (a merge into a row read after them, say) in place of their quarantine entries,
 * with the step's counts, in one transaction. Rows that would be quarantined again stay as they are. Repeated while
 * rows change, so that a chain of such references (a merge into a row that merges into a later one) resolves whatever
 * the order of its links. Repeatable: a run that stops here does it again on resuming.
 */
const remapQuarantined = Effect.fnUntraced(function*(
  target: Database.Database,
  ledger: Ledger.Ledger,
  runId: string,
  step: EntityStep,
  prepared: Pick<ReturnType<typeof prepareStep>, "placed" | "decode" | "keyPositions" | "mainTableOf">,
  options: Options,
  counts: Counts.Counts,
  batches: number
) {
  // the checkpoint's last key stays where the load left it; only the counts move
  const lastKey = (yield* ledger.steps(runId)).find((s) => s.entity === step.entity)?.lastKey ?? []
  const decisions = yield* ledger.decisionsOn(runId, step.entity)
  const councilCodes = yield* ledger.councilCodes(runId)
  let total = counts
  for (let changedInPass = -1; changedInPass !== 0;) {
    changedInPass = 0
    // the quarantine is read a page at a time in key order, each page starting after the last key of the one before,
    // so that memory holds one page however many rows wait there; a page's rows that change leave the quarantine
    // before the next page is read, which starts after them all the same
    let after: string | undefined
    for (;;) {
      const from = after
      const part = yield* target.use(`read the quarantine of ${step.entity}`, (d) => {
        const condition = from === undefined
          ? undefined
          : SqlDialect.keysetCondition(["legacy_key"], d.dialect.quoteIdentifier, d.dialect.placeholder, [from], 3)
        return d.queryText(
          `SELECT ${d.dialect.top(Driver.inListSize)}legacy_key, raw_row FROM ${d.dialect.qualify(ledger.tables.quarantine)} ` +
            `WHERE run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)} AND stage = 'transform'` +
            `${condition === undefined ? "" : ` AND (${condition.sql})`} ORDER BY legacy_key${d.dialect.limit(Driver.inListSize)}`,
          condition === undefined ? [runId, step.entity] : [runId, step.entity, ...condition.params]
        )
      })
      if (part.length === 0) break
      after = String(part[part.length - 1]![0])
      const texts = part.map((q) => JSON.parse(String(q[1])) as LegacyText)
      const rows = texts.map((t) => step.source.columns.map((c) => t[c] ?? null))
      const decodedRows = texts.map(prepared.decode)
      // references only: rows are not matched again by match key, which found only earlier rows the first time
      const found = yield* resolveBatch(ledger, runId, step, decodedRows, prepared.mainTableOf, options, false)
      const resolved = { ...(yield* withSamePerson(ledger, runId, step, rows, prepared.keyPositions, found, decisions)), decisions, councilCodes }
      const changed = mapRows(step, prepared.placed, rows, texts, decodedRows, prepared.keyPositions, resolved, options.parameters ?? {}, new Map())
        .filter((r) => r._tag === "Mapped" && r.outcome._tag !== "Quarantine")
      if (changed.length === 0) continue
      const writes = writesOf(runId, step, changed)
      const next: Counts.Counts = {
        read: total.read,
        loaded: total.loaded + writes.counts.loaded,
        merged: total.merged + writes.counts.merged,
        quarantined: total.quarantined - changed.length,
        excluded: total.excluded + writes.counts.excluded
      }
      const keys = changed.map((r) => r.legacyKey)
      yield* target.use(`map again ${changed.length} quarantined rows of ${step.entity}`, (d) =>
        d.transaction(async (connection) => {
          for (const table of [ledger.tables.quarantine, ledger.tables.codeIssue]) {
            const condition = d.dialect.oneOf("legacy_key", keys, 3)
            await connection.query(
              `DELETE FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)} AND ${condition.sql}`,
              [runId, step.entity, ...condition.params]
            )
          }
          for (const [name, values] of writes.targets) await connection.writeRows(prepared.placed.get(name)!, values)
          await connection.writeRows(ledger.tables.xref, writes.xref)
          await connection.writeRows(ledger.tables.exclusion, writes.exclusion)
          await connection.writeRows(ledger.tables.flag, writes.flags)
          await connection.writeRows(ledger.tables.codeIssue, writes.codeIssues)
          await ledger.checkpoint(connection, runId, step.entity, lastKey, batches, next)
        }))
      total = next
      changedInPass += changed.length
    }
  }
  return total
})

/** Refreshes the planner's statistics of tables. */
const analyse = (target: Database.Database, operation: string, tables: ReadonlyArray<SqlDialect.TableRef>) =>
  target.use(operation, async (d) => {
    for (const table of tables) for (const statement of d.dialect.analyze(table)) await d.query(statement)
  })

const runStep = Effect.fnUntraced(function*(
  legacy: Database.Database,
  target: Database.Database,
  ledger: Ledger.Ledger,
  runId: string,
  position: number,
  pipeline: Pipeline,
  step: EntityStep,
  options: Options,
  existing: Ledger.StepRow | undefined
) {
  const observer = yield* Observer
  if (existing?.status === "done") return { entity: step.entity, counts: existing.counts }
  if (existing === undefined) yield* ledger.beginStep(runId, step.entity, position)
  let counts = existing?.counts ?? Counts.zero
  let batches = existing?.batches ?? 0
  yield* observer.stepStarted({ runId, entity: step.entity, position, resumedAt: counts })

  const { placed, decode, keyPositions, sourceTable, mainTableOf } = prepareStep(pipeline, step, options)
  const decisions = yield* ledger.decisionsOn(runId, step.entity)
  const councilCodes = yield* ledger.councilCodes(runId)

  // Batches go through two stages: mapping (decode, resolve, map) runs one batch ahead of loading, so the work in
  // Node and the work in the databases overlap. A batch mapped ahead cannot see the rows of the batches still being
  // loaded in the xref, so what those loaded and under which match keys is kept here until they commit.
  const uncommitted: Array<OwnRows> = []
  // the xref's statistics are refreshed each time this step's rows in it have doubled: lookups of rows loaded earlier
  // in the same step are then planned on the primary key, not on an index that scans the whole step so far
  let analysedAt = Math.max(counts.read, 1)
  const selfReferring = step.matchKey !== undefined || step.references.some((r) => r.entity === step.entity)
  const mapBatch = (rows: ReadonlyArray<Driver.TextRow>) =>
    Effect.gen(function*() {
      const { texts, decodedRows } = decodeRows(step, decode, rows)
      const inFlight = [...uncommitted]
      // references and earlier duplicates, resolved through the xref, one query per referenced entity
      const found = yield* resolveBatch(ledger, runId, step, decodedRows, mainTableOf, options, true).pipe(
        // lookups only read: a lost connection is simply asked again
        Retry.retryTransient(target, { operation: `look up the references of ${step.entity}` })
      )
      const withOthers = yield* withSamePerson(ledger, runId, step, rows, keyPositions, found, decisions)
      const resolved = { ...(selfReferring ? withUncommitted(withOthers, step.entity, inFlight) : withOthers), decisions, councilCodes }
      const results = mapRows(step, placed, rows, texts, decodedRows, keyPositions, resolved, options.parameters ?? {}, new Map())
      const own = ownRowsOf(results)
      if (selfReferring) uncommitted.push(own)
      const lastRow = rows[rows.length - 1]!
      return { writes: writesOf(runId, step, results), lastKey: keyPositions.map((p) => String(lastRow[p])), own }
    })

  yield* Source.batches(legacy, {
    table: sourceTable,
    columns: step.source.columns,
    key: step.source.key,
    after: existing?.lastKey,
    batchSize: options.batchSize ?? 1000,
    mode: options.readMode ?? "auto"
  }).pipe(
    Stream.filter((rows) => rows.length > 0),
    Stream.mapEffect(mapBatch),
    Stream.buffer({ capacity: 1 }),
    Stream.runForEach(({ writes, lastKey, own }) =>
      Effect.gen(function*() {
        const nextCounts = Counts.add(counts, writes.counts)
        const event: BatchEvent = { runId, entity: step.entity, position, batch: batches + 1, counts: nextCounts }
        const beforeCommit = observer.beforeCommit(event)
        const operation = `load ${step.entity} batch ${batches + 1}`
        yield* target.use(operation, (d) =>
          d.transaction(async (connection) => {
            for (const [name, values] of writes.targets) await connection.writeRows(placed.get(name)!, values)
            await connection.writeRows(ledger.tables.xref, writes.xref)
            await connection.writeRows(ledger.tables.quarantine, writes.quarantine)
            await connection.writeRows(ledger.tables.exclusion, writes.exclusion)
            await connection.writeRows(ledger.tables.flag, writes.flags)
            await connection.writeRows(ledger.tables.codeIssue, writes.codeIssues)
            await ledger.checkpoint(connection, runId, step.entity, lastKey, batches + 1, nextCounts)
            await Effect.runPromise(beforeCommit)
          })).pipe(
            // a dropped connection rolled the batch back: run it again whole on a new connection, unless its checkpoint
            // shows that the commit went through before the connection dropped
            Retry.retryTransient(target, {
              operation,
              committed: Effect.map(ledger.steps(runId), (steps) =>
                steps.some((s) => s.entity === step.entity && s.batches === batches + 1) ? Option.some(undefined) : Option.none())
            })
          )
        const at = uncommitted.indexOf(own)
        if (at >= 0) uncommitted.splice(at, 1)
        if (selfReferring && nextCounts.read >= 2 * analysedAt) {
          analysedAt = nextCounts.read
          yield* analyse(target, `analyse ${step.entity} so far`, [ledger.tables.xref])
        }
        counts = nextCounts
        batches++
        yield* observer.batchCommitted(event)
      })
    )
  )
  // a row that refers to a later row of its own entity (a client merged into a client read after it) found nothing
  // when it was mapped: with every row of the entity in the xref now, such rows are mapped again
  if (step.references.some((r) => r.entity === step.entity)) {
    counts = yield* remapQuarantined(target, ledger, runId, step, { placed, decode, keyPositions, mainTableOf }, options, counts, batches)
  }
  // fresh statistics, so that the lookups of later steps (and the work after this one) are planned on what was loaded
  yield* analyse(target, `analyse ${step.entity}`, [...placed.values(), ledger.tables.xref, ledger.tables.quarantine, ledger.tables.exclusion, ledger.tables.flag])

  // the conservation law, checked against what the databases hold, not only against the running counters
  const sourceRows = yield* Source.count(legacy, sourceTable)
  const recorded = yield* ledger.recorded(runId, step.entity)
  const problems: Array<string> = []
  if (!Counts.holds(counts)) problems.push(`the counters do not add up: ${Counts.format(counts)}`)
  if (sourceRows !== counts.read) {
    problems.push(`the legacy table ${step.source.table} holds ${sourceRows} rows but ${counts.read} were read`)
  }
  for (const k of ["loaded", "merged", "quarantined", "excluded"] as const) {
    if (recorded[k] !== counts[k]) problems.push(`${counts[k]} rows counted ${k} but the control schema records ${recorded[k]}`)
  }
  if (problems.length > 0) {
    return yield* new ConservationError({
      runId,
      entity: step.entity,
      message: `conservation law broken for ${step.entity} in run ${runId}: ${problems.join("; ")}`
    })
  }
  const after = pipeline.afterStep?.[step.entity]
  if (after !== undefined) {
    yield* target.use(`after ${step.entity}`, (t) =>
      after({
        runId,
        legacy: legacy.driver,
        target: t,
        legacySchema: options.legacySchema,
        targetSchema: options.targetSchema,
        controlSchema: options.controlSchema ?? ControlSchema.defaultSchema,
        parameters: options.parameters ?? {}
      }))
  }
  yield* ledger.finishStep(runId, step.entity)
  yield* observer.stepFinished({ runId, entity: step.entity, position, counts })
  return { entity: step.entity, counts }
})

/**
 * A digest of the decisions in force (`triage` and the council's code maps), read in pages in key order, so that
 * any decision made or changed gives another digest.
 */
export const decisionsDigest = (target: Database.Database, controlSchema: string) =>
  target.use("read the decisions in force", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    const hash = createHash("sha256")
    for (const [table, key, columns] of [
      [t.triage, ["fingerprint"], ["decision", "expires_on"]],
      [t.councilCodeMap, ["code_system", "legacy_value"], ["target_value"]]
    ] as const) {
      for await (const page of Driver.keysetPages(d, { key: [...key], columns: [...columns], from: d.dialect.qualify(table), pageSize: 5_000 })) {
        for (const row of page) hash.update(`${JSON.stringify(row)}\n`)
      }
      hash.update("\u0000")
    }
    return hash.digest("hex")
  })

/** The code version recorded with a run: the given one, or the environment's `HANDOVER_CODE_VERSION`. */
const codeVersionOf = (options: Options) => options.codeVersion ?? process.env.HANDOVER_CODE_VERSION ?? "dev"

/** Runs (or resumes) one rehearsal of a pipeline. */
export const run = Effect.fnUntraced(function*(pipeline: Pipeline, options: Options) {
  const legacy = yield* LegacyDatabase
  const target = yield* TargetDatabase
  const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
  // configured names, before any statement uses them: schemas it creates are plain identifiers, the legacy schema and
  // tables are in the legacy database's catalogue, and each table's key is unique
  yield* Names.checkMigration(legacy, target, { ...options, controlSchema }, pipeline.steps.map((s) => s.source))
  yield* prepareTarget(target, pipeline, options)
  const ledger = Ledger.make(target, controlSchema)
  // the decisions data owners have made are part of what a run is made with: a rehearsal after new decisions starts
  // a new run rather than resuming one made without them
  const decisions = yield* decisionsDigest(target, controlSchema)
  const hash = createHash("sha256").update(`${configHash(pipeline, options)}\u0000${decisions}`).digest("hex")

  const previous = (yield* ledger.runs({ pipeline: pipeline.name, rehearsal: options.rehearsal })).at(-1)
  const resumable = options.resume !== false && previous !== undefined && (previous.status === "running" || previous.status === "failed") &&
    previous.replacedBy === null && previous.configHash === hash
  let runId: string
  if (resumable) {
    runId = previous.runId
    yield* ledger.reopenRun(runId)
  } else {
    runId = randomUUID()
    yield* ledger.startRun({
      runId,
      rehearsal: options.rehearsal,
      pipeline: pipeline.name,
      configHash: hash,
      codeVersion: codeVersionOf(options),
      startedAt: new Date()
    }, targetTables(pipeline, options.targetSchema), (pipeline.referenceData ?? []).map((r) => ({
      table: Table.inSchema(r.table, options.targetSchema),
      rows: r.rows()
    })))
  }
  yield* ledger.recordDecisions(runId)
  const existing = new Map((yield* ledger.steps(runId)).map((s) => [s.entity, s] as const))

  const steps: Array<StepResult> = []
  const outcome = yield* Effect.exit(Effect.gen(function*() {
    for (const [position, step] of pipeline.steps.entries()) {
      steps.push(yield* runStep(legacy, target, ledger, runId, position, pipeline, step, options, existing.get(step.entity)))
    }
  }))
  if (outcome._tag === "Failure") {
    const error = outcome.cause
    yield* ledger.finishRun(runId, "failed", messageOf(error)).pipe(Effect.ignore)
    return yield* Effect.failCause(error)
  }
  yield* ledger.summariseUnmappedCodes(runId)
  yield* ledger.finishRun(runId, "completed", null)
  return { runId, rehearsal: options.rehearsal, resumed: resumable, steps } satisfies Result
})

const messageOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text = error instanceof Error ? error.message : String(error)
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
}

