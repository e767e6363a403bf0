/**
 * Unique Property Reference Numbers: the national number of an address, up to twelve digits. Kept as a decimal
 * string, never a JavaScript number, so the largest ones stay exact on their way to a BIGINT column.
 */
import * as Schema from "effect/Schema"
import * as LegacyText from "./LegacyText.ts"

export type Parsed =
  | { readonly _tag: "Valid"; readonly uprn: string }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Every reason a UPRN can be refused for. None repeats the UPRN it was given. */
export const reasons = {
  digitsOnly: "a UPRN has digits only",
  tooLong: "a UPRN has at most twelve digits",
  zero: "a UPRN is never zero"
} as const

/**
 * Reads a UPRN as a legacy address column holds it: spaces around it go, leading zeros go (a padded column keeps
 * the same number), and what is left must be one to twelve digits.
 */
export const parse = (text: string | null): Parsed => {
  if (text === null || text.trim() === "") return { _tag: "Missing" }
  const trimmed = text.trim()
  if (!/^\d+$/.test(trimmed)) return { _tag: "Invalid", reason: reasons.digitsOnly }
  const uprn = trimmed.replace(/^0+/, "")
  if (uprn === "") return { _tag: "Invalid", reason: reasons.zero }
  if (uprn.length > 12) return { _tag: "Invalid", reason: reasons.tooLong }
  return { _tag: "Valid", uprn }
}

const toParsed = (text: string): LegacyText.Parsed<string> => {
  const parsed = parse(text)
  return parsed._tag === "Valid"
    ? { ok: parsed.uprn }
    : { error: parsed._tag === "Missing" ? "expected a UPRN, got nothing" : parsed.reason }
}

const same = (uprn: string) => uprn

/** A UPRN column that must hold one. */
export const UprnFromText = LegacyText.fromText(Schema.String, toParsed, same)
/** A UPRN column that may be NULL or blank (`null`). */
export const OptionalUprnFromText = LegacyText.fromOptionalText(Schema.String, toParsed, same)
