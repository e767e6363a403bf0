/**
 * Dialect-neutral table definitions: the one description of a table from which every dialect generates its DDL,
 * its COPY column lists and its bulk-load column types.
 */

/** Logical column types, mapped to a physical type by each dialect. */
export type ColumnType =
  | {
    readonly _tag: "text"
    readonly maxLength?: number
    /** A GUID the database holds in a type of its own (SQL Server prints it in upper case, PostgreSQL in lower). */
    readonly guid?: boolean
  }
  | { readonly _tag: "int" }
  | { readonly _tag: "bigint" }
  | { readonly _tag: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly _tag: "date" }
  | { readonly _tag: "timestamp" }
  | { readonly _tag: "boolean" }

export interface Column {
  readonly name: string
  readonly type: ColumnType
  readonly nullable: boolean
}

export interface Table {
  /** Schema (namespace) the table lives in; `undefined` means the connection's default schema. */
  readonly schema: string | undefined
  readonly name: string
  readonly columns: ReadonlyArray<Column>
  readonly primaryKey: ReadonlyArray<string>
}


/** Column type constructors. */
export const text = (maxLength?: number): ColumnType =>
  maxLength === undefined ? { _tag: "text" } : { _tag: "text", maxLength }
export const int: ColumnType = { _tag: "int" }
export const bigint: ColumnType = { _tag: "bigint" }
export const decimal = (precision: number, scale: number): ColumnType => ({ _tag: "decimal", precision, scale })
export const date: ColumnType = { _tag: "date" }
export const timestamp: ColumnType = { _tag: "timestamp" }
export const boolean: ColumnType = { _tag: "boolean" }

/** A column spec in a table definition: a type, optionally marked nullable with `nullable(...)`. */
export type ColumnSpec = ColumnType | { readonly nullable: ColumnType }

export const nullable = (type: ColumnType): ColumnSpec => ({ nullable: type })

const isNullableSpec = (spec: ColumnSpec): spec is { readonly nullable: ColumnType } => "nullable" in spec

/**
 * Defines a table. Columns keep the order given, which is the order of COPY and bulk-load rows.
 */
export const make = (options: {
  readonly schema?: string | undefined
  readonly name: string
  readonly columns: Readonly<Record<string, ColumnSpec>>
  readonly primaryKey: ReadonlyArray<string>
}): Table => {
  const columns = Object.entries(options.columns).map(([name, spec]): Column =>
    isNullableSpec(spec) ? { name, type: spec.nullable, nullable: true } : { name, type: spec, nullable: false }
  )
  for (const key of options.primaryKey) {
    if (!columns.some((c) => c.name === key)) {
      throw new Error(`table ${options.name}: primary key column ${key} is not a column`)
    }
  }
  return { schema: options.schema, name: options.name, columns, primaryKey: options.primaryKey }
}

/** The same table in another schema. */
export const inSchema = (table: Table, schema: string | undefined): Table => ({ ...table, schema })

export const columnNames = (table: Table): ReadonlyArray<string> => table.columns.map((c) => c.name)

const int32 = 2_147_483_647
const int64 = 9_223_372_036_854_775_807n
/** A NUL or any half of a surrogate pair: text without one needs no closer look (the common case, checked first). */
const unusualCharacter = /[\u0000\uD800-\uDFFF]/
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * The character in a text that no target database stores as it is: a NUL (PostgreSQL text cannot hold one), or half
 * of a UTF-16 surrogate pair (which has no UTF-8 form); `undefined` for text with neither.
 */
export const unstorableCharacter = (text: string): "nul" | "half surrogate" | undefined => {
  // almost all text has neither: one scan for both, the closer look only when there is something to see
  if (!unusualCharacter.test(text)) return undefined
  if (text.includes("\u0000")) return "nul"
  if (loneSurrogate.test(text)) return "half surrogate"
  return undefined
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/
const decimalText = /^-?(\d+)(?:\.(\d+))?$/

/** A whole number as a bigint, from a number or its text; `undefined` when it is not one. */
const wholeNumber = (value: unknown): bigint | undefined => {
  if (typeof value === "bigint") return value
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value)
  return undefined
}

