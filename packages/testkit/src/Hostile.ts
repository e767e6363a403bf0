/**
 * Hostile legacy rows: what a real extract can throw at a migration, for any table definition. Text that breaks
 * quoting, escaping and parsing (quotes, backslashes, COPY's `\N`, SQL comments and statements, placeholders, bidi
 * and zero-width characters, the replacement character an invalid byte decodes to), a megabyte of text, numbers at
 * and past the limits of their columns, dates in year 1, year 0 and 9999, rows with every nullable column NULL, keys
 * written several ways (` 7`, `007`, `+7`) and text where a number or a date is expected.
 *
 * Two shapes of legacy table: `typed` values fit the column types of the definition (as a SWIFT database holds them),
 * `text` values go into a copy of the table whose every column is text (as an extract loaded from files holds them),
 * so anything at all can sit where a number or a date belongs. Text that no PostgreSQL database can hold (a NUL, half
 * a surrogate pair — SQL Server's nvarchar can hold both) is kept apart in `unstorableText`.
 */
import type { Driver } from "@handover/sql"
import { Table } from "@handover/sql"
import fc from "fast-check"

export type Mode = "typed" | "text"

/** One megabyte of text, to be read, decoded, quarantined (with its raw row) and never cut short. */
export const megabyte = "Lorem ipsum dolor sit amet, ĉu 名前 😀 ".repeat(Math.ceil(1_048_576 / 36)).slice(0, 1_048_576)

/** Fragments that break naive SQL, COPY, CSV and JSON handling, and characters that are hard to see or to store. */
export const nastyFragments: ReadonlyArray<string> = [
  "'", "''", "\"", "\\", "\\N", "\\.", "\\x41", "\t", "\n", "\r\n", "\r", ";", "--", "/*", "*/", "$1", "$$", "@1", "?",
  "%s", "{}", "[", "]]", "`", "'); DROP TABLE lg_client; --", "\"; DROP SCHEMA handover CASCADE; --", "' OR '1'='1",
  "N'x'", "${process.env.PATH}", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\")", "\u00a0", "\u200b",
  "\ufeff", "\u202e", "\u0001", "\u007f", "\u0085", "\u2028", "\ufffd", "é", "ł", "ß", "名前", "😀", "👩‍👩‍👧", "Ａ",
  "١٢٣", "null", "NULL", "undefined", "true", " "
]

/** Whole numbers, decimals and non-numbers written as text, where a number is expected. */
export const numberTexts: ReadonlyArray<string> = [
  "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775808", "99999999999999999999",
  "1e309", "-1e309", "1e-400", "NaN", "Infinity", "-0", "0x1F", "1,000", "1.000,50", "£99,999,999,999,999.99",
  "(12.00)", "1e3", " 7", "007", "+7", "7.0", "７", "abc", "", "   ", "12.345", "99999999999.99", "-99999999999.99",
  "999999999999.99", "9999999.99", "10000000.00"
]

/** Dates written as text, at and past the ends of every calendar a database keeps. */
export const dateTexts: ReadonlyArray<string> = [
  "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "31/12/9999", "01/01/0000", "00/00/0000", "29/02/1900",
  "29/02/2000", "2024-02-30", "1900-01-01", "01/01/1800", "-4713-11-24", "infinity", "-infinity", "epoch", "today",
  "1999-12-31 BC", "99999", "2958466", "12/31/2020", "2020-1-1", "2020-01-01T00:00:00Z", "approx 0000", "March 9999"
]

const loneSurrogates = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** The text without what no PostgreSQL text can hold. */
const storable = (text: string) => text.replaceAll("\u0000", "").replace(loneSurrogates, "")

/** Text any PostgreSQL database can store, however hostile, of at most `maxLength` characters. */
export const hostileText = (maxLength?: number): fc.Arbitrary<string> => {
  const cut = (text: string) => (maxLength === undefined ? text : [...text].slice(0, maxLength).join(""))
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.constantFrom(...nastyFragments), { minLength: 1, maxLength: 6 }).map((parts) => parts.join("")) },
    { weight: 2, arbitrary: fc.constantFrom(...numberTexts) },
    { weight: 2, arbitrary: fc.constantFrom(...dateTexts) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
    // filled to the column's length: the longest value the column takes
    { weight: 1, arbitrary: fc.constantFrom(...nastyFragments).map((f) => f.repeat(Math.ceil((maxLength ?? 300) / f.length))) }
  ).map((text) => cut(storable(text)))
}

