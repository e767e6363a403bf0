/**
 * The canonical form of a row, computed the same way inside the database (PostgreSQL, PGlite, SQL Server) and in
 * Node, so that a row's hash can be compared across databases without moving the row.
 *
 * The rules, per logical column type (`Table.ColumnType`):
 *
 * - text: the text as stored, code point for code point. Trailing spaces are kept and count; letter case counts; no
 *   Unicode normalisation (a precomposed `é` and `e` + combining accent differ); the hash takes its UTF-8 bytes.
 * - int, bigint: plain decimal digits with a leading `-` when negative, no leading zeros.
 * - decimal: the value at its stored scale without trailing zeros after the point, and without the point when nothing
 *   follows it; a leading `0` before the point; zero is `0`, never `-0`. So `1.50` is `1.5` and `2.00` is `2`.
 * - date: `yyyy-mm-dd` (years 0001 to 9999).
 * - timestamp: the instant in UTC as `yyyy-mm-ddThh:mm:ss.ffffff`, always six fractional digits (microseconds), so a
 *   value stored at +01:00 and the same instant at +00:00 are equal. A value without a UTC offset (a timestamp without
 *   time zone, SQL Server's datetime2) or finer than a microsecond is not an instant of this type: the proof refuses it.
 * - boolean: `t` or `f`.
 * - PostgreSQL's special values keep their own text: `NaN`, `Infinity`, `-Infinity`, `infinity`, `-infinity`.
 *
 * A row's canonical text is its fields in the table's column order joined by `|`. A field is the canonical value
 * with, for text, every `\` written `\\` and every `|` written `\|`; a NULL is `\N`. So NULL and the empty text
 * differ, the text `\N` differs from NULL, and `"12" + "3"` never equals `"1" + "23"` (`12|3` against `1|23`): the
 * text can always be split back into its fields.
 *
 * The row hash is the md5 of the canonical text's UTF-8 bytes, as 32 lower-case hex digits. A segment checksum is the
 * row count of a key range with the exact sum of the first 16 hex digits of each row's md5 read as a signed 64-bit
 * integer.
 *
 * Keys are ordered the same way on every database: numbers, dates and timestamps by value, booleans false first,
 * text by code point (the order of its UTF-8 bytes: PostgreSQL's `COLLATE "C"`, SQL Server's UTF-8 bytes as varbinary).
 *
 * In Node, the canonical text is computed from the text values a source read returns: PostgreSQL's text output form,
 * or SQL Server's `CONVERT(nvarchar(max), col, 121)`. The SQL lives in `PostgresHash` and `MssqlHash` of the sql
 * package; `proveCanonicalForm` checks on a sample that the database and Node agree before any diff trusts them.
 */
import type { Database, Driver, SqlDialect, Table } from "@handover/sql"
import * as MssqlHash from "@handover/sql/mssql/MssqlHash"
import * as PostgresHash from "@handover/sql/postgres/PostgresHash"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"

/** The field of a NULL. */
export const nullField = "\\N"

/** Between the fields of a row. */
export const separator = "|"

const invalid = (type: Table.ColumnType, text: string, why?: string): Error =>
  new Error(`${JSON.stringify(text)} is not a ${type._tag} value${why === undefined ? "" : ` (${why})`}`)

const integerPattern = /^([+-]?)(\d+)$/
const decimalPattern = /^([+-]?)(\d*)(?:\.(\d*))?$/
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/
const timestampPattern =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)$/
const specialNumbers = new Set(["NaN", "Infinity", "-Infinity"])
const specialTimes = new Set(["infinity", "-infinity"])