/**
 * Why a value would not fit its column on any dialect, or `undefined`. A value the database would refuse fails its
 * whole batch, and text it would change (a broken character) is changed silently: both are caught here, before the
 * write, so that the row can be quarantined with the reason instead. Text length counts UTF-16 units, as SQL Server's
 * nvarchar does (PostgreSQL's varchar counts characters, never more).
 */
export const valueProblem = (column: Column, value: unknown): string | undefined => {
  if (value === null) return column.nullable ? undefined : "cannot be empty"
  const type = column.type
  switch (type._tag) {
    case "text": {
      if (typeof value !== "string") return undefined
      const unstorable = unstorableCharacter(value)
      if (unstorable === "nul") return "cannot hold a NUL character"
      if (unstorable === "half surrogate") return "cannot hold half of a UTF-16 surrogate pair"
      // SQL Server's nvarchar(n) counts UTF-16 units, PostgreSQL's varchar(n) characters: a character beyond the
      // Basic Multilingual Plane (an emoji) is two units, so the units are the limit that holds on both
      if (type.maxLength !== undefined && value.length > type.maxLength) {
        const characters = [...value].length
        return characters > type.maxLength
          ? `holds at most ${type.maxLength} characters; the value has ${characters}`
          : `holds at most ${type.maxLength} characters as SQL Server counts them (UTF-16 units); the value has ${characters} characters in ${value.length} units`
      }
      return undefined
    }
    case "int":
    case "bigint": {
      if (typeof value === "number" && Number.isSafeInteger(value)) {
        if (type._tag === "bigint" || (value <= int32 && value >= -int32 - 1)) return undefined
      }
      const n = wholeNumber(value)
      if (n === undefined) return `expects a whole number, not ${JSON.stringify(String(value)).slice(0, 40)}`
      const limit = type._tag === "int" ? BigInt(int32) : int64
      return n > limit || n < -limit - 1n ? `${n} is out of range for a ${type._tag === "int" ? "32" : "64"}-bit whole number` : undefined
    }
    case "decimal": {
      const text = typeof value === "number"
        ? (Number.isFinite(value) && Math.abs(value) < 1e21 ? value.toFixed(Math.min(20, type.scale + 1)) : undefined)
        : typeof value === "bigint" ? String(value) : typeof value === "string" ? value : undefined
      const m = text === undefined ? null : decimalText.exec(text)
      if (m === null) return `expects a decimal number that fits numeric(${type.precision}, ${type.scale}), not ${JSON.stringify(String(value)).slice(0, 40)}`
      // fewer whole digits than the column keeps before its point: rounding the fraction cannot overflow it
      if (m[1]!.length < type.precision - type.scale) return undefined
      // as the database stores it: rounded half away from zero to the scale, then at most `precision` digits
      const fraction = m[2] ?? ""
      const scaled = BigInt(String(m[1]) + fraction.padEnd(type.scale, "0").slice(0, type.scale)) +
        (fraction.length > type.scale && Number(fraction[type.scale]) >= 5 ? 1n : 0n)
      if (scaled >= 10n ** BigInt(type.precision)) {
        return `does not fit numeric(${type.precision}, ${type.scale}): at most ${type.precision - type.scale} digits before the decimal point`
      }
      return undefined
    }
    case "date": {
      const m = typeof value === "string" ? isoDate.exec(value) : null
      if (m === null) return `expects a date written yyyy-mm-dd, not ${JSON.stringify(String(value)).slice(0, 40)}`
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
      // year one to 9999: what SQL Server's date holds, and PostgreSQL's without era suffixes
      if (y < 1 || days === undefined || d < 1 || d > days) return `${value} is not a calendar date from year 1 to 9999`
      return undefined
    }
    case "timestamp":
    case "boolean":
      return undefined
  }
}
