/**
 * The record-level check, mapping-aware: the mapping is run again over every legacy row, and what it gives is
 * compared, field by field, with what the target holds, joined through the xref. A target row that should be there
 * and is not, a target row no legacy row accounts for, and every differing field is a finding naming the legacy key,
 * the target key, the field, both values and the step's rules.
 */
import { Databases, Decode, Ledger, Pipeline, Rehearsal, Source } from "@handover/core"
import { ControlSchema, Driver, type Database, Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Canonical from "./Canonical.ts"
import * as Explain from "./Explain.ts"
import * as Finding from "./Finding.ts"

export interface Options {
  readonly runId: string
  readonly legacySchema?: string | undefined
  readonly targetSchema: string
  readonly controlSchema?: string
  readonly batchSize?: number
  readonly parameters?: Readonly<Record<string, string>>
}

/** Rows of a table by primary key (one-column keys), as text in column order. */
const rowsByKey = (target: Database.Database, table: Table.Table, keys: ReadonlyArray<string>) =>
  target.use(`read ${table.name}`, (d) => {
    const q = d.dialect.quoteIdentifier
    const key = table.columns.find((c) => c.name === table.primaryKey[0])!
    const select = `SELECT ${table.columns.map((c) => q(c.name)).join(", ")} FROM ${d.dialect.qualify(table)}`
    // a text key is looked up with the dialect's list of text values (one array parameter on PostgreSQL); another
    // type with an IN list of parameters the database converts
    return key.type._tag === "text"
      ? Driver.selectWhereOneOf(d, { select, where: "", params: [] }, q(key.name), keys)
      : Driver.inParts(keys, (part) => d.queryText(`${select} WHERE ${q(key.name)} IN (${part.map((_, i) => d.dialect.placeholder(i + 1)).join(", ")})`, part))
  }).pipe(Effect.map((rows) => {
    const pk = table.columns.findIndex((c) => c.name === table.primaryKey[0])
    return new Map(rows.map((r) => [String(r[pk]), r] as const))
  }))

const xrefOf = (target: Database.Database, controlSchema: string, runId: string, entity: string, keys: ReadonlyArray<string>) =>
  target.use("read xref", (d) =>
    Driver.selectWhereOneOf(d, {
      select: `SELECT legacy_key, target_key, outcome FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).xref)}`,
      where: `run_id = ${d.dialect.placeholder(1)} AND entity = ${d.dialect.placeholder(2)}`,
      params: [runId, entity]
    }, "legacy_key", keys)).pipe(Effect.map((rows) => new Map(rows.map((r) => [String(r[0]), { targetKey: String(r[1]), outcome: String(r[2]) }] as const))))

const checkId = (table: Table.Table) => `record.${table.name}`

/**
 * The target keys of rows the mapping gave so far and that the migration loaded under one of the batch's match keys
 * (a valid NHS number): what a row of the batch with the same match key merges into, as when the mapping ran over
 * the rows in order. Found in the database, from the xref and the keys already written to `expected_key`, so that
 * memory holds one batch's match keys however many rows the entity has. Of two such rows, the first by legacy key.
 */
const earlierMatches = (
  target: Database.Database,
  controlSchema: string,
  runId: string,
  step: Pipeline.EntityStep,
  decodedRows: ReadonlyArray<unknown>
) =>
  Effect.gen(function*() {
    const matchKey = step.matchKey
    const found = new Map<string, string>()
    if (matchKey === undefined) return found
    const wanted = new Set<string>()
    for (const row of decodedRows) {
      if (Decode.isFailure(row)) continue
      const k = matchKey(row)
      if (k !== null) wanted.add(k)
    }
    if (wanted.size === 0) return found
    const t = ControlSchema.tables(controlSchema)
    const rows = yield* target.use("look up match keys", (d) => {
      const p = d.dialect.placeholder
      return Driver.selectWhereOneOf(d, {
        select: `SELECT x.match_key, x.target_key FROM ${d.dialect.qualify(t.xref)} x`,
        where: `x.run_id = ${p(1)} AND x.entity = ${p(2)} AND x.outcome = 'loaded' AND EXISTS (SELECT 1 FROM ${d.dialect.qualify(t.expectedKey)} e ` +
          `WHERE e.run_id = ${p(1)} AND e.table_name = ${p(3)} AND e.target_key = x.target_key AND e.legacy_key = x.legacy_key)`,
        params: [runId, step.entity, step.targets[0]!.name],
        orderBy: "x.legacy_key"
      }, "x.match_key", [...wanted])
    })
    for (const r of rows) if (!found.has(String(r[0]))) found.set(String(r[0]), String(r[1]))
    return found
  })

/** How many expected keys the check has written, and how many there were when the planner last counted them. */
interface Written {
  rows: number
  analyzed: number
}

/**
 * The keys the mapping gives a batch's rows in each target table, written to `expected_key`; the planner's statistics
 * of the table are refreshed each time its rows have doubled, so that the lookups by key go on using its index.
 */
const writeExpectedKeys = (target: Database.Database, controlSchema: string, rows: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>, written: Written) =>
  rows.length === 0 ? Effect.void : target.use("write expected keys", async (d) => {
    const table = ControlSchema.tables(controlSchema).expectedKey
    await d.transaction((c) => c.writeRows(table, rows))
    written.rows += rows.length
    if (written.rows >= Math.max(10_000, 2 * written.analyzed)) {
      for (const statement of d.dialect.analyze(table)) await d.query(statement)
      written.analyzed = written.rows
    }
  })

/**
 * Compares one entity's re-mapped rows with the target, a batch at a time: the batch's findings go to `emit`, and the
 * target keys the mapping gives to `expected_key`.
 */
const checkStep = (
  pipeline: Pipeline.Pipeline,
  step: Pipeline.EntityStep,
  options: Options,
  emit: Finding.Emit,
  written: Written
) =>
  Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    const target = yield* Databases.TargetDatabase
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const ledger = Ledger.make(target, controlSchema)
    const prepared = Rehearsal.prepareStep(pipeline, step, options)
    const decisions = yield* ledger.decisionsOn(options.runId, step.entity)
    const councilCodes = yield* ledger.councilCodes(options.runId)
    const rules = step.rules.map((r) => r.id).join(" ")
    // keys of the step's main table are accounted for by the xref where it records them as the mapping gives them
    // (every xref row is compared with the mapping here): only the keys of the step's other tables go to
    // `expected_key`, with the main table's where the xref differs, or where later rows are matched to the ones the
    // mapping gave before them
    const mainTable = step.targets[0]!.name
    // where each target table's key is among its columns
    const keyAt = new Map([...prepared.placed.values()].map((t) => [t.name, t.columns.findIndex((c) => c.name === t.primaryKey[0])] as const))
    yield* Source.batches(legacy, {
      table: prepared.sourceTable,
      columns: step.source.columns,
      key: step.source.key,
      after: undefined,
      batchSize: options.batchSize ?? 5000,
      mode: "auto"
    }).pipe(
      Stream.runForEach((rows) =>
        Effect.gen(function*() {
          if (rows.length === 0) return
          const found: Array<Finding.Finding> = []
          const { texts, decodedRows } = Rehearsal.decodeRows(step, prepared.decode, rows)
          const references = yield* Rehearsal.resolveBatch(ledger, options.runId, step, decodedRows, prepared.mainTableOf, options, false)
          const resolved = yield* Rehearsal.withSamePerson(ledger, options.runId, step, rows, prepared.keyPositions, references, decisions)
          const matches = yield* earlierMatches(target, controlSchema, options.runId, step, decodedRows)
          // the batch's own rows with a match key are found by the mapping itself, in order
          const results = Rehearsal.mapRows(
            step,
            prepared.placed,
            rows,
            texts,
            decodedRows,
            prepared.keyPositions,
            { ...resolved, matches, decisions, councilCodes },
            options.parameters ?? {},
            new Map()
          )
          // the expected target rows of the batch, by table: what the mapping loads, whatever the xref says
          const expected = new Map<string, Array<{ legacyKey: string; key: string; values: ReadonlyArray<Driver.SqlValue> }>>()
          const expectedKeys: Array<ReadonlyArray<Driver.SqlValue>> = []
          // main-table keys that go to `expected_key` only if the xref does not record them as the mapping gives them
          const ownKeys = new Map<string, string>()
          for (const result of results) {
            if (result._tag !== "Mapped" || result.outcome._tag !== "Load") continue
            for (const [table, values] of result.rows) {
              const key = String(values[keyAt.get(table.name)!])
              const list = expected.get(table.name) ?? []
              list.push({ legacyKey: result.legacyKey, key, values })
              expected.set(table.name, list)
              if (table.name !== mainTable || step.matchKey !== undefined) expectedKeys.push([options.runId, table.name, key, result.legacyKey])
              else ownKeys.set(result.legacyKey, key)
            }
          }
          // the xref of the batch and its target rows, read at the same time
          const [xref, targetRows] = yield* Effect.all([
            xrefOf(target, controlSchema, options.runId, step.entity, results.map((r) => r.legacyKey)),
            Effect.forEach([...expected.keys()], (name) =>
              rowsByKey(target, prepared.placed.get(name)!, expected.get(name)!.map((e) => e.key)).pipe(Effect.map((rows) => [name, rows] as const)), {
              concurrency: "unbounded"
            }).pipe(Effect.map((pairs) => new Map(pairs)))
          ], { concurrency: "unbounded" })
          for (const result of results) {
            const actual = xref.get(result.legacyKey)
            const outcome = result._tag === "Mapped" ? result.outcome : undefined
            const base = { entity: step.entity, legacyKey: result.legacyKey, severity: "error" as const, rule: rules === "" ? null : rules }
            if (outcome?._tag === "Load" || outcome?._tag === "Merge") {
              const wanted = outcome._tag === "Load" ? "loaded" : "merged"
              if (actual === undefined || actual.outcome !== wanted || actual.targetKey !== outcome.targetKey) {
                const key = ownKeys.get(result.legacyKey)
                if (key !== undefined) expectedKeys.push([options.runId, mainTable, key, result.legacyKey])
                found.push(Finding.make({
                  ...base,
                  check: "record.xref",
                  kind: actual === undefined ? "missing" : "different",
                  targetKey: outcome.targetKey,
                  field: actual === undefined ? null : "target_key",
                  legacyValue: `${wanted} ${outcome.targetKey}`,
                  targetValue: actual === undefined ? null : `${actual.outcome} ${actual.targetKey}`,
                  message: actual === undefined
                    ? `the legacy row should be ${wanted} as ${outcome.targetKey} but the xref has no record of it`
                    : `the legacy row should be ${wanted} as ${outcome.targetKey}; the xref says ${actual.outcome} as ${actual.targetKey}`
                }))
              }
            } else if (actual !== undefined) {
              found.push(Finding.make({
                ...base,
                check: "record.xref",
                kind: "extra",
                targetKey: actual.targetKey,
                targetValue: `${actual.outcome} ${actual.targetKey}`,
                message: `the mapping does not load this legacy row, yet the xref says it was ${actual.outcome} as ${actual.targetKey}`
              }))
            }
          }
          for (const [name, list] of expected) {
            const table = prepared.placed.get(name)!
            const actualRows = targetRows.get(name)!
            for (const e of list) {
              const actual = actualRows.get(e.key)
              if (actual === undefined) {
                found.push(Finding.make({
                  check: checkId(table),
                  entity: step.entity,
                  legacyKey: e.legacyKey,
                  targetKey: e.key,
                  kind: "missing",
                  severity: "error",
                  rule: rules === "" ? null : rules,
                  message: `${table.name} has no row ${e.key}, which the mapping gives for legacy row ${e.legacyKey}`
                }))
                continue
              }
              for (let i = 0; i < table.columns.length; i++) {
                // the same text is the same value: most fields need no canonical form
                if (Canonical.sameText(e.values[i], actual[i] ?? null)) continue
                const column = table.columns[i]!
                const want = Canonical.value(column.type, e.values[i])
                const got = Canonical.value(column.type, actual[i] ?? null)
                if (want === got) continue
                found.push(Finding.make({
                  check: checkId(table),
                  entity: step.entity,
                  legacyKey: e.legacyKey,
                  targetKey: e.key,
                  field: column.name,
                  kind: "different",
                  severity: "error",
                  legacyValue: want,
                  targetValue: got,
                  rule: rules === "" ? null : rules,
                  explanation: Explain.explain(want, got),
                  message: `${table.name}.${column.name} of ${e.key} differs from what the mapping gives for legacy row ${e.legacyKey}`
                }))
              }
            }
          }
          yield* writeExpectedKeys(target, controlSchema, expectedKeys, written)
          if (found.length > 0) yield* target.use(`record findings of ${step.entity}`, () => emit(found))
        })
      )
    )
  })

