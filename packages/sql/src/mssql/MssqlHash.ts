/**
 * The canonical form of a row in T-SQL: each column cast per its logical type to its canonical text (as nvarchar),
 * the fields escaped and joined into the row's canonical text, converted to UTF-8 and hashed with md5. Also the pieces
 * the table diff builds its statements from: key order, key literals, exact sums and TOP.
 *
 * The rules themselves are written down once, in the reconcile package's `CanonicalHash` module, which computes the
 * same text in Node; this module is their SQL Server spelling.
 *
 * Requires SQL Server 2019 or later, or Azure SQL (checked by `requirement`): HASHBYTES over nvarchar would hash UTF-16, so the
 * canonical text is first converted to UTF-8 with a `_UTF8` collation, which 2019 introduced. Text keys are ordered
 * by their UTF-8 bytes, the same order as PostgreSQL's `COLLATE "C"`; SQL Server's own collations (even `_BIN2`)
 * compare with trailing spaces padded and would not agree.
 */
import type { Select } from "../SqlDialect.ts"
import type { Column, ColumnType } from "../Table.ts"
import { columnText, quoteString } from "./MssqlSql.ts"

const utf8Collation = "Latin1_General_100_BIN2_UTF8"

/** An nvarchar expression as its UTF-8 bytes. */
const utf8 = (nvarchar: string): string => `CAST((${nvarchar}) COLLATE ${utf8Collation} AS varchar(max))`

/**
 * A decimal of the given scale as text without trailing zeros after the point (nor the point itself when nothing
 * follows it), and zero without a sign. CONVERT writes every digit of the scale and never an exponent.
 */
const decimalText = (ref: string, scale: number): string => {
  const value = `CAST(${ref} AS decimal(38, ${scale}))`
  const digits = `CONVERT(nvarchar(41), ${value})`
  if (scale === 0) return digits
  const reversed = `REVERSE(${digits})`
  const firstKept = `PATINDEX(N'%[^0]%', ${reversed})`
  const cut = `${firstKept} - 1 + CASE WHEN SUBSTRING(${reversed}, ${firstKept}, 1) = N'.' THEN 1 ELSE 0 END`
  return `CASE WHEN ${value} = 0 THEN N'0' ELSE LEFT(${digits}, LEN(${digits}) - (${cut})) END`
}

/** The canonical value of a column as nvarchar text; NULL stays NULL. */
export const canonicalValue = (type: ColumnType, ref: string): string => {
  switch (type._tag) {
    case "text":
      // varchar columns are converted from their code page here, so that every text is Unicode; a GUID is written
      // in lower case, as PostgreSQL writes it
      return type.guid === true ? `LOWER(CAST(${ref} AS nvarchar(36)))` : `CAST(${ref} AS nvarchar(max))`
    case "int":
    case "bigint":
      return `CONVERT(nvarchar(20), CAST(${ref} AS bigint))`
    case "decimal":
      return decimalText(ref, type.scale)
    case "date":
      return `CONVERT(nvarchar(10), CAST(${ref} AS date), 23)`
    case "timestamp":
      // the instant in UTC, to the microsecond; style 121 writes `yyyy-mm-dd hh:mi:ss.ffffff`
      return `STUFF(CONVERT(nvarchar(26), CAST(SWITCHOFFSET(CAST(${ref} AS datetimeoffset(7)), N'+00:00') AS datetime2(6)), 121), 11, 1, N'T')`
    case "boolean":
      return `CASE CAST(${ref} AS bit) WHEN 1 THEN N't' WHEN 0 THEN N'f' END`
  }
}

const nullField = quoteString("\\N")

/**
 * One field of the canonical text: text escaped (backslash and bar, compared in binary), NULL as `\N`. ISNULL gives
 * the type of its first argument, so that argument is as wide as the marker (a boolean's `nvarchar(1)` would cut it
 * to `\`).
 */
const field = (column: Column, ref: string): string => {
  const value = canonicalValue(column.type, ref)
  return column.type._tag === "text"
    ? `ISNULL(REPLACE(REPLACE(${value} COLLATE Latin1_General_100_BIN2, ${quoteString("\\")}, ${quoteString("\\\\")}), N'|', ${
      quoteString("\\|")
    }), ${nullField})`
    : `ISNULL(CAST(${value} AS nvarchar(max)), ${nullField})`
}

