/**
 * Personal data in reports. Findings carry values from the records — names, NHS numbers, dates of birth — and a
 * report goes to people who need the discrepancy, not the person. Every value is masked by the kind of field it
 * came from before any report writer sees it:
 *
 * - `masked` (the default): an NHS number shows its last four digits, a name its initials, a date of birth its year,
 *   an address its postcode district;
 * - `pseudonymised`: for files that leave the council's network: identifiers and names become keyed pseudonyms
 *   (HMAC-SHA-256 with a key only the council holds), the same person giving the same pseudonym in every report;
 * - `full`: everything as recorded, for those allowed to see it.
 *
 * As a last line, any run of ten digits left in a text (an NHS number where nobody expected one) is masked too, but
 * in the published identifiers of organisations (a care home's CQC location id has ten digits), which are shown.
 */
import { createHmac } from "node:crypto"

export type Reveal = "masked" | "pseudonymised" | "full"

export const reveals: ReadonlyArray<Reveal> = ["masked", "pseudonymised", "full"]

export type PersonalKind = "nhs" | "name" | "birth" | "death" | "address" | "postcode" | "contact" | "organisation"

const kinds: ReadonlyArray<readonly [RegExp, PersonalKind]> = [
  [/nhs/i, "nhs"],
  [/(^|_)(first_?name|last_?name|forenames?|surname|other_names|given_name|family_name|full_name|person_name)$/i, "name"],
  [/(^|_)(dob|date_of_birth|birth_date|dob_text)$/i, "birth"],
  [/(^|_)(dod|date_of_death|date_of_death_text)$/i, "death"],
  [/postcode/i, "postcode"],
  [/(^|_)(address|address_line_?\d|address_text|street|town|locality)$/i, "address"],
  [/(^|_)(phone|telephone|phone_number|tel_no|email)$/i, "contact"],
  // identifiers of care homes, agencies and GP practices (a CQC location id has ten digits): published, no person's
  [/(^|_)(cqc_location_id|cqc_provider_id|provider_cqc_location_id|gp_practice_code|ods_code)$/i, "organisation"]
]

/** The kind of personal data a field holds, judged by its name (`nhs_number`, `Date_of_Birth`, `surname`...). */
export const kindOf = (field: string | null): PersonalKind | undefined => {
  if (field === null) return undefined
  const name = field.includes(".") ? field.slice(field.lastIndexOf(".") + 1) : field
  return kinds.find(([pattern]) => pattern.test(name))?.[1]
}

export interface Masker {
  readonly reveal: Reveal
  /** A value of a field, as the reveal level allows. */
  readonly value: (field: string | null, value: string | null) => string | null
  /** A free text: ten-digit runs masked (unless everything is revealed). */
  readonly text: (text: string) => string
  /**
   * A free text about a field (a flag's message on a date of birth, say): as `text`, and the field's values it may
   * quote masked as the field's own are — the dates in a text about a date of birth or death, the quoted words in a
   * text about a name, an address, a postcode or a contact.
   */
  readonly about: (field: string | null, text: string) => string
  /**
   * A value of a column whose meaning is not known (a column of a table diff, which knows no column's meaning and so
   * cannot mask by name): withheld, a pseudonym of it (equal values, equal pseudonyms), or itself.
   */
  readonly opaque: (value: string | null) => string | null
}

const initials = (name: string) =>
  name.split(/[\s-]+/).filter((w) => w.length > 0).map((w) => `${w[0]!.toUpperCase()}.`).join(" ")

const year = (date: string): string => {
  const iso = /^(\d{4})-\d{2}-\d{2}/.exec(date)
  if (iso) return iso[1]!
  const british = /(\d{4})\s*$/.exec(date)
  return british ? british[1]! : "****"
}

const tenDigits = /(?<!\d)\d(?:[\s-]?\d){9}(?!\d)/g

/** Dates as records write them: `1946-02-11`, `11/02/1946`, `11.2.46`. */
const dateLike = /(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})(?!\d)/g

/** A quoted value in a message: `"J0hn"`. */
const quoted = /"(?:[^"\\]|\\.)*"/g

const maskNhs = (value: string) => {
  const digits = value.replace(/\D/g, "")
  return digits.length >= 4 ? `******${digits.slice(-4)}` : "******"
}

export class MaskingError extends Error {}

/**
 * A masker for a reveal level. Pseudonyms need a key: `HANDOVER_PSEUDONYM_KEY` holds it where the command is run,
 * never in a file of the project.
 */
export const make = (reveal: Reveal, key?: string): Masker => {
  if (reveal === "pseudonymised" && (key === undefined || key.length < 16)) {
    throw new MaskingError("pseudonymised reports need a key of at least 16 characters in HANDOVER_PSEUDONYM_KEY")
  }
  const pseudonym = (kind: string, value: string) =>
    `${kind}-${createHmac("sha256", key!).update(`${kind}\u0000${value.trim().toUpperCase()}`).digest("hex").slice(0, 12)}`
  const text = (t: string) => (reveal === "full" ? t : t.replace(tenDigits, (m) => (reveal === "pseudonymised" ? pseudonym("nhs", m.replace(/\D/g, "")) : maskNhs(m))))
  const value = (field: string | null, value: string | null): string | null => {
      if (value === null || reveal === "full") return value
      const kind = kindOf(field)
      switch (kind) {
        case undefined:
          return text(value)
        case "nhs":
          return reveal === "pseudonymised" ? pseudonym("nhs", value.replace(/\D/g, "")) : maskNhs(value)
        case "name":
          return reveal === "pseudonymised" ? pseudonym("name", value) : initials(value)
        case "birth":
        case "death":
          return year(value)
        case "postcode": {
          const outward = /^\s*([A-Za-z]{1,2}\d[A-Za-z\d]?)/.exec(value)
          return outward ? outward[1]!.toUpperCase() : "****"
        }
        case "address":
        case "contact":
          return reveal === "pseudonymised" ? pseudonym(kind, value) : "[withheld]"
        case "organisation":
          return value
      }
  }
  const about = (field: string | null, t: string): string => {
    if (reveal === "full") return t
    const kind = kindOf(field)
    if (kind === "birth" || kind === "death") return text(t.replace(dateLike, (d) => value(field, d) ?? ""))
    if (kind !== undefined && kind !== "nhs") return text(t.replace(quoted, (q) => `"${value(field, q.slice(1, -1)) ?? ""}"`))
    return text(t)
  }
  const opaque = (v: string | null): string | null =>
    v === null || reveal === "full" ? v : reveal === "pseudonymised" ? pseudonym("value", v) : "[withheld]"
  return { reveal, text, value, about, opaque }
}
