/**
 * `handover diff`: one table on two databases (PostgreSQL, PGlite and SQL Server, in any pairing), compared row by row
 * through the table diff, whose canonical form is proved on a sample of both first: the rows only on the left, those
 * only on the right, and the changed rows with each column that differs. It only reads, and holds an embedded folder
 * while it reads it. A diff knows no column's meaning, so every value but the key is withheld unless `--reveal` says
 * otherwise. Exit 0 when the tables are the same, 1 when they differ, 2 when it could not run.
 */
import { Databases } from "@handover/core"
import { type Finding, TableDiff } from "@handover/reconcile"
import { Masking } from "@handover/report"
import { Database, TableShape } from "@handover/sql"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

export class TablesDiffer extends Schema.TaggedError<TablesDiffer>()("TablesDiffer", { message: Schema.String }) {}

export class DiffError extends Schema.TaggedError<DiffError>()("DiffError", { message: Schema.String }) {}

export interface Options {
  readonly left: string
  readonly right: string
  /** `SCHEMA.TABLE`, or `TABLE` in the connection's default schema. */
  readonly table: string
  /** The right side's table, when it is named otherwise. */
  readonly rightTable?: string | undefined
  readonly key?: ReadonlyArray<string> | undefined
  readonly columns?: ReadonlyArray<string> | undefined
  /** A condition in each side's own SQL that picks the rows compared. */
  readonly where?: string | undefined
  readonly json: boolean
  readonly reveal: Masking.Reveal
  readonly pseudonymKey?: string | undefined
  readonly waitSeconds: number
}

/** A table name as given: `SCHEMA.TABLE` split at its first dot, or a table of the default schema. */
export const tableRef = (text: string): { readonly schema: string | undefined; readonly name: string } => {
  const dot = text.indexOf(".")
  return dot < 0 ? { schema: undefined, name: text } : { schema: text.slice(0, dot), name: text.slice(dot + 1) }
}

/** A difference as the command prints it, a value masked as the reveal level says. */
export interface Difference {
  readonly kind: "only-left" | "only-right" | "changed"
  readonly key: string
  readonly column: string | null
  readonly left: string | null
  readonly right: string | null
  readonly note: string | null
}

/** A finding of the table diff as a difference between the left and the right table. */
export const differenceOf = (masker: Masking.Masker) => (f: Finding.Finding): Difference => {
  if (f.kind === "missing") return { kind: "only-left", key: f.legacyKey ?? "", column: null, left: null, right: null, note: null }
  if (f.kind === "extra") return { kind: "only-right", key: f.targetKey ?? "", column: null, left: null, right: null, note: null }
  return {
    kind: "changed",
    key: f.legacyKey ?? f.targetKey ?? "",
    column: f.field,
    left: masker.opaque(f.legacyValue),
    right: masker.opaque(f.targetValue),
    // a row whose hash differs but no column does, or that changed while the diff read it
    note: f.field === null ? f.message.replace(/^.*?: /, "") : null
  }
}

/** One line of the terminal's listing of a difference. */
export const lineOf = (d: Difference): string => {
  switch (d.kind) {
    case "only-left":
      return `only on the left   ${d.key}`
    case "only-right":
      return `only on the right  ${d.key}`
    case "changed":
      return d.column === null
        ? `changed            ${d.key}: ${d.note ?? ""}`
        : `changed            ${d.key}  ${d.column}: ${JSON.stringify(d.left)} → ${JSON.stringify(d.right)}`
  }
}

/** A `--where` condition tried on a side before the diff runs, so that a bad one is a one-line refusal. */
const tryCondition = (database: Database.Database, side: string, table: { readonly schema: string | undefined; readonly name: string }, where: string) =>
  database.use(`try the --where condition on the ${side}`, (d) =>
    d.queryText(`SELECT COUNT(*) FROM (SELECT * FROM ${d.dialect.qualify(table)} WHERE ${where}) t0`)).pipe(
      // the database's own words, without the operation and database the error names first
      Effect.mapError((e) => new DiffError({ message: `--where on the ${side} (${database.display}): ${e.message.split("\n")[0]!.split(`${database.display}: `).at(-1)}` })),
      Effect.map((rows) => Number(rows[0]![0]))
    )

