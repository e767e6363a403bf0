/**
 * Care Quality Commission identifiers of care homes and other registered services: location ids such as
 * `1-1000210669` and provider ids such as `1-199747506`.
 */
import * as Schema from "effect/Schema"
import * as LegacyText from "./LegacyText.ts"

export type Parsed =
  | { readonly _tag: "Valid"; readonly cqcId: string }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Every reason a CQC identifier can be refused for. None repeats the identifier it was given. */
export const reasons = {
  prefix: "a CQC identifier starts with one and a hyphen",
  digitsOnly: "a CQC identifier has only digits after its one-and-hyphen prefix",
  length: "a CQC identifier has eight to eleven digits after its one-and-hyphen prefix"
} as const

/** Reads a CQC location or provider id: trimmed, upper-cased, then `1-` and eight to eleven digits. */
export const parse = (text: string | null): Parsed => {
  if (text === null || text.trim() === "") return { _tag: "Missing" }
  const cleaned = text.trim().toUpperCase()
  if (!cleaned.startsWith("1-")) return { _tag: "Invalid", reason: reasons.prefix }
  const digits = cleaned.slice(2)
  if (!/^\d+$/.test(digits)) return { _tag: "Invalid", reason: reasons.digitsOnly }
  if (digits.length < 8 || digits.length > 11) return { _tag: "Invalid", reason: reasons.length }
  return { _tag: "Valid", cqcId: cleaned }
}

const toParsed = (text: string): LegacyText.Parsed<string> => {
  const parsed = parse(text)
  return parsed._tag === "Valid"
    ? { ok: parsed.cqcId }
    : { error: parsed._tag === "Missing" ? "expected a CQC identifier, got nothing" : parsed.reason }
}

const same = (cqcId: string) => cqcId

/** A CQC identifier column that must hold one. */
export const CqcIdFromText = LegacyText.fromText(Schema.String, toParsed, same)
/** A CQC identifier column that may be NULL or blank (`null`), as for providers CQC does not register. */
export const OptionalCqcIdFromText = LegacyText.fromOptionalText(Schema.String, toParsed, same)