/**
 * The canonical text of a row: its fields in column order, joined by `|`, as nvarchar(max) (the leading empty
 * nvarchar(max) keeps a long row from being cut at 4,000 characters).
 */
export const canonicalText = (columns: ReadonlyArray<Column>, ref: (column: string) => string): string =>
  `CAST(N'' AS nvarchar(max)) + ${columns.map((c) => field(c, ref(c.name))).join(" + N'|' + ")}`

const md5 = (text: string): string => `HASHBYTES('MD5', ${utf8(text)})`

/** The md5 of the canonical text's UTF-8 bytes, as 32 lower-case hex digits. */
export const rowHash = (text: string): string => `LOWER(CONVERT(nvarchar(32), ${md5(text)}, 2))`

/** The first 16 hex digits of the md5 as a signed 64-bit integer (big-endian, two's complement). */
export const rowHash64 = (text: string): string => `CAST(SUBSTRING(${md5(text)}, 1, 8) AS bigint)`

/** The text a source read gives for a column of no known database type (as `MssqlSql.columnText` writes it). */
export const rawText = (_type: ColumnType, ref: string): string => columnText(ref, undefined)

/** The expression keys are ordered and compared by: text by its UTF-8 bytes, every other type by its value. */
export const orderExpression = (type: ColumnType, ref: string, _binaryCollated: boolean): string =>
  type._tag === "text" ? `CAST(${utf8(canonicalValue(type, ref))} AS varbinary(max))` : ref

const checked = (value: string, pattern: RegExp, type: string): string => {
  if (!pattern.test(value)) throw new Error(`${JSON.stringify(value)} is not a canonical ${type} value`)
  return value
}

/** A canonical key value as a literal that compares with `orderExpression` of its column. */
export const keyLiteral = (type: ColumnType, value: string): string => {
  switch (type._tag) {
    case "text":
      return `0x${Buffer.from(value, "utf8").toString("hex")}`
    case "int":
    case "bigint":
      return checked(value, /^-?\d+$/, "integer")
    case "decimal":
      return `CAST(${checked(value, /^-?\d+(\.\d+)?$/, "decimal")} AS decimal(38, ${type.scale}))`
    case "date":
      return `CAST(${quoteString(value)} AS date)`
    case "timestamp":
      return `CAST(${quoteString(`${value}+00:00`)} AS datetimeoffset(7))`
    case "boolean":
      return value === "t" ? "CAST(1 AS bit)" : "CAST(0 AS bit)"
  }
}

/**
 * A condition that holds for the row whose key column has the canonical value, and perhaps for others under a
 * case-insensitive collation or with trailing spaces (the caller keeps only exact matches). Written on the bare
 * column so that its index serves.
 */
export const keyEquals = (type: ColumnType, ref: string, value: string): string =>
  type._tag === "text" ? `${ref} = ${quoteString(value)}` : `${ref} = ${keyLiteral(type, value)}`

export const asText = (expression: string): string => `CONVERT(nvarchar(max), ${expression})`

/** An exact sum of 64-bit integers (decimal(38, 0), which holds the sum of 2^64 rows' worth). */
export const sumExact = (expression: string): string => `SUM(CAST(${expression} AS decimal(38, 0)))`

export const countAll = "COUNT_BIG(*)"

export const select = (query: Select): string =>
  `SELECT ${query.limit === undefined ? "" : `TOP (${Math.trunc(query.limit)}) `}${query.columns.join(", ")} FROM ${query.from}` +
  (query.where === undefined ? "" : ` WHERE ${query.where}`) +
  (query.groupBy === undefined || query.groupBy.length === 0 ? "" : ` GROUP BY ${query.groupBy.join(", ")}`) +
  (query.orderBy === undefined || query.orderBy.length === 0 ? "" : ` ORDER BY ${query.orderBy.join(", ")}`)

/** The UTF-8 collations came with SQL Server 2019 (and Azure SQL): without them there is no UTF-8 to hash. */
export const requirement = {
  sql: `SELECT CONVERT(nvarchar(10), COUNT(*)) FROM sys.fn_helpcollations() WHERE name = N'${utf8Collation}'`,
  unmet: (value: string | null): string | undefined =>
    value === "1" ? undefined : `this SQL Server has no ${utf8Collation} collation; the canonical hash needs SQL Server 2019 or later`
}