export const diff = (options: Options) =>
  Effect.scoped(Effect.gen(function*() {
    const masker = yield* Effect.try({
      try: () => Masking.make(options.reveal, options.pseudonymKey),
      catch: (e) => new DiffError({ message: e instanceof Error ? e.message : String(e) })
    })
    const holding = { command: "diff", waitSeconds: options.waitSeconds }
    const warn = (message: string) => process.stderr.write(`${message}\n`)
    const left = yield* Database.openUrl(options.left, Databases.legacyHold(holding, warn, "read"))
    const right = options.right.trim() === options.left.trim() ? left : yield* Database.openUrl(options.right, Databases.legacyHold(holding, warn, "read"))
    const leftRef = tableRef(options.table)
    const rightRef = tableRef(options.rightTable ?? options.table)
    const wanted = { key: options.key, columns: options.columns }
    const leftTable = yield* TableShape.read(left, "left table", leftRef.schema, leftRef.name, wanted)
    const rightTable = yield* TableShape.read(right, "right table", rightRef.schema, rightRef.name, { ...wanted, key: options.key ?? leftTable.primaryKey })
    if (options.where !== undefined) {
      yield* tryCondition(left, "left", leftRef, options.where)
      yield* tryCondition(right, "right", rightRef, options.where)
    }
    const started = Date.now()
    const changedColumns = new Map<string, number>()
    const print = (findings: ReadonlyArray<Finding.Finding>) =>
      Effect.sync(() => {
        const differences = findings.map(differenceOf(masker))
        for (const d of differences) if (d.column !== null) changedColumns.set(d.column, (changedColumns.get(d.column) ?? 0) + 1)
        if (differences.length > 0) {
          process.stdout.write(`${differences.map((d) => (options.json ? JSON.stringify(d) : lineOf(d))).join("\n")}\n`)
        }
      })
    const summary = yield* TableDiff.run({
      legacy: { database: left, table: leftTable, where: options.where },
      target: { database: right, table: rightTable, where: options.where },
      entity: leftTable.name
    }, print).pipe(Effect.mapError((e) => (e._tag === "TableDiffError" || e._tag === "CanonicalFormError" ? new DiffError({ message: e.message }) : e)))
    const seconds = (Date.now() - started) / 1000
    const columns = [...changedColumns].map(([c, n]) => `${c} ${n.toLocaleString("en-GB")}`).join(", ")
    const counts = `${summary.missing.toLocaleString("en-GB")} only on the left, ${summary.extra.toLocaleString("en-GB")} only on the right, ` +
      `${summary.different.toLocaleString("en-GB")} changed${columns === "" ? "" : ` (${columns})`}`
    const line = `left ${left.display} ${TableShape.nameOf(leftTable)}: ${summary.legacyRows.toLocaleString("en-GB")} rows; ` +
      `right ${right.display} ${TableShape.nameOf(rightTable)}: ${summary.targetRows.toLocaleString("en-GB")} rows; ${counts}; in ${seconds.toFixed(1)} s`
    if (options.json) {
      yield* Console.error(JSON.stringify({
        summary: {
          left: { database: left.display, table: TableShape.nameOf(leftTable), rows: summary.legacyRows },
          right: { database: right.display, table: TableShape.nameOf(rightTable), rows: summary.targetRows },
          key: leftTable.primaryKey,
          onlyLeft: summary.missing,
          onlyRight: summary.extra,
          changed: summary.different,
          changedColumns: Object.fromEntries(changedColumns),
          seconds
        }
      }))
    } else {
      yield* Console.log(line)
    }
    if (summary.missing + summary.extra + summary.different > 0) return yield* new TablesDiffer({ message: `the tables differ: ${counts}` })
  }))
