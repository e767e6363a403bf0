/**
 * The record-level check, mapping-aware: the mapping is run again over every legacy row, and what it gives is
 * compared, field by field, with what the target holds, joined through the xref. A target row that should be there
 * and is not, a target row no legacy row accounts for, and every differing field is a finding naming the legacy key,
 * the target key, the field, both values and the step's rules.
 */
import { Databases, Ledger, Rehearsal, Source, type Pipeline } from "@handover/core"
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
  target.use(`read ${table.name}`, (d) =>
    Driver.inParts(keys, (part) =>
      d.queryText(
        `SELECT ${table.columns.map((c) => d.dialect.quoteIdentifier(c.name)).join(", ")} FROM ${d.dialect.qualify(table)} WHERE ${
          d.dialect.quoteIdentifier(table.primaryKey[0]!)
        } IN (${part.map((_, i) => d.dialect.placeholder(i + 1)).join(", ")})`,
        part
      ))).pipe(Effect.map((rows) => {
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

/** Compares one entity's re-mapped rows with the target; returns the target keys it expects, per table. */
const checkStep = (
  pipeline: Pipeline.Pipeline,
  step: Pipeline.EntityStep,
  options: Options,
  expectedKeys: Map<string, Set<string>>,
  emit: (f: Finding.Finding) => void
) =>
  Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    const target = yield* Databases.TargetDatabase
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const ledger = Ledger.make(target, controlSchema)
    const prepared = Rehearsal.prepareStep(pipeline, step, options)
    const ownMatches = new Map<string, string>()
    const rules = step.rules.map((r) => r.id).join(" ")
    yield* Source.batches(legacy, {
      table: prepared.sourceTable,
      columns: step.source.columns,
      key: step.source.key,
      after: undefined,
      batchSize: options.batchSize ?? 1000,
      mode: "auto"
    }).pipe(
      Stream.runForEach((rows) =>
        Effect.gen(function*() {
          if (rows.length === 0) return
          const { texts, decodedRows } = Rehearsal.decodeRows(step, prepared.decode, rows)
          const resolved = yield* Rehearsal.resolveBatch(ledger, options.runId, step, decodedRows, prepared.mainTableOf, options, false)
          const results = Rehearsal.mapRows(step, prepared.placed, rows, texts, decodedRows, prepared.keyPositions, resolved, options.parameters ?? {}, ownMatches)
          const xref = yield* xrefOf(target, controlSchema, options.runId, step.entity, results.map((r) => r.legacyKey))
          // the expected target rows of the batch, by table
          const expected = new Map<string, Array<{ legacyKey: string; key: string; values: ReadonlyArray<Driver.SqlValue> }>>()
          for (const result of results) {
            const actual = xref.get(result.legacyKey)
            const outcome = result._tag === "Mapped" ? result.outcome : undefined
            const base = { entity: step.entity, legacyKey: result.legacyKey, severity: "error" as const, rule: rules === "" ? null : rules }
            if (outcome?._tag === "Load" || outcome?._tag === "Merge") {
              const wanted = outcome._tag === "Load" ? "loaded" : "merged"
              if (actual === undefined || actual.outcome !== wanted || actual.targetKey !== outcome.targetKey) {
                emit(Finding.make({
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
              if (outcome._tag === "Load" && result._tag === "Mapped") {
                for (const [table, values] of result.rows) {
                  const pk = table.columns.findIndex((c) => c.name === table.primaryKey[0])
                  const key = String(values[pk])
                  const list = expected.get(table.name) ?? []
                  list.push({ legacyKey: result.legacyKey, key, values })
                  expected.set(table.name, list)
                  const seen = expectedKeys.get(table.name) ?? new Set<string>()
                  seen.add(key)
                  expectedKeys.set(table.name, seen)
                }
              }
            } else if (actual !== undefined) {
              emit(Finding.make({
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
            const actualRows = yield* rowsByKey(target, table, list.map((e) => e.key))
            for (const e of list) {
              const actual = actualRows.get(e.key)
              if (actual === undefined) {
                emit(Finding.make({
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
              table.columns.forEach((column, i) => {
                const want = Canonical.value(column.type, e.values[i])
                const got = Canonical.value(column.type, actual[i] ?? null)
                if (want === got) return
                emit(Finding.make({
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
              })
            }
          }
        })
      )
    )
  })

/** Target rows of a table that no legacy row accounts for. */
const extraRows = (table: Table.Table, expected: ReadonlySet<string>, entity: string, emit: (f: Finding.Finding) => void) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    const pk = table.primaryKey[0]!
    yield* Source.batches(target, { table, columns: [pk], key: [pk], after: undefined, batchSize: 5_000, mode: "auto" }).pipe(
      Stream.runForEach((rows) =>
        Effect.sync(() => {
          for (const [key] of rows) {
            if (key === null || key === undefined || expected.has(key)) continue
            emit(Finding.make({
              check: checkId(table),
              entity,
              targetKey: key,
              kind: "extra",
              severity: "error",
              message: `${table.name} holds row ${key}, which no legacy row accounts for`
            }))
          }
        })
      )
    )
  })

/** Runs the record-level check of every entity step of a run; calls `emit` for each finding. */
export const run = (pipeline: Pipeline.Pipeline, options: Options, emit: (f: Finding.Finding) => void) =>
  Effect.gen(function*() {
    const expectedKeys = new Map<string, Set<string>>()
    for (const step of pipeline.steps) yield* checkStep(pipeline, step, options, expectedKeys, emit)
    // each target table once, under the first entity that writes it
    const tables = new Map<string, { readonly table: Table.Table; readonly entity: string }>()
    for (const step of pipeline.steps) {
      for (const table of step.targets) if (!tables.has(table.name)) tables.set(table.name, { table, entity: step.entity })
    }
    for (const { table, entity } of tables.values()) {
      if (table.primaryKey.length !== 1) continue
      yield* extraRows(Table.inSchema(table, options.targetSchema), expectedKeys.get(table.name) ?? new Set(), entity, emit)
    }
  })