/** Rows read at a time when a target table is scanned for rows no legacy row accounts for. */
const extraPage = 5_000

/**
 * Target rows of a table that no legacy row accounts for: keys the table holds that neither the run's xref (where the
 * table is an entity's main table) nor `expected_key` has, found in the database once and read in pages, each page's
 * findings given to `emit`.
 */
const extraRows = (table: Table.Table, controlSchema: string, runId: string, entity: string, inXref: boolean, emit: Finding.Emit) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    yield* target.use(`look for rows of ${table.name} no legacy row accounts for`, async (d) => {
      for await (const page of Driver.sortedPages(d, { ...extraKeysQuery(d.dialect, table, controlSchema, runId, inXref), scratchSchema: controlSchema })) {
        const found: Array<Finding.Finding> = []
        for (const [key] of page) {
          if (key === null || key === undefined) continue
          found.push(Finding.make({
            check: checkId(table),
            entity,
            targetKey: key,
            kind: "extra",
            severity: "error",
            message: `${table.name} holds row ${key}, which no legacy row accounts for`
          }))
        }
        if (found.length > 0) await emit(found)
      }
    })
  })

/**
 * The query of a target table's keys that no key the mapping gives accounts for: none in `expected_key` and, for an
 * entity's main table (`inXref`), none the run's xref records in that table.
 */