/** Digits and sign as a canonical decimal. */
const normalDecimal = (sign: string, whole: string, fraction: string): string => {
  const w = whole.replace(/^0+/, "") || "0"
  const f = fraction.replace(/0+$/, "")
  const body = f === "" ? w : `${w}.${f}`
  return sign === "-" && body !== "0" ? `-${body}` : body
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The proleptic Gregorian date of a day number (days since 1970-01-01). */
const civilFromDays = (days: number): readonly [number, number, number] => {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp + (mp < 10 ? 3 : -9)
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** Whether year, month and day name a real date. */
const isDate = (year: number, month: number, day: number): boolean => {
  const [y, m, d] = civilFromDays(daysFromCivil(year, month, day))
  return y === year && m === month && d === day
}

const canonicalTimestamp = (type: Table.ColumnType, text: string): string => {
  if (specialTimes.has(text)) return text
  const m = timestampPattern.exec(text)
  if (m === null) throw invalid(type, text, "a timestamp needs a date, a time and a UTC offset")
  const [, ys, mos, ds, hs, mis, ss, fraction = "", z, sign, ohs, oms = "0", oss = "0"] = m
  const [year, month, day, hour, minute, second] = [ys, mos, ds, hs, mis, ss].map(Number) as [number, number, number, number, number, number]
  if (!isDate(year, month, day) || hour > 23 || minute > 59 || second > 59) throw invalid(type, text)
  // SQL Server's datetimeoffset and datetime2 print seven digits by default: zeros past the microsecond are no finer
  if (fraction.length > 6 && !/^0+$/.test(fraction.slice(6))) throw invalid(type, text, "finer than a microsecond")
  const offset = z !== undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(ohs) * 3600 + Number(oms) * 60 + Number(oss))
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
  const days = Math.floor(seconds / 86400)
  const rest = seconds - days * 86400
  const [uy, um, ud] = civilFromDays(days)
  if (uy < 1 || uy > 9999) throw invalid(type, text, "outside the years 0001 to 9999 in UTC")
  return `${pad(uy, 4)}-${pad(um)}-${pad(ud)}T${pad(Math.floor(rest / 3600))}:${pad(Math.floor(rest / 60) % 60)}:${pad(rest % 60)}.${
    fraction.slice(0, 6).padEnd(6, "0")
  }`
}

/**
 * The canonical value of a column from the text a database returned for it (`null` for NULL). Throws when the text
 * is not a value of the logical type in any form a supported database writes.
 */
export const canonicalValue = (type: Table.ColumnType, text: string | null): string | null => {
  if (text === null) return null
  switch (type._tag) {
    case "text":
      return text
    case "int":
    case "bigint": {
      const m = integerPattern.exec(text)
      if (m === null) throw invalid(type, text)
      return normalDecimal(m[1]!, m[2]!, "")
    }
    case "decimal": {
      if (specialNumbers.has(text)) return text
      const m = decimalPattern.exec(text)
      if (m === null || (m[2] === "" && (m[3] ?? "") === "")) throw invalid(type, text)
      return normalDecimal(m[1]!, m[2]!, m[3] ?? "")
    }
    case "date": {
      if (specialTimes.has(text)) return text
      const m = datePattern.exec(text)
      if (m === null || !isDate(Number(m[1]), Number(m[2]), Number(m[3])) || m[1] === "0000") throw invalid(type, text)
      return text
    }
    case "timestamp":
      return canonicalTimestamp(type, text)
    case "boolean":
      if (text === "t" || text === "true" || text === "1") return "t"
      if (text === "f" || text === "false" || text === "0") return "f"
      throw invalid(type, text)
  }
}

/** A canonical value as a field of the canonical text. */
export const encodeField = (type: Table.ColumnType, value: string | null): string => {
  if (value === null) return nullField
  if (type._tag !== "text" || (!value.includes("\\") && !value.includes("|"))) return value
  return value.replaceAll("\\", "\\\\").replaceAll("|", "\\|")
}

/** The canonical text of a row of canonical values, in the table's column order. */
export const canonicalTextOfValues = (table: Table.Table, values: ReadonlyArray<string | null>): string =>
  table.columns.map((c, i) => encodeField(c.type, values[i] ?? null)).join(separator)

/** The canonical text of a row as a database returned it (text values in the table's column order). */
export const canonicalText = (table: Table.Table, row: Driver.TextRow): string =>
  canonicalTextOfValues(table, table.columns.map((c, i) => canonicalValue(c.type, row[i] ?? null)))

/** md5 of the UTF-8 bytes of a text, as 32 lower-case hex digits. */
export const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex")

/** The hash of a row as a database returned it: md5 of its canonical text. */
export const rowHash = (table: Table.Table, row: Driver.TextRow): string => md5(canonicalText(table, row))

// ---------------------------------------------------------------------------------------------------------------
// key order

/** Code unit to a rank in code point order: surrogates (astral code points) sort after U+E000..U+FFFF. */
const codePointRank = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit)

