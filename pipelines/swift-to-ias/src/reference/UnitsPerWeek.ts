/**
 * Planned units per week and the gross weekly cost of a service line, by the DHSC cost-frequency conversion: a cost
 * frequency of a week or longer fixes the units per week (weekly 1, fortnightly 1/2, 4-weekly 1/4, monthly 12/52,
 * quarterly 4/52, annual 1/52) and overrides any planned units; hourly, daily, per-session and the like use the planned
 * units per week; a one-off cost has no weekly cost. The patterns and factors are read from
 * `cld/rules/cost_frequency_units_per_week_factors.csv`, and a legacy rate basis reaches them through its CLD cost
 * frequency in the code map, so the legacy conversion and the national one cannot disagree.
 *
 * Arithmetic is exact, on whole numbers: the weekly cost is rounded once, half up to the penny (half away from zero for a
 * negative rate or number of units; a caller that follows DHSC takes absolute values first and raises a warning).
 */
import { Decimal as DecimalModule } from "@handover/core"
import * as CodeMaps from "./CodeMaps.ts"
import * as CsvFile from "./CsvFile.ts"

const { Decimal } = DecimalModule
// One division happens per cost, at the end, so 64 significant digits leave every rounding to the penny exact.
const Exact = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP })
type Exact = InstanceType<typeof Exact>

/** How the units per week of a cost frequency are found. */
export type Frequency =
  | {
    readonly _tag: "Fixed"
    /** The case-insensitive SQL LIKE pattern of the DHSC rule that matched. */
    readonly pattern: string
    readonly numerator: string
    readonly denominator: string
  }
  | { readonly _tag: "Planned" }
  | { readonly _tag: "OneOff" }

interface Factor {
  readonly pattern: string
  readonly prefix: string
  readonly numerator: string
  readonly denominator: string
}

const number = /^\d+(\.\d+)?$/

/** Reads `1.0` or `12.0 / 52.0` as an exact fraction. */
const fraction = (expression: string): { readonly numerator: string; readonly denominator: string } => {
  const parts = expression.split("/").map((part) => part.trim())
  const [numerator, denominator = "1"] = parts
  if (parts.length > 2 || numerator === undefined || !number.test(numerator) || !number.test(denominator)) {
    throw new Error(`cost frequency factors: cannot read ${JSON.stringify(expression)} as a fraction`)
  }
  return { numerator: new Exact(numerator).toString(), denominator: new Exact(denominator).toString() }
}

let factors: ReadonlyArray<Factor> | undefined

/** The fixed factors of the DHSC rule, in file order: the rows whose pattern is a prefix match (`week%`). */
const fixedFactors = (): ReadonlyArray<Factor> => {
  factors ??= CsvFile.read(new URL("./cld/rules/cost_frequency_units_per_week_factors.csv", import.meta.url), [
    "cost_frequency_like_pattern",
    "sql_expression"
  ]).flatMap((record) => {
    const pattern = record["cost_frequency_like_pattern"] ?? ""
    // the last row describes the fallback to planned units per week in words; it is not a pattern
    if (!/^[^%_]+%$/.test(pattern)) return []
    return [{ pattern, prefix: pattern.slice(0, -1).toLowerCase(), ...fraction(record["sql_expression"] ?? "") }]
  })
  return factors
}

/**
 * The DHSC rule for a CLD Cost_Frequency_Unit_Type value: the first prefix pattern that matches, ignoring case; the
 * literal `one-off` (compared with `=` by DHSC, so ignoring case but not spaces); otherwise planned units per week.
 */
export const frequencyOfLabel = (label: string): Frequency => {
  const lower = label.toLowerCase()
  const factor = fixedFactors().find((f) => lower.startsWith(f.prefix))
  if (factor !== undefined) {
    return { _tag: "Fixed", pattern: factor.pattern, numerator: factor.numerator, denominator: factor.denominator }
  }
  return lower.trimEnd() === "one-off" ? { _tag: "OneOff" } : { _tag: "Planned" }
}

/** The frequency of a legacy rate basis (`WEEK`, `4WEEK`, `HOUR`, ...), or `undefined` for a basis the map lacks. */
export const frequencyOf = (basis: string): Frequency | undefined => {
  const mapped = CodeMaps.lookup("cost_frequency_unit_type", basis)
  return mapped._tag === "Mapped" ? frequencyOfLabel(mapped.code) : undefined
}

