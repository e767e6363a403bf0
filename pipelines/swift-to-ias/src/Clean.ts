/**
 * The cleaning every step shares: dates read with their accuracy, money read strictly, each turning into a value
 * plus the flags a data owner should see, or a reason to quarantine the row.
 */
import { LegacyDate, Money, Pipeline } from "@handover/core"

export type Cleaned<A> =
  | { readonly _tag: "Ok"; readonly value: A; readonly flags: ReadonlyArray<Pipeline.Flag> }
  | { readonly _tag: "Bad"; readonly reason: string }

const noFlags: ReadonlyArray<Pipeline.Flag> = Object.freeze([])
const ok = <A>(value: A, flags: ReadonlyArray<Pipeline.Flag> = noFlags): Cleaned<A> => ({ _tag: "Ok", value, flags })

const nothing: Cleaned<null> = Object.freeze({ _tag: "Ok", value: null, flags: noFlags })
const bad = (reason: string): Cleaned<never> => ({ _tag: "Bad", reason })

/** The cut-over date every date is checked against, from the run's parameters. */
export const today = (context: Pipeline.TransformContext): string => context.parameters.cutoverDate ?? "2026-03-31"

/**
 * Whether a person born on `dob` (an ISO date) is `years` old or more on `today`, in whole years as birthdays count
 * them: compared as text with the date `years` before `today` (the latest birth date that old), which a birthday on
 * 29 February passes on 1 March.
 */
export const isAtLeast = (years: number, dob: string, today: string): boolean =>
  dob <= `${String(Number(today.slice(0, 4)) - years).padStart(4, "0")}${today.slice(4)}`

export interface DateOptions {
  /** A planned date (an end date, a review due) may be after cut-over. */
  readonly future?: boolean
}

/** A date and how accurately the legacy text gave it (`unknown` for a dummy date). */
export interface DatedValue {
  readonly date: string | null
  readonly accuracy: LegacyDate.Accuracy | "unknown"
}

/**
 * A date as the estate holds it: empty stays empty; dummy dates become empty with a warning; two-digit years and
 * partial dates are read and flagged; anything unreadable is a reason to quarantine.
 */
export const dateWithAccuracy = (
  text: string | null,
  field: string,
  rule: Pipeline.MappingRule,
  context: Pipeline.TransformContext,
  options: DateOptions = {}
): Cleaned<DatedValue | null> => {
  // planned end dates may lie after cut-over; nothing else may
  const parsed = LegacyDate.parse(text, { today: options.future === true ? "2999-12-31" : today(context) })
  switch (parsed._tag) {
    case "Missing":
      return nothing
    case "Sentinel":
      return ok({ date: null, accuracy: "unknown" }, [Pipeline.flag(rule, field, "warning", `${field}: ${parsed.reason}; left empty`)])
    case "Invalid":
      return bad(`${field}: ${parsed.reason}`)
    case "Date":
      if (parsed.accuracy === "exact" && parsed.source === "excel-serial") {
        return ok({ date: parsed.date, accuracy: "exact" }, [
          Pipeline.flag(rule, field, "info", `${field}: read from a spreadsheet serial number as ${parsed.date}`)
        ])
      }
      if (parsed.accuracy === "exact") return ok({ date: parsed.date, accuracy: "exact" })
      return ok({ date: parsed.date, accuracy: parsed.accuracy }, [
        Pipeline.flag(rule, field, parsed.accuracy === "two-digit-year" ? "warning" : "info", `${field}: read as ${parsed.date} (${parsed.accuracy.replaceAll("-", " ")})`)
      ])
  }
}

/** A date as the estate holds it, without its accuracy. */
export const date = (
  text: string | null,
  field: string,
  rule: Pipeline.MappingRule,
  context: Pipeline.TransformContext,
  options: DateOptions = {}
): Cleaned<string | null> => {
  const result = dateWithAccuracy(text, field, rule, context, options)
  return result._tag === "Bad" ? result : result === nothing ? nothing : ok(result.value?.date ?? null, result.flags)
}

/** A required date: empty is a reason to quarantine too. */
export const requiredDate = (
  text: string | null,
  field: string,
  rule: Pipeline.MappingRule,
  context: Pipeline.TransformContext
): Cleaned<string> => {
  const result = date(text, field, rule, context)
  if (result._tag === "Bad") return result
  return result.value === null ? bad(`${field}: no date`) : ok(result.value, result.flags)
}

/** An amount of money as written in an extract, in pence; empty stays empty. */
export const amount = (text: string | null, field: string): Cleaned<number | null> => {
  const parsed = Money.parseLegacyAmount(text)
  switch (parsed._tag) {
    case "Missing":
      return nothing
    case "Invalid":
      return bad(`${field}: ${parsed.reason}`)
    case "Amount":
      return ok(parsed.pence)
  }
}

/** Pence as the text of a numeric(13, 2) column, or null. */
export const pounds = (pence: number | null): string | null => (pence === null ? null : Money.toPounds(pence))

export const yes = (flag: string | null): boolean => flag !== null && ["Y", "YES", "T", "TRUE", "1"].includes(flag.trim().toUpperCase())

/** Quarantines with the first bad result's reason, or carries on with the values and every flag. */
export const all = <const T extends ReadonlyArray<Cleaned<unknown>>>(
  ...results: T
): { readonly _tag: "Bad"; readonly reason: string; readonly index: number } | {
  readonly _tag: "Ok"
  readonly values: { readonly [K in keyof T]: T[K] extends Cleaned<infer A> ? A : never }
  readonly flags: ReadonlyArray<Pipeline.Flag>
} => {
  const flags: Array<Pipeline.Flag> = []
  const values: Array<unknown> = []
  for (const [index, r] of results.entries()) {
    if (r._tag === "Bad") return { _tag: "Bad", reason: r.reason, index }
    values.push(r.value)
    flags.push(...r.flags)
  }
  return { _tag: "Ok", values: values as never, flags }
}
