/**
 * The defined lists of the national Adult Social Care Client Level Data (CLD) return, read at run time from the CSV
 * files in `cld/lists/` (one file per field, recovered from public DHSC and NHS England code with a citation on every
 * row; see `cld/README.md` and `cld/SOURCES.md`). Validation against them is exact and case-sensitive, because
 * Release 2 changed the letter case of many Release 1 values.
 *
 * Where a release has no list of its own for a field, the values of the other release stand in, each marked with
 * the reason; where the published Release 2 list is known to be partial, the Release 1 values it lacks are carried
 * the same way. V5 values and the `R1-variant` spellings of the sources are never accepted.
 */
import * as CsvFile from "./CsvFile.ts"

export type Release = "R1" | "R2"
export type Confidence = "high" | "medium" | "low"

/** The release a source gives for a value: `unstated` where it gives none. */
export type SourceRelease = "V5" | "R1" | "R2" | "R1-variant" | "unstated"

/** The CLD fields with a defined list in the public sources, one CSV file each, named as the Release 1 columns. */
export const listFields = [
  "Accommodation_Status",
  "Assessment_Type",
  "Client_Funding_Status",
  "Client_Type",
  "Cost_Frequency_Unit_Type",
  "Delivery_Mechanism",
  "Employment_Status",
  "Ethnicity",
  "Event_Outcome",
  "Event_Type",
  "Gender",
  "Has_Unpaid_Carer",
  "Hearing_Impairment",
  "Primary_Support_Reason",
  "Request_Route_of_Access",
  "Review_Reason",
  "Service_Component",
  "Service_Type",
  "Visual_Impairment"
] as const

export type ListField = (typeof listFields)[number]

/**
 * CLD fields that take a value from a defined list no public source gives: the national specification workbooks are
 * not public, so these cannot be checked for membership.
 */
export const fieldsWithoutPublicList = {
  Method_of_Assessment: "no Release 1 or Release 2 list was found in any public source",
  Method_of_Review: "no Release 1 or Release 2 list was found in any public source",
  Review_Outcomes_Achieved: "no Release 1 or Release 2 list was found in any public source",
  Eligible_Needs_Identified: "no Release 1 or Release 2 list was found in any public source",
  Total_Hrs_Caring_per_week: "no Release 1 or Release 2 list was found in any public source",
  Autism_Spectrum_Disorder_ASD: "not among the lists recovered from public sources",
  Dementia: "not among the lists recovered from public sources"
} as const

export type UnlistedField = keyof typeof fieldsWithoutPublicList

/**
 * Fields whose public Release 2 list is known to be incomplete. The Release 1 values with no Release 2 value of the
 * same letters (ignoring case) are accepted for Release 2 too, so that valid data is not rejected for want of a list.
 */
const partialReleaseTwo: Partial<Record<ListField, string>> = {
  Has_Unpaid_Carer:
    "Release 2 code shows only 'Unknown' as a submitted value ('Yes' and 'No' appear only as derived outputs), so the Release 1 values are carried",
  Assessment_Type:
    "only the short and long term assessment labels of Release 2 are public, so Release 1 'Financial Assessment' is carried",
  Review_Reason:
    "the Release 2 labels of planned and unplanned reviews are not public, so Release 1 'Planned' is carried"
}

/** One value as a source gives it. */
export interface SourceValue {
  readonly field: ListField
  readonly value: string
  readonly release: SourceRelease
  /** The higher-level grouping the same source gives, if any. */
  readonly grouped: string | null
  readonly confidence: Confidence
  readonly evidence: string
  readonly notes: string
}

/** A value accepted for a release. */
export interface AcceptedValue {
  readonly field: ListField
  readonly value: string
  /** The release the source read the value under. */
  readonly source: "R1" | "R2" | "unstated"
  readonly grouped: string | null
  readonly confidence: Confidence
  /** Why a value that is not on the release's own list is accepted for it; absent for the release's own values. */
  readonly standIn?: string
}

const sourceReleases: ReadonlyArray<SourceRelease> = ["V5", "R1", "R2", "R1-variant", "unstated"]
const confidences: ReadonlyArray<Confidence> = ["high", "medium", "low"]

const isOneOf = <A extends string>(options: ReadonlyArray<A>, value: string): value is A =>
  (options as ReadonlyArray<string>).includes(value)

export const isListField = (name: string): name is ListField => isOneOf(listFields, name)

const readList = (field: ListField): ReadonlyArray<SourceValue> =>
  CsvFile.read(new URL(`./cld/lists/${field}.csv`, import.meta.url), [
    "field",
    "value",
    "release",
    "grouped_value",
    "evidence_type",
    "confidence",
    "notes"
  ]).map((record, i) => {
    const where = `cld/lists/${field}.csv record ${i + 1}`
    const release = record["release"] ?? ""
    const confidence = record["confidence"] ?? ""
    if (record["field"] !== field) throw new Error(`${where}: field ${record["field"]} in the file of ${field}`)
    if (!isOneOf(sourceReleases, release)) throw new Error(`${where}: unknown release ${release}`)
    if (!isOneOf(confidences, confidence)) throw new Error(`${where}: unknown confidence ${confidence}`)
    const grouped = record["grouped_value"] ?? ""
    return {
      field,
      value: record["value"] ?? "",
      release,
      grouped: grouped === "" ? null : grouped,
      confidence,
      evidence: record["evidence_type"] ?? "",
      notes: record["notes"] ?? ""
    }
  })

