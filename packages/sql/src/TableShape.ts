/**
 * A table of a database that Handover did not define, read from the database's own catalogue: its columns in their
 * order, each with the logical type the canonical form knows it by, and the columns that pick out one row (its
 * primary key, or a key a person names). What the catalogue says is taken as it is; a column whose type has no
 * canonical form (a floating-point number, a time zone, a binary or JSON value) is refused by name, so that a person
 * can leave it out rather than be told two values differ that only print differently.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Database, DatabaseError } from "./Database.ts"
import { catalogue, existingTables, type InvalidName, shown } from "./Names.ts"
import type { Column, ColumnType, Table } from "./Table.ts"

export class TableShapeError extends Schema.TaggedError<TableShapeError>()("TableShapeError", {
  message: Schema.String
}) {}

/** What to read of a table: which columns (all by default; the key's always) and its key (its primary key by default). */
export interface Wanted {
  readonly columns?: ReadonlyArray<string> | undefined
  readonly key?: ReadonlyArray<string> | undefined
}

const whole = (n: string | null): number | undefined => (n === null || n === "" ? undefined : Number(n))

/**
 * The logical type of a column of the catalogue (`information_schema.columns`: data type, length, precision, scale),
 * or `undefined` when the canonical form has none for it. PostgreSQL and SQL Server names alike.
 */
export const logicalType = (dataType: string, maxLength: string | null, precision: string | null, scale: string | null): ColumnType | undefined => {
  const length = whole(maxLength)
  switch (dataType.toLowerCase()) {
    case "text":
    case "ntext":
    case "character varying":
    case "varchar":
    case "nvarchar":
    case "character":
    case "char":
    case "nchar":
      return length === undefined || length <= 0 ? { _tag: "text" } : { _tag: "text", maxLength: length }
    // compared as text in lower case, the form PostgreSQL prints
    case "uuid":
    case "uniqueidentifier":
      return { _tag: "text", maxLength: 36, guid: true }
    case "integer":
    case "int":
    case "smallint":
    case "tinyint":
      return { _tag: "int" }
    case "bigint":
      return { _tag: "bigint" }
    case "numeric":
    case "decimal": {
      const p = whole(precision)
      const s = whole(scale)
      return p === undefined || s === undefined ? undefined : { _tag: "decimal", precision: p, scale: s }
    }
    case "date":
      return { _tag: "date" }
    case "timestamp without time zone":
    case "timestamp":
    case "datetime":
    case "datetime2":
    case "smalldatetime":
      return { _tag: "timestamp" }
    case "boolean":
    case "bit":
      return { _tag: "boolean" }
    default:
      return undefined
  }
}

const list = (names: ReadonlyArray<string>) => names.map(shown).join(", ")

/**
 * Reads a table's shape from the catalogue: the columns wanted (in the table's order, the key's among them) and its
 * key. Fails, naming what is wrong in one line, when the table does not exist, a column named is not one of it, it
 * has no primary key and none was named, a column's type has no canonical form, or a key named is not unique.
 */
export const read = (
  database: Database,
  what: string,
  schema: string | undefined,
  name: string,
  wanted: Wanted = {}
): Effect.Effect<Table, TableShapeError | InvalidName | DatabaseError> =>
  Effect.gen(function*() {
    yield* existingTables(database, what, schema, [name])
    const c = catalogue(database.dialect.name)
    const { columns, primaryKey } = yield* database.use(`read the catalogue of ${name}`, async (d) => {
      const cs = c.columns(schema, name)
      const pk = c.primaryKey(schema, name)
      return {
        columns: await d.queryText(cs.sql, cs.params),
        primaryKey: (await d.queryText(pk.sql, pk.params)).map((r) => String(r[0]))
      }
    })
    const table = `${schema === undefined ? "" : `${schema}.`}${name}`
    const fail = (message: string) => Effect.fail(new TableShapeError({ message: `the ${what} ${shown(table)} of ${database.display}: ${message}` }))
    const names = columns.map((r) => String(r[0]))
    const unknown = [...(wanted.columns ?? []), ...(wanted.key ?? [])].filter((n) => !names.includes(n))
    if (unknown.length > 0) return yield* fail(`no column ${list(unknown)} (it has ${list(names.slice(0, 12))}${names.length > 12 ? "…" : ""})`)
    const key = wanted.key ?? primaryKey
    if (key.length === 0) return yield* fail("no primary key: name the columns that pick out one row with --key")
    const kept = columns.filter((r) => wanted.columns === undefined || wanted.columns.includes(String(r[0])) || key.includes(String(r[0])))
    const typed: Array<Column> = []
    for (const r of kept) {
      const type = logicalType(String(r[1]), r[2] ?? null, r[3] ?? null, r[4] ?? null)
      if (type === undefined) {
        return yield* fail(`column ${shown(String(r[0]))} is of type ${String(r[1])}, which has no canonical form: leave it out with --columns`)
      }
      typed.push({ name: String(r[0]), type, nullable: !key.includes(String(r[0])) })
    }
    const shape: Table = { schema, name, columns: typed, primaryKey: key }
    // a key named by a person, not the table's own primary key: it must pick out one row, never be empty
    if (wanted.key !== undefined && !(primaryKey.length > 0 && primaryKey.every((k) => key.includes(k)))) {
      const repeated = yield* database.use(`check the key of ${name}`, (d) => d.queryText(c.keyProblems({ schema, name }, key)))
      if (repeated.length > 0) {
        return yield* fail(`the key (${list(key)}) is not unique or is empty in some rows, e.g. ${repeated.slice(0, 3).map((r) => JSON.stringify(r)).join(", ")}`)
      }
    }
    return shape
  })

/** A table's name as a person wrote it: `schema.table`, or the table alone in the default schema. */
export const nameOf = (table: Pick<Table, "schema" | "name">): string => table.schema === undefined ? table.name : `${table.schema}.${table.name}`