export const extraKeysQuery = (
  dialect: Driver.Driver["dialect"],
  table: Table.Table,
  controlSchema: string,
  runId: string,
  inXref: boolean,
  pageSize = extraPage
): Driver.KeysetQuery => {
  const pk = `t.${dialect.quoteIdentifier(table.primaryKey[0]!)}`
  // a key of another type is compared in its text form, as the mapping's keys are written
  const column = table.columns.find((c) => c.name === table.primaryKey[0])
  const asText = column === undefined || column.type._tag === "text" ? pk : `CAST(${pk} AS ${dialect.columnType(Table.text(200))})`
  const t = ControlSchema.tables(controlSchema)
  const p = dialect.placeholder
  return {
    key: [pk],
    columns: [],
    from: `${dialect.qualify(table)} t`,
    where: `NOT EXISTS (SELECT 1 FROM ${dialect.qualify(t.expectedKey)} e WHERE e.run_id = ${p(1)} AND e.table_name = ${p(2)} AND e.target_key = ${asText})` +
      (inXref ? ` AND NOT EXISTS (SELECT 1 FROM ${dialect.qualify(t.xref)} x WHERE x.run_id = ${p(1)} AND x.target_table = ${p(2)} AND x.target_key = ${asText})` : ""),
    params: [runId, table.name],
    pageSize
  }
}

