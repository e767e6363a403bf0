/**
 * Providers into the finance system: domiciliary care agencies, care homes with their CQC location and beds, day
 * care, transport; a provider that took over another's contracts keeps the link to its predecessor.
 */
import { CqcId, LegacyText, Pipeline, Postcode } from "@handover/core"
import * as Schema from "effect/Schema"
import * as LegacyTables from "../LegacyTables.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)

export const ProviderRow = Schema.Struct({
  provider_id: LegacyText.IntFromText,
  provider_name: LegacyText.OptionalText,
  provider_type: LegacyText.OptionalText,
  postcode_text: text,
  cqc_location_id: text,
  cqc_provider_id: text,
  creditor_no: LegacyText.OptionalText,
  creditor_site: LegacyText.OptionalText,
  registered_beds: LegacyText.OptionalIntFromText,
  status: LegacyText.OptionalText,
  contract_ref: LegacyText.OptionalText,
  predecessor_provider_id: LegacyText.OptionalIntFromText
})
export type ProviderRow = typeof ProviderRow.Type

/** Legacy provider types and the finance system's provider categories. */
export const categories: Readonly<Record<string, string>> = {
  DOM: "domiciliary",
  RES: "residential",
  NUR: "nursing",
  DAY: "day care",
  SL: "supported living",
  TRANS: "transport",
  "DP-PA": "personal assistant"
}

/** Provider types the CQC registers, whose locations must carry a CQC location id. */
const registered = new Set(["RES", "NUR", "DOM"])

const r = Rules.provider

export const step = Pipeline.step({
  entity: "provider",
  source: { table: LegacyTables.provider.name, key: ["provider_id"], columns: Object.keys(ProviderRow.fields) },
  legacyRow: ProviderRow,
  references: [],
  rules: Object.values(r),
  targets: [TargetTables.provider],
  transform: (row) => {
    const type = (row.provider_type ?? "").toUpperCase()
    const category = categories[type]
    if (category === undefined) {
      return Pipeline.quarantine(r.category, "provider_type", `the provider type ${JSON.stringify(row.provider_type)} has no category`)
    }
    const flags: Array<Pipeline.Flag> = []
    const location = CqcId.parse(row.cqc_location_id)
    if (location._tag === "Invalid") flags.push(Pipeline.flag(r.cqc, "cqc_location_id", "error", `${location.reason}: left empty`))
    if (location._tag === "Missing" && registered.has(type) && type !== "DOM") {
      flags.push(Pipeline.flag(r.cqc, "cqc_location_id", "error", "a care home without a CQC location id"))
    }
    const providerCqc = CqcId.parse(row.cqc_provider_id)
    const postcode = Postcode.normalise(row.postcode_text)
    if (postcode._tag === "Invalid") flags.push(Pipeline.flag(r.postcode, "postcode_text", "warning", `${postcode.reason}: left empty`))
    const id = TargetKey.of("provider", row.provider_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.provider, {
          provider_id: id,
          legacy_provider_id: row.provider_id,
          name: row.provider_name ?? `provider ${row.provider_id}`,
          provider_category: category,
          cqc_provider_id: providerCqc._tag === "Valid" ? providerCqc.cqcId : null,
          cqc_location_id: location._tag === "Valid" ? location.cqcId : null,
          creditor_ref: row.creditor_no,
          creditor_site: row.creditor_site,
          registered_beds: row.registered_beds,
          status: (row.status ?? "ACTIVE").toUpperCase(),
          contract_ref: row.contract_ref,
          postcode: postcode._tag === "Valid" || postcode._tag === "Pseudo" ? postcode.postcode : null,
          predecessor_provider_id: row.predecessor_provider_id === null ? null : TargetKey.of("provider", row.predecessor_provider_id)
        })
      ),
      flags
    )
  }
})