/** Texts in code point order, which is the order of their UTF-8 bytes. */
export const compareText = (a: string, b: string): number => {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

const specialRank = (value: string): number =>
  value === "NaN" ? 3 : value === "Infinity" ? 2 : value === "-Infinity" ? -2 : 0

/** Canonical decimals (or integers) by value. Allocates nothing: keys are compared once per row of a merge. */
export const compareDecimal = (a: string, b: string): number => {
  if (a === b) return 0
  const ra = specialRank(a)
  const rb = specialRank(b)
  if (ra !== 0 || rb !== 0) return ra - rb
  const na = a.charCodeAt(0) === 45
  const nb = b.charCodeAt(0) === 45
  if (na !== nb) return na ? -1 : 1
  const sa = na ? 1 : 0
  const sb = nb ? 1 : 0
  const pa = a.indexOf(".")
  const pb = b.indexOf(".")
  // no leading zeros: more digits before the point is larger
  let magnitude = (pa < 0 ? a.length : pa) - sa - ((pb < 0 ? b.length : pb) - sb)
  if (magnitude === 0) {
    // the points line up: compare digit by digit; no trailing zeros, so the one that goes on is larger
    const la = a.length - sa
    const lb = b.length - sb
    const n = Math.min(la, lb)
    let i = 0
    while (i < n && a.charCodeAt(sa + i) === b.charCodeAt(sb + i)) i++
    magnitude = i < n ? a.charCodeAt(sa + i) - b.charCodeAt(sb + i) : la - lb
  }
  return na ? -magnitude : magnitude
}

/** Two canonical values of a key column in the key order every database uses for the diff. */
export const compareValues = (type: Table.ColumnType, a: string, b: string): number => {
  switch (type._tag) {
    case "text":
      return compareText(a, b)
    case "int":
    case "bigint":
    case "decimal":
      return compareDecimal(a, b)
    case "date":
    case "timestamp":
      // fixed-width text; `-infinity` sorts first and `infinity` last, as in PostgreSQL
      return a === b ? 0 : a.startsWith("-") !== b.startsWith("-") ? (a.startsWith("-") ? -1 : 1) : a < b ? -1 : 1
    case "boolean":
      return a === b ? 0 : a < b ? -1 : 1
  }
}

/** Two keys (canonical values, one per key column; further values are ignored) in key order. */
export const compareKeys = (
  types: ReadonlyArray<Table.ColumnType>,
  a: ReadonlyArray<string | null>,
  b: ReadonlyArray<string | null>
): number => {
  for (let i = 0; i < types.length; i++) {
    const c = compareValues(types[i]!, a[i] ?? "", b[i] ?? "")
    if (c !== 0) return c
  }
  return 0
}

/** A key as findings show it: the canonical value of a one-column key, a JSON array of them for a composite key. */
export const keyText = (values: ReadonlyArray<string>): string => values.length === 1 ? values[0]! : JSON.stringify(values)

/** The key columns of a table, in key order. */
export const keyColumns = (table: Table.Table): ReadonlyArray<Table.Column> =>
  table.primaryKey.map((name) => table.columns.find((c) => c.name === name)!)

// ---------------------------------------------------------------------------------------------------------------
// SQL of each dialect

/** What a dialect's hash module gives: the canonical form in its SQL, and the pieces of the diff's statements. */
export interface HashSql {
  readonly canonicalValue: (type: Table.ColumnType, ref: string) => string
  readonly canonicalText: (columns: ReadonlyArray<Table.Column>, ref: (column: string) => string) => string
  readonly rowHash: (text: string) => string
  readonly rowHash64: (text: string) => string
  readonly rawText: (type: Table.ColumnType, ref: string) => string
  readonly orderExpression: (type: Table.ColumnType, ref: string, binaryCollated: boolean) => string
  readonly keyLiteral: (type: Table.ColumnType, value: string) => string
  readonly keyEquals: (type: Table.ColumnType, ref: string, value: string) => string
  readonly asText: (expression: string) => string
  readonly sumExact: (expression: string) => string
  readonly countAll: string
  readonly select: (query: SqlDialect.Select) => string
  readonly requirement: { readonly sql: string; readonly unmet: (value: string | null) => string | undefined }
}

/** The hash SQL of a dialect: PGlite speaks PostgreSQL's. */
export const hashSql = (dialect: SqlDialect.DialectName): HashSql => dialect === "mssql" ? MssqlHash : PostgresHash

/** The alias the statements give the table. */
export const tableAlias = "t0"

/** A column of the aliased table. */
export const columnRef = (dialect: SqlDialect.SqlDialect) => (column: string): string =>
  `${tableAlias}.${dialect.quoteIdentifier(column)}`

// ---------------------------------------------------------------------------------------------------------------
// proof

/** The database and Node disagree on the canonical form of a table's rows, or the database cannot compute it. */
export class CanonicalFormError extends Schema.TaggedError<CanonicalFormError>()("CanonicalFormError", {
  table: Schema.String,
  dialect: Schema.String,
  database: Schema.String,
  /** The column whose canonical value differs; null when the whole row's hash (or the database) is at fault. */
  column: Schema.NullOr(Schema.String),
  key: Schema.NullOr(Schema.String),
  databaseValue: Schema.NullOr(Schema.String),
  nodeValue: Schema.NullOr(Schema.String),
  message: Schema.String
}) {}

/** What a proof established. */
export interface Proof {
  readonly table: string
  readonly dialect: SqlDialect.DialectName
  readonly database: string
  readonly rowsChecked: number
}

const tableName = (table: Table.Table) => table.schema === undefined ? table.name : `${table.schema}.${table.name}`

/**
 * Checks, on the first `sampleSize` rows in key order, that the database computes the same canonical value of every
 * column and the same row hash as Node does from the text the database returns; fails with a `CanonicalFormError`
 * naming the column and dialect at the first difference. A logical type that does not fit the physical column (a
 * `char(n)` column declared text, a fractional numeric declared int, a timestamp without time zone) shows up here.
 */
export const proveCanonicalForm = Effect.fnUntraced(function*(
  database: Database.Database,
  table: Table.Table,
  sampleSize: number
) {
  const dialect = database.dialect
  const sql = hashSql(dialect.name)
  const ref = columnRef(dialect)
  const failure = (fields: {
    readonly column: string | null
    readonly key: string | null
    readonly databaseValue: string | null
    readonly nodeValue: string | null
    readonly message: string
  }) =>
    new CanonicalFormError({
      table: tableName(table),
      dialect: dialect.name,
      database: database.display,
      ...fields,
      message: `canonical form of ${tableName(table)} on ${dialect.name} (${database.display}): ${fields.message}`
    })

  const [requirement] = yield* database.use("check the canonical hash requirement", (d) => d.queryText(sql.requirement.sql))
  const unmet = sql.requirement.unmet(requirement?.[0] ?? null)
  if (unmet !== undefined) {
    return yield* failure({ column: null, key: null, databaseValue: requirement?.[0] ?? null, nodeValue: null, message: unmet })
  }

  const width = table.columns.length
  const statement = sql.select({
    columns: [
      ...table.columns.map((c) => sql.rawText(c.type, ref(c.name))),
      ...table.columns.map((c) => sql.canonicalValue(c.type, ref(c.name))),
      sql.rowHash(sql.canonicalText(table.columns, ref))
    ],
    from: `${dialect.qualify(table)} AS ${tableAlias}`,
    orderBy: table.primaryKey.map(ref),
    limit: sampleSize
  })
  const rows = yield* database.use(`prove the canonical form of ${table.name}`, (d) => d.queryText(statement)).pipe(
    Effect.catchTag("DatabaseError", (error) =>
      Effect.fail(failure({
        column: null,
        key: null,
        databaseValue: null,
        nodeValue: null,
        message: `the database cannot compute the canonical form: ${error.message}`
      })))
  )
  const keyPositions = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k))
  for (const row of rows) {
    const asText = (value: unknown): string | null => value === null || value === undefined ? null : String(value)
    const key = keyText(keyPositions.map((p) => asText(row[width + p]) ?? ""))
    const values: Array<string | null> = []
    for (const [i, column] of table.columns.entries()) {
      const raw = asText(row[i])
      const inDatabase = asText(row[width + i])
      let inNode: string | null
      try {
        inNode = canonicalValue(column.type, raw)
      } catch (error) {
        return yield* failure({
          column: column.name,
          key,
          databaseValue: inDatabase,
          nodeValue: null,
          message: `column ${column.name} (logical type ${column.type._tag}) of row ${key}: Node cannot read ${JSON.stringify(raw)}: ${
            error instanceof Error ? error.message : String(error)
          }; does the column's physical type match its logical type?`
        })
      }
      if (inNode !== inDatabase) {
        return yield* failure({
          column: column.name,
          key,
          databaseValue: inDatabase,
          nodeValue: inNode,
          message: `column ${column.name} (logical type ${column.type._tag}) of row ${key} is ${JSON.stringify(inDatabase)} in the database but ${
            JSON.stringify(inNode)
          } in Node (read as ${JSON.stringify(raw)}); does the column's physical type match its logical type?`
        })
      }
      values.push(inNode)
    }
    const inDatabase = asText(row[2 * width])
    const inNode = md5(canonicalTextOfValues(table, values))
    if (inDatabase !== inNode) {
      return yield* failure({
        column: null,
        key,
        databaseValue: inDatabase,
        nodeValue: inNode,
        message: `every column of row ${key} agrees but the row hash is ${inDatabase} in the database and ${inNode} in Node (text encoding?)`
      })
    }
  }
  return { table: tableName(table), dialect: dialect.name, database: database.display, rowsChecked: rows.length } satisfies Proof
})