/**
 * Runs the record-level check of every entity step of a run; gives its findings to `emit` a batch at a time. The
 * run's `expected_key` rows are expected to be empty at the start (the reconciliation clears its staging rows).
 */
/** Entities whose records are checked at the same time. */
export const stepsAtOnce = 3

export const run = (pipeline: Pipeline.Pipeline, options: Options, emit: Finding.Emit) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const written: Written = { rows: 0, analyzed: 0 }
    // the entities are checked a few at a time: each waits on the databases most of its time, and no entity's check
    // reads what another's writes (its findings carry its entity, so their order across entities changes nothing)
    yield* Effect.forEach(pipeline.steps, (step) => checkStep(pipeline, step, options, emit, written), { concurrency: stepsAtOnce, discard: true })
    if (written.rows > written.analyzed) {
      yield* target.use("refresh statistics of expected keys", async (d) => {
        for (const statement of d.dialect.analyze(ControlSchema.tables(controlSchema).expectedKey)) await d.query(statement)
      })
    }
    const mainTables = new Set(pipeline.steps.map((s) => s.targets[0]!.name))
    // each target table once, under the first entity that writes it
    for (const { table, entity } of Pipeline.writtenTables(pipeline)) {
      if (table.primaryKey.length !== 1) continue
      yield* extraRows(Table.inSchema(table, options.targetSchema), controlSchema, options.runId, entity, mainTables.has(table.name), emit)
    }
  })
