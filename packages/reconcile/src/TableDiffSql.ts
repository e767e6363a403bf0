/**
 * The statements of the table diff, built from a table definition and a dialect's hash SQL: row counts, evenly
 * spaced key quantiles, segment checksums, pages of (key, row hash) pairs in key order, and rows by key. Keys travel
 * as canonical values and come back into statements as literals, so both databases see the same key boundaries.
 */
import type { SqlDialect, Table } from "@handover/sql"
import { columnRef, hashSql, keyColumns, tableAlias, type HashSql } from "./CanonicalHash.ts"

/** One side's table, in its dialect. */
export interface Target {
  readonly table: Table.Table
  readonly dialect: SqlDialect.SqlDialect
  readonly sql: HashSql
  /** Text key columns whose collation already orders by bytes, so that no `COLLATE` is needed (PostgreSQL). */
  readonly binaryCollated: ReadonlySet<string>
  /** A condition in the side's own SQL that picks the rows compared (all rows when none). */
  readonly where?: string | undefined
}

export const target = (
  table: Table.Table,
  dialect: SqlDialect.SqlDialect,
  binaryCollated: ReadonlySet<string> = new Set(),
  where?: string
): Target => ({
  table,
  dialect,
  sql: hashSql(dialect.name),
  binaryCollated,
  where
})

/** A key as canonical values, one per key column. */
export type Key = ReadonlyArray<string>

/** A range of keys: from `from` (included) to `to` (excluded); a missing end is open. */
export interface KeyRange {
  readonly from: Key | undefined
  readonly to: Key | undefined
}

/** The rows compared: the table's, or those its condition picks, as a derived table under the same alias. */
const from = (t: Target) =>
  t.where === undefined ? `${t.dialect.qualify(t.table)} AS ${tableAlias}` : `(SELECT * FROM ${t.dialect.qualify(t.table)} WHERE ${t.where}) AS ${tableAlias}`

const orderExpressions = (t: Target): ReadonlyArray<string> => {
  const ref = columnRef(t.dialect)
  return keyColumns(t.table).map((c) => t.sql.orderExpression(c.type, ref(c.name), t.binaryCollated.has(c.name)))
}

/**
 * Whether the key order is one no index serves, so that every page of a keyset read would sort the table again: a
 * text key ordered by its UTF-8 bytes on SQL Server, or under `COLLATE "C"` on PostgreSQL where the column's own
 * collation is another. Such a range is better read whole, in one streamed query sorted once.
 */
export const orderIsSorted = (t: Target): boolean =>
  keyColumns(t.table).some((c) =>
    c.type._tag === "text" && (t.dialect.name === "mssql" || (c.type.guid !== true && !t.binaryCollated.has(c.name)))
  )

const keyValues = (t: Target): ReadonlyArray<string> => {
  const ref = columnRef(t.dialect)
  return keyColumns(t.table).map((c) => t.sql.canonicalValue(c.type, ref(c.name)))
}

/**
 * The condition `key op values` in the diff's key order, for a key of any number of columns: an OR of prefixes (SQL
 * Server has no row-value comparison), led by a condition on the first column alone so that an index on it serves.
 */
export const keyCompare = (t: Target, op: "<" | ">" | ">=", values: Key): string => {
  const columns = keyColumns(t.table)
  if (values.length !== columns.length) throw new Error(`a key of ${t.table.name} has ${columns.length} values, got ${values.length}`)
  const expressions = orderExpressions(t)
  const literals = columns.map((c, i) => t.sql.keyLiteral(c.type, values[i]!))
  const strict = op === ">=" ? ">" : op
  const disjuncts = expressions.map((e, i) => {
    const equal = expressions.slice(0, i).map((p, j) => `${p} = ${literals[j]}`)
    const last = i === expressions.length - 1 ? op : strict
    return [...equal, `${e} ${last} ${literals[i]}`].join(" AND ")
  })
  if (disjuncts.length === 1) return disjuncts[0]!
  const lead = `${expressions[0]} ${op === "<" ? "<=" : ">="} ${literals[0]}`
  return `${lead} AND (${disjuncts.map((d) => `(${d})`).join(" OR ")})`
}

const rangeConditions = (t: Target, range: KeyRange, after: Key | undefined): ReadonlyArray<string> => [
  ...(after !== undefined ? [`(${keyCompare(t, ">", after)})`] : range.from !== undefined ? [`(${keyCompare(t, ">=", range.from)})`] : []),
  ...(range.to !== undefined ? [`(${keyCompare(t, "<", range.to)})`] : [])
]

const where = (conditions: ReadonlyArray<string>): string | undefined => conditions.length === 0 ? undefined : conditions.join(" AND ")