let loaded: ReadonlyMap<ListField, ReadonlyArray<SourceValue>> | undefined

const lists = (): ReadonlyMap<ListField, ReadonlyArray<SourceValue>> => {
  loaded ??= new Map(listFields.map((field) => [field, readList(field)]))
  return loaded
}

/** Every value of a field as the sources give it, in file order: all releases, variants included. */
export const sourceValues = (field: ListField): ReadonlyArray<SourceValue> => lists().get(field) ?? []

const other = (release: Release): Release => (release === "R1" ? "R2" : "R1")

const accept = (row: SourceValue, standIn?: string): AcceptedValue => {
  const source: AcceptedValue["source"] = row.release === "R1" || row.release === "R2" ? row.release : "unstated"
  const base: AcceptedValue = { field: row.field, value: row.value, source, grouped: row.grouped, confidence: row.confidence }
  return standIn === undefined ? base : { ...base, standIn }
}

const unique = (values: ReadonlyArray<AcceptedValue>): ReadonlyArray<AcceptedValue> => {
  const seen = new Set<string>()
  const kept: Array<AcceptedValue> = []
  for (const v of values) {
    if (seen.has(v.value)) continue
    seen.add(v.value)
    kept.push(v)
  }
  return kept
}

const computeAccepted = (field: ListField, release: Release): ReadonlyArray<AcceptedValue> => {
  const rows = sourceValues(field)
  const own = rows.filter((r) => r.release === release)
  if (own.length === 0) {
    const fallback = rows.filter((r) => r.release === other(release))
    if (fallback.length > 0) {
      return unique(fallback.map((r) => accept(r, `no ${release} list was found; the ${other(release)} values stand in`)))
    }
    return unique(
      rows
        .filter((r) => r.release === "unstated")
        .map((r) => accept(r, `the source does not say which release the value belongs to`))
    )
  }
  const partial = release === "R2" ? partialReleaseTwo[field] : undefined
  if (partial === undefined) return unique(own.map((r) => accept(r)))
  const ownLetters = new Set(own.map((r) => r.value.toLowerCase()))
  const carried = rows.filter((r) => r.release === "R1" && !ownLetters.has(r.value.toLowerCase()))
  return unique([...own.map((r) => accept(r)), ...carried.map((r) => accept(r, partial))])
}

const acceptedCache = new Map<string, { readonly values: ReadonlyArray<AcceptedValue>; readonly set: ReadonlySet<string> }>()

const acceptedOf = (field: ListField, release: Release) => {
  const key = `${field} ${release}`
  let entry = acceptedCache.get(key)
  if (entry === undefined) {
    const values = computeAccepted(field, release)
    entry = { values, set: new Set(values.map((v) => v.value)) }
    acceptedCache.set(key, entry)
  }
  return entry
}

/** The values a submission of `release` may hold in `field`, stand-ins included and marked. */
export const accepted = (field: ListField, release: Release): ReadonlyArray<AcceptedValue> =>
  acceptedOf(field, release).values

/** Whether `value` is, exactly and case-sensitively, a value a `release` submission may hold in `field`. */
export const isValid = (field: ListField, value: string, release: Release): boolean =>
  acceptedOf(field, release).set.has(value)

/** The releases under which a source gives exactly `value` for `field` (to tell a Release 1 value in R2 data). */
export const releasesOf = (field: ListField, value: string): ReadonlyArray<SourceRelease> =>
  sourceValues(field)
    .filter((r) => r.value === value)
    .map((r) => r.release)

/** The name of a field's code system in the target's `ref_code` and `ref_code_map` tables: the field in lower case. */
export const codeSystemOf = (field: ListField): string => field.toLowerCase()

/** A row of the target table `ref_code(code_system, code, release, grouped, confidence)`. */
export interface RefCodeRow {
  readonly code_system: string
  readonly code: string
  readonly release: Release
  readonly grouped: string | null
  readonly confidence: Confidence
}

export const refCodeColumns = ["code_system", "code", "release", "grouped", "confidence"] as const

/**
 * The rows of `ref_code`: for every list field and both releases, the accepted values. A stand-in is listed under
 * the release it stands in for, with confidence `low`, so that the table and `isValid` accept the same values.
 */
export const rowsForRefCode = (): ReadonlyArray<RefCodeRow> =>
  listFields.flatMap((field) =>
    (["R1", "R2"] as const).flatMap((release) =>
      accepted(field, release).map((v) => ({
        code_system: codeSystemOf(field),
        code: v.value,
        release,
        grouped: v.grouped,
        confidence: v.standIn === undefined ? v.confidence : "low"
      }))
    )
  )
