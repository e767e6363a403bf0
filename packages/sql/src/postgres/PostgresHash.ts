/**
 * The canonical form of a row in PostgreSQL's SQL (PGlite uses the same): each column cast per its logical type to
 * its canonical text, the fields escaped and joined into the row's canonical text, and the md5 of that text. Also the
 * pieces the table diff builds its statements from: key order, key literals, exact sums and LIMIT.
 *
 * The rules themselves are written down once, in the reconcile package's `CanonicalHash` module, which computes the
 * same text in Node; this module is their PostgreSQL spelling. md5 hashes the bytes of the text in the server
 * encoding, so the database must be UTF-8 (checked by `requirement`).
 */
import type { Select } from "../SqlDialect.ts"
import type { Column, ColumnType } from "../Table.ts"
import { quoteLiteral } from "./PostgresSql.ts"

/** The canonical value of a column as text; NULL stays NULL. */
export const canonicalValue = (type: ColumnType, ref: string): string => {
  switch (type._tag) {
    case "text":
      return `(${ref})::text`
    case "int":
    case "bigint":
      return `((${ref})::bigint)::text`
    case "decimal":
      // trim_scale drops the trailing zeros after the point; numeric has no negative zero
      return `trim_scale((${ref})::numeric)::text`
    case "date":
      // to_char gives NULL for ±infinity: those keep their own text
      return `coalesce(to_char((${ref})::date, 'YYYY-MM-DD'), (${ref})::date::text)`
    case "timestamp":
      return `coalesce(to_char((${ref})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), (${ref})::timestamptz::text)`
    case "boolean":
      return `CASE (${ref})::boolean WHEN true THEN 't' WHEN false THEN 'f' END`
  }
}

const nullField = quoteLiteral("\\N")

/** One field of the canonical text: text escaped (backslash and bar), NULL as `\N`. */
const field = (column: Column, ref: string): string => {
  const value = canonicalValue(column.type, ref)
  return column.type._tag === "text"
    ? `coalesce(replace(replace(${value}, ${quoteLiteral("\\")}, ${quoteLiteral("\\\\")}), '|', ${quoteLiteral("\\|")}), ${nullField})`
    : `coalesce(${value}, ${nullField})`
}

/** The canonical text of a row: its fields in column order, joined by `|`. */
export const canonicalText = (columns: ReadonlyArray<Column>, ref: (column: string) => string): string =>
  columns.map((c) => field(c, ref(c.name))).join(` || '|' || `)

/** The md5 of the canonical text, as 32 lower-case hex digits. */
export const rowHash = (text: string): string => `md5(${text})`

/** The first 16 hex digits of the md5 as a signed 64-bit integer (big-endian, two's complement). */
export const rowHash64 = (text: string): string => `('x' || left(md5(${text}), 16))::bit(64)::bigint`

/** The text a source read gives for a column: PostgreSQL's own output form, which the drivers pass on untouched. */
export const rawText = (_type: ColumnType, ref: string): string => ref

/**
 * The expression keys are ordered and compared by: text by its bytes (`COLLATE "C"`, which in a UTF-8 database is
 * code point order), unless the column's collation already is byte order, so that an index on it still serves.
 */
export const orderExpression = (type: ColumnType, ref: string, binaryCollated: boolean): string =>
  // a uuid sorts by its bytes, the order of its text in lower case: by itself, so that its index serves
  type._tag === "text" && !binaryCollated && type.guid !== true ? `${ref} COLLATE "C"` : ref

/** A canonical key value as a literal that compares with `orderExpression` of its column. */
export const keyLiteral = (type: ColumnType, value: string): string => {
  const quoted = quoteLiteral(value)
  switch (type._tag) {
    case "text":
      return quoted
    case "int":
    case "bigint":
      return `${quoted}::bigint`
    case "decimal":
      return `${quoted}::numeric`
    case "date":
      return `${quoted}::date`
    case "timestamp":
      return value.endsWith("infinity") ? `${quoted}::timestamptz` : `${quoteLiteral(`${value}Z`)}::timestamptz`
    case "boolean":
      return `${quoted}::boolean`
  }
}

/**
 * A condition that holds for the row whose key column has the canonical value (and, where the column's collation
 * is not deterministic, perhaps for others: the caller keeps only exact matches). Written on the bare column so
 * that its index serves.
 */
export const keyEquals = (type: ColumnType, ref: string, value: string): string => `${ref} = ${keyLiteral(type, value)}`

export const asText = (expression: string): string => `(${expression})::text`

/** An exact sum of 64-bit integers (numeric, never overflowing). */
export const sumExact = (expression: string): string => `sum(${expression})`

export const countAll = "count(*)"

export const select = (query: Select): string =>
  `SELECT ${query.columns.join(", ")} FROM ${query.from}` +
  (query.where === undefined ? "" : ` WHERE ${query.where}`) +
  (query.groupBy === undefined || query.groupBy.length === 0 ? "" : ` GROUP BY ${query.groupBy.join(", ")}`) +
  (query.orderBy === undefined || query.orderBy.length === 0 ? "" : ` ORDER BY ${query.orderBy.join(", ")}`) +
  (query.limit === undefined ? "" : ` LIMIT ${Math.trunc(query.limit)}`)

/** What the database must offer for the canonical form to hold: md5 of UTF-8 bytes needs a UTF-8 database. */
export const requirement = {
  sql: "SELECT current_setting('server_encoding')",
  unmet: (value: string | null): string | undefined =>
    value === "UTF8" ? undefined : `the database encoding is ${value ?? "unknown"}; the canonical hash needs UTF8`
}