/**
 * Text that no PostgreSQL database can hold but a SQL Server one can: a NUL character, half of a UTF-16 surrogate
 * pair (high or low, alone or in the wrong order), inside otherwise ordinary or hostile text.
 */
export const unstorableText: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom("\u0000", "\ud800", "\udfff", "\udc00\ud800", "a\u0000b", "\ud83d", "\ude00x"),
  fc.string({ maxLength: 10 }),
  fc.constantFrom("", "'", "\\", "名", "😀", "\t")
).map(([bad, before, after]) => `${before}${bad}${after}`)

/**
 * Every column text, nullable but the key; no primary key: an extract loaded from files, with nothing checked (the
 * rows written keep their keys unique, as a migration needs).
 */
export const asExtract = (table: Table.Table): Table.Table => ({
  ...table,
  columns: table.columns.map((c) => ({ name: c.name, type: Table.text(), nullable: !table.primaryKey.includes(c.name) })),
  primaryKey: []
})

const int32 = 2_147_483_647

/** Values that fit a column's type, chosen from the edges of what it holds. */
const typedValue = (type: Table.ColumnType): fc.Arbitrary<Driver.SqlValue> => {
  switch (type._tag) {
    case "text":
      return fc.oneof(
        { weight: 12, arbitrary: hostileText(type.maxLength) },
        ...(type.maxLength === undefined ? [{ weight: 1, arbitrary: fc.constant(megabyte) }] : [])
      )
    case "int":
      return fc.oneof(fc.constantFrom(0, -1, 1, int32, -int32 - 1, int32 - 1), fc.integer({ min: -int32 - 1, max: int32 }))
    case "bigint":
      return fc.constantFrom<Driver.SqlValue>("0", "-1", "9223372036854775807", "-9223372036854775808", "2147483648")
    case "decimal": {
      const nines = "9".repeat(type.precision - type.scale)
      const fraction = "9".repeat(type.scale)
      const max = type.scale === 0 ? nines : `${nines}.${fraction}`
      return fc.constantFrom<Driver.SqlValue>(max, `-${max}`, "0", "0.01", "-0.01", type.scale === 0 ? "1" : `1.${"0".repeat(type.scale)}`)
    }
    case "date":
      return fc.constantFrom<Driver.SqlValue>("0001-01-01", "9999-12-31", "2000-02-29", "1900-01-01", "1970-01-01", "2026-03-31")
    case "timestamp":
      return fc.constantFrom<Driver.SqlValue>("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
    case "boolean":
      return fc.boolean()
  }
}

/** Anything an untyped extract column can hold: hostile text of every kind (a megabyte is placed by `hostileRows`). */
const textValue = (type: Table.ColumnType): fc.Arbitrary<Driver.SqlValue> =>
  fc.oneof(
    { weight: 4, arbitrary: typedValue(type).map((v) => (v === null ? null : String(v))) },
    { weight: 6, arbitrary: hostileText() }
  )

/** Key values written in forms that read as the same number: every one a different legacy key. */
const keyForms = (n: number): ReadonlyArray<string> => [` ${n}`, `${n} `, `0${n}`, `+${n}`, `${n}.0`, `${n}e0`, `\u00a0${n}`]

export interface RowsOptions {
  readonly mode: Mode
  /** Key values the table already holds: never generated again as they are (the key stays unique). */
  readonly taken?: ReadonlyArray<string>
  /** Values worth using in these columns, such as keys of rows that exist: references that resolve. */
  readonly references?: Readonly<Record<string, ReadonlyArray<Driver.SqlValue>>>
  /**
   * Valid rows of the table (values in column order): half the hostile rows are one of these under a new key with one
   * to three values made hostile, so that they get past the first check and reach the deeper ones.
   */
  readonly valid?: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>
  readonly maxRows?: number
}

/**
 * Hostile rows of one table, values in the definition's column order, with keys unique as the legacy database sees
 * them (and distinct from `taken`). In `text` mode, keys include other ways of writing a number already taken.
 */
export const hostileRows = (table: Table.Table, options: RowsOptions): fc.Arbitrary<ReadonlyArray<ReadonlyArray<Driver.SqlValue>>> => {
  const taken = new Set(options.taken ?? [])
  const keyColumns = table.columns.filter((c) => table.primaryKey.includes(c.name))
  const keyOf = (row: ReadonlyArray<Driver.SqlValue>) =>
    JSON.stringify(table.columns.flatMap((c, i) => (table.primaryKey.includes(c.name) ? [String(row[i])] : [])))
  const keyValue = (column: Table.Column): fc.Arbitrary<Driver.SqlValue> => {
    const references = options.references?.[column.name] ?? []
    const numeric = column.type._tag === "int" || column.type._tag === "bigint"
    if (options.mode === "typed") {
      return numeric
        ? fc.oneof(fc.constantFrom(0, -1, int32, -int32 - 1, int32 - 1), fc.integer({ min: -int32 - 1, max: int32 }))
        : hostileText(Math.min(column.type._tag === "text" ? column.type.maxLength ?? 100 : 100, 100)).filter((t) => t.trim() !== "")
    }
    const similar = [...taken].map((k) => Number((JSON.parse(k) as Array<string>)[0])).filter((n) => Number.isSafeInteger(n))
    return fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -int32 - 1, max: int32 }).map(String) },
      ...(similar.length > 0 ? [{ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...similar), fc.nat(6)).map(([n, i]) => keyForms(n)[i]!) }] : []),
      ...(references.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...references).map(String) }] : []),
      { weight: 2, arbitrary: hostileText(100).filter((t) => t.trim() !== "") }
    )
  }
  const value = (column: Table.Column): fc.Arbitrary<Driver.SqlValue> => {
    const references = options.references?.[column.name] ?? []
    const plain = options.mode === "typed" ? typedValue(column.type) : textValue(column.type)
    const nullable = options.mode === "text" || column.nullable
    return fc.oneof(
      { weight: 5, arbitrary: plain },
      ...(references.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...references).map((v) => (options.mode === "text" && v !== null ? String(v) : v)) }] : []),
      ...(nullable ? [{ weight: 2, arbitrary: fc.constant(null) }] : [])
    )
  }
  const fresh = fc.tuple(
    fc.tuple(...table.columns.map((c) => (keyColumns.includes(c) ? keyValue(c) : value(c)))),
    // now and then a row with nothing but its key
    fc.integer({ min: 0, max: 9 })
  ).map(([values, dice]) =>
    dice === 0
      ? values.map((v, i) => (keyColumns.includes(table.columns[i]!) || !(options.mode === "text" || table.columns[i]!.nullable) ? v : null))
      : values
  )
  const valid = options.valid ?? []
  const nonKeyAt = table.columns.flatMap((c, i) => (keyColumns.includes(c) ? [] : [i]))
  const mutated = valid.length === 0 || nonKeyAt.length === 0
    ? fresh
    : fc.tuple(
      fc.constantFrom(...valid),
      fc.tuple(...keyColumns.map(keyValue)),
      fc.uniqueArray(fc.constantFrom(...nonKeyAt), { minLength: 1, maxLength: 3 }).chain((at) =>
        fc.tuple(fc.constant(at), fc.tuple(...at.map((i) => value(table.columns[i]!))))
      )
    ).map(([base, key, [at, values]]) => {
      let k = 0
      return table.columns.map((c, i) => {
        if (keyColumns.includes(c)) return key[k++]!
        const j = at.indexOf(i)
        const v = j === -1 ? base[i] ?? null : values[j]!
        return options.mode === "text" && typeof v === "number" ? String(v) : v
      })
    })
  const row = fc.oneof(fresh, mutated)
  // in an extract, one row in about four tables has a megabyte in a column that is not its key
  const nonKey = table.columns.flatMap((c, i) => (table.primaryKey.includes(c.name) ? [] : [i]))
  const big = options.mode === "text" && nonKey.length > 0
    ? fc.option(fc.tuple(fc.nat(), fc.constantFrom(...nonKey)), { freq: 3, nil: undefined })
    : fc.constant(undefined)
  return fc.tuple(fc.uniqueArray(row, { minLength: 1, maxLength: options.maxRows ?? 10, selector: keyOf }), big).map(([rows, at]) => {
    const kept = rows.filter((r) => !taken.has(keyOf(r)))
    if (at === undefined || kept.length === 0) return kept
    const [rowIndex, column] = at
    return kept.map((r, i) => (i === rowIndex % kept.length ? r.map((v, j) => (j === column ? megabyte : v)) : r))
  })
}

/** The key of a row as `hostileRows` compares keys: the JSON array of its key values as text. */
export const keyText = (table: Table.Table, row: ReadonlyArray<Driver.SqlValue>): string =>
  JSON.stringify(table.columns.flatMap((c, i) => (table.primaryKey.includes(c.name) ? [String(row[i])] : [])))