export type WeeklyCost =
  | {
    readonly _tag: "Weekly"
    readonly pence: number
    /** Whether the units per week came from the cost frequency or from the planned units. */
    readonly units: "frequency" | "planned"
  }
  | { readonly _tag: "OneOff" }
  | { readonly _tag: "NoUnits"; readonly reason: string }
  | { readonly _tag: "UnknownBasis"; readonly basis: string }

/** A number as a fraction of whole numbers. */
type Fraction = { readonly numerator: bigint; readonly denominator: bigint }

/** A plain decimal as an exact fraction of integers, `12.5` as 125 / 10; `undefined` for anything else. */
const exactly = (text: string): Fraction | undefined => {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (m === null) return undefined
  const decimals = m[3] ?? ""
  const magnitude = BigInt(m[2]! + decimals)
  return { numerator: m[1] === "-" ? -magnitude : magnitude, denominator: 10n ** BigInt(decimals.length) }
}

const plannedUnits = (units: string | number | null | undefined) => {
  if (units === null || units === undefined) return "no planned units per week"
  if (typeof units === "number") {
    // a number's exact decimal value, written out in full (never in exponent form)
    return Number.isFinite(units) ? exactly(new Exact(units).toFixed())! : `planned units per week are ${units}`
  }
  return exactly(units.trim()) ?? `planned units per week are not a number: ${JSON.stringify(units)}`
}

/** `numerator / denominator` rounded half up to a whole number (half away from zero below zero). */
const roundHalfUp = (numerator: bigint, denominator: bigint): bigint => {
  const negative = (numerator < 0n) !== (denominator < 0n)
  const n = numerator < 0n ? -numerator : numerator
  const d = denominator < 0n ? -denominator : denominator
  const whole = n / d
  const rounded = 2n * (n - whole * d) >= d ? whole + 1n : whole
  return negative ? -rounded : rounded
}

/** A rate basis as the cost needs it: its frequency, and a fixed frequency's units per week as a fraction. */
interface Basis {
  readonly frequency: Frequency | undefined
  readonly fixedUnits: Fraction | undefined
}

/** Each rate basis met so far: a few dozen values come on every line. */
const bases = new Map<string, Basis>()
const basesKept = 1_000

const basisOf = (basis: string): Basis => {
  const kept = bases.get(basis)
  if (kept !== undefined) return kept
  const frequency = frequencyOf(basis)
  let fixedUnits: Fraction | undefined
  if (frequency?._tag === "Fixed") {
    const numerator = exactly(frequency.numerator)!
    const denominator = exactly(frequency.denominator)!
    fixedUnits = { numerator: numerator.numerator * denominator.denominator, denominator: numerator.denominator * denominator.numerator }
  }
  const read = { frequency, fixedUnits }
  if (bases.size < basesKept) bases.set(basis, read)
  return read
}

/**
 * The weekly cost in pence of a unit rate in pence charged on a legacy rate basis, with the planned units per week
 * where the basis needs them (hours, days, sessions, nights, journeys): `unit rate × units per week`, rounded half up
 * to the penny. For example 14.5 hours a week at £21.40 an hour is £310.30. The arithmetic is on whole numbers: the
 * rate times the units as a fraction, divided once.
 */
export const weeklyCostPence = (
  unitRatePence: number,
  basis: string,
  unitsPerWeek?: string | number | null
): WeeklyCost => {
  if (!Number.isSafeInteger(unitRatePence)) throw new Error(`not a whole number of pence: ${unitRatePence}`)
  const { frequency, fixedUnits } = basisOf(basis)
  if (frequency === undefined) return { _tag: "UnknownBasis", basis }
  if (frequency._tag === "OneOff") return frequency
  let units: Fraction
  if (fixedUnits !== undefined) units = fixedUnits
  else {
    const planned = plannedUnits(unitsPerWeek)
    if (typeof planned === "string") return { _tag: "NoUnits", reason: planned }
    units = planned
  }
  const pence = roundHalfUp(BigInt(unitRatePence) * units.numerator, units.denominator)
  if (pence > BigInt(Number.MAX_SAFE_INTEGER) || pence < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`weekly cost out of range: ${pence}`)
  return { _tag: "Weekly", pence: Number(pence), units: frequency._tag === "Fixed" ? "frequency" : "planned" }
}
