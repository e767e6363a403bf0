/**
 * Schemas that decode the text columns of legacy rows: whole numbers, dates in the formats legacy systems hold,
 * optional text. Each failure message says what was expected, for the quarantine.
 */
import { Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"

/** The result of parsing one text value. */
export type Parsed<A> = { readonly ok: A } | { readonly error: string }

const isBlank = (text: string | null): text is null => text === null || text.trim() === ""

/** What a text reader gives when it cannot decide a value on its own: the Schema then decides, with its own message. */
export const undecided: unique symbol = Symbol.for("@handover/core/LegacyText/undecided")

/**
 * Reads one text value straight to the value its codec decodes it to, or `undecided`. A row whose every value a
 * reader decides needs no pass through the Schema (see `Decode.decoder`); any other row goes through it whole.
 */
export type TextReader = (text: string | null | undefined) => unknown

const readers = new WeakMap<object, TextReader>()

/** The text reader of a codec made by `fromText` or `fromOptionalText`, if there is one. */
export const textReaderOf = (codec: object): TextReader | undefined => readers.get(codec)

/**
 * The check the decoded value must pass on its way out of the codec, or `undefined` when the codec would change it
 * further (a transformation of its own): then no reader is kept, and the Schema decides every value.
 */
const checkOf = <A>(to: Schema.Codec<A>): ((value: unknown) => boolean) | undefined => {
  if (to.ast.encoding !== undefined) return undefined
  if (to.ast.checks === undefined) return () => true
  const is = Schema.is(to as Schema.Codec<A, unknown>)
  return (value) => is(value)
}

/** A codec from required text to `A`, by a parse function. */
export const fromText = <A>(to: Schema.Codec<A>, parse: (text: string) => Parsed<A>, show: (value: A) => string) => {
  const codec = fromTextCodec(to, parse, show)
  const check = checkOf(to)
  if (check !== undefined) {
    readers.set(codec, (text) => {
      if (typeof text !== "string") return undecided
      const result = parse(text)
      return "ok" in result && check(result.ok) ? result.ok : undecided
    })
  }
  return codec
}

const fromTextCodec = <A>(to: Schema.Codec<A>, parse: (text: string) => Parsed<A>, show: (value: A) => string) =>
  Schema.String.pipe(
    Schema.decodeTo(to, {
      decode: SchemaGetter.transformEffect((text: string, options) => {
        const result = parse(text)
        return "ok" in result
          ? Effect.succeed(result.ok)
          : Effect.fail(new SchemaIssue.InvalidValue({ message: result.error }, text, options))
      }),
      encode: SchemaGetter.transform(show)
    })
  )

/** A codec from text that may be NULL or blank (both decode to `null`) to `A | null`. */
export const fromOptionalText = <A>(to: Schema.Codec<A>, parse: (text: string) => Parsed<A>, show: (value: A) => string) => {
  const codec = fromOptionalTextCodec(to, parse, show)
  const check = checkOf(to)
  if (check !== undefined) {
    readers.set(codec, (text) => {
      if (text === null) return null
      if (typeof text !== "string") return undecided
      if (isBlank(text)) return null
      const result = parse(text)
      return "ok" in result && check(result.ok) ? result.ok : undecided
    })
  }
  return codec
}

const fromOptionalTextCodec = <A>(to: Schema.Codec<A>, parse: (text: string) => Parsed<A>, show: (value: A) => string) =>
  Schema.NullOr(Schema.String).pipe(
    Schema.decodeTo(Schema.NullOr(to), {
      decode: SchemaGetter.transformEffect((text: string | null, options) => {
        if (isBlank(text)) return Effect.succeed(null)
        const result = parse(text)
        return "ok" in result
          ? Effect.succeed(result.ok)
          : Effect.fail(new SchemaIssue.InvalidValue({ message: result.error }, text, options))
      }),
      encode: SchemaGetter.transform((value: A | null) => (value === null ? null : show(value)))
    })
  )

/** A value as a quarantine reason shows it: quoted, and cut short when long (the raw row keeps all of it). */
export const shown = (text: string, max = 60): string => {
  const chars = [...text]
  return JSON.stringify(chars.length <= max ? text : `${chars.slice(0, max).join("")}…`) +
    (chars.length <= max ? "" : ` (${chars.length} characters)`)
}

/**
 * Parses a whole number that fits a 32-bit integer column, written as a database writes one: digits, a minus sign,
 * nothing around them. Spaces, leading zeros and a plus sign are refused, so that two different texts never give the
 * same number: ` 7`, `07` and `+7` would all be client 7, and two legacy rows would load into one target row.
 */
export const parseInt32 = (text: string): Parsed<number> => {
  if (!/^\s*[-+]?\d+\s*$/.test(text)) return { error: `expected a whole number, got ${shown(text)}` }
  if (!/^(0|-?[1-9]\d*)$/.test(text)) {
    return { error: `expected a whole number written plainly (no spaces, leading zeros or plus sign), got ${shown(text)}` }
  }
  const n = Number(text)
  return Number.isSafeInteger(n) && Math.abs(n) <= 2_147_483_647
    ? { ok: n }
    : { error: `${shown(text)} is out of range for a whole number` }
}

/**
 * Why a text value cannot be carried into the target as it is, or `undefined`. PostgreSQL text cannot hold a NUL
 * character, and half of a UTF-16 surrogate pair (which SQL Server's nvarchar can hold) has no UTF-8 form: written as
 * it is, the first would fail the whole batch and the second would silently become U+FFFD.
 */
export const unstorable = (text: string): string | undefined => {
  switch (Table.unstorableCharacter(text)) {
    case "nul":
      return "holds a NUL character, which the target database cannot store"
    case "half surrogate":
      return "holds a broken character (half of a UTF-16 surrogate pair), which has no form in the target's encoding"
    case undefined:
      return undefined
  }
}

const isoDate = (y: number, m: number, d: number): string | undefined => {
  if (y < 1800 || y > 2999 || m < 1 || m > 12 || d < 1) return undefined
  if (d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return undefined
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`
}

/** Parses `yyyy-mm-dd` and the British `dd/mm/yyyy` into ISO `yyyy-mm-dd`; years 1800 to 2999. */
export const parseDate = (text: string): Parsed<string> => {
  const t = text.trim()
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t)
  let iso: string | undefined
  if (m) iso = isoDate(Number(m[1]), Number(m[2]), Number(m[3]))
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) iso = isoDate(Number(m[3]), Number(m[2]), Number(m[1]))
  return iso === undefined ? { error: `expected a date (yyyy-mm-dd or dd/mm/yyyy), got ${shown(text)}` } : { ok: iso }
}

const keep = (text: string): Parsed<string> => ({ ok: text.trim() })
const same = <A>(a: A) => String(a)

export const IntFromText = fromText(Schema.Int, parseInt32, same)
export const OptionalIntFromText = fromOptionalText(Schema.Int, parseInt32, same)
export const DateFromText = fromText(Schema.String, parseDate, same)
export const OptionalDateFromText = fromOptionalText(Schema.String, parseDate, same)
/** Text, trimmed; NULL or blank is `null`. */
export const OptionalText = fromOptionalText(Schema.String, keep, same)