/**
 * The number of the segment a row falls in, given the first key of every segment but the first: a balanced tree of
 * CASE expressions, so a row takes about log2(segments) comparisons.
 */
export const segmentExpression = (t: Target, starts: ReadonlyArray<Key>): string => {
  const tree = (lo: number, hi: number): string => {
    if (lo === hi) return String(lo)
    const mid = (lo + hi + 1) >> 1
    return `CASE WHEN ${keyCompare(t, "<", starts[mid - 1]!)} THEN ${tree(lo, mid - 1)} ELSE ${tree(mid, hi)} END`
  }
  return tree(0, starts.length)
}

/** `SELECT count` of the table, as text. */
export const countRows = (t: Target): string => t.sql.select({ columns: [t.sql.asText(t.sql.countAll)], from: from(t) })

/**
 * Every `step`-th key in key order (the keys of rows step + 1, 2 step + 1, ...), from one ordered pass over the
 * keys: the first keys of evenly sized segments.
 */
export const quantileKeys = (t: Target, step: number): string => {
  const keys = keyValues(t)
  const inner = t.sql.select({
    columns: [...keys.map((k, i) => `${k} AS k${i}`), `ROW_NUMBER() OVER (ORDER BY ${orderExpressions(t).join(", ")}) AS rn`],
    from: from(t)
  })
  return t.sql.select({
    columns: keys.map((_, i) => `q.k${i}`),
    from: `(${inner}) AS q`,
    where: `q.rn > 1 AND (q.rn - 1) % ${Math.trunc(step)} = 0`,
    orderBy: ["q.rn"]
  })
}

/**
 * Per segment (of all, or of `only` those numbered): its number, row count and checksum (exact sum of the rows' 64-bit
 * hashes), all as text. The rows are joined to the list of segment numbers, so that the planner knows the groups are
 * few and aggregates them in a hash table (grouping by the bare CASE would have it sort the whole table first), and
 * only the rows of the listed segments are hashed.
 */
export const segmentChecksums = (t: Target, starts: ReadonlyArray<Key>, only?: ReadonlyArray<number>): string => {
  const ref = columnRef(t.dialect)
  const inner = t.sql.select({
    columns: [
      `${segmentExpression(t, starts)} AS s`,
      `${t.sql.rowHash64(t.sql.canonicalText(t.table.columns, ref))} AS h`
    ],
    from: from(t)
  })
  const numbers = (only ?? Array.from({ length: starts.length + 1 }, (_, i) => i)).map((i) => `(${Math.trunc(i)})`).join(", ")
  return t.sql.select({
    columns: [t.sql.asText("g.n"), t.sql.asText(t.sql.countAll), t.sql.asText(t.sql.sumExact("q.h"))],
    from: `(${inner}) AS q JOIN (VALUES ${numbers}) AS g(n) ON g.n = q.s`,
    groupBy: ["g.n"]
  })
}

/** One page of (key canonical values..., row hash) in key order, within a range and after a key; `Infinity`: every pair. */
export const pairsPage = (t: Target, range: KeyRange, after: Key | undefined, limit: number): string => {
  const ref = columnRef(t.dialect)
  return t.sql.select({
    columns: [...keyValues(t), t.sql.rowHash(t.sql.canonicalText(t.table.columns, ref))],
    from: from(t),
    where: where(rangeConditions(t, range, after)),
    orderBy: orderExpressions(t),
    // no limit: the whole range, streamed
    limit: Number.isFinite(limit) ? limit : undefined
  })
}

/**
 * The canonical values of every column of the rows with the given keys. Under a case-insensitive or otherwise
 * non-binary collation it may return rows of other keys too: the caller keeps exact matches only.
 */
export const rowsByKey = (t: Target, keys: ReadonlyArray<Key>): string => {
  const ref = columnRef(t.dialect)
  const columns = keyColumns(t.table)
  return t.sql.select({
    columns: t.table.columns.map((c) => t.sql.canonicalValue(c.type, ref(c.name))),
    from: from(t),
    where: keys.map((key) => `(${columns.map((c, i) => t.sql.keyEquals(c.type, ref(c.name), key[i]!)).join(" AND ")})`).join(" OR ")
  })
}

/**
 * PostgreSQL: the columns of a table whose collation compares bytes (`C` or `POSIX`, or the database default when
 * that is a libc `C` locale). Its one parameter is the qualified table name.
 */
export const postgresBinaryCollatedColumns = `SELECT a.attname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation ` +
  `WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND (c.collname IN ('C', 'POSIX') OR ` +
  `(c.collname = 'default' AND EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() ` +
  `AND d.datcollate IN ('C', 'POSIX') AND d.datlocprovider = 'c')))`
