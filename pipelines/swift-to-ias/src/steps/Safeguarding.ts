/**
 * Safeguarding: concerns, the enquiries that follow them (section 42 or other) and the risks each enquiry found,
 * with their values mapped to the national safeguarding lists.
 */
import { LegacyText, Pipeline } from "@handover/core"
import * as Schema from "effect/Schema"
import * as Clean from "../Clean.ts"
import * as Codes from "../Codes.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)
const rs = Rules.safeguarding

export const ConcernRow = Schema.Struct({
  concern_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  received_date_text: text,
  referral_source: LegacyText.OptionalText,
  decision_code: text,
  decision_date_text: text
})
type ConcernRow = typeof ConcernRow.Type

export const concernStep = Pipeline.step({
  entity: "safeguarding concern",
  source: { table: LegacyTables.safeguardingConcern.name, key: ["concern_id"], columns: Object.keys(ConcernRow.fields) },
  legacyRow: ConcernRow,
  references: [{ entity: "client", legacyKey: (row: ConcernRow) => String(row.client_no) }],
  rules: [rs.concernClient, rs.decision, rs.dates],
  targets: [TargetTables.safeguardingConcern],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rs.concernClient, "client_no", "the concern's client was not migrated")
    const fields = ["received_date_text", "decision_date_text"]
    const dates = Clean.all(
      Clean.date(row.received_date_text, fields[0]!, rs.dates, context),
      Clean.date(row.decision_date_text, fields[1]!, rs.dates, context)
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(rs.dates, fields[dates.index]!, dates.reason)
    const decision = Codes.map(context, "sg_decision", row.decision_code, "decision_code", rs.decision)
    const id = TargetKey.of("safeguarding concern", row.concern_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.safeguardingConcern, {
          concern_id: id,
          person_id: person,
          received_date: dates.values[0],
          source_of_referral: row.referral_source,
          decision: decision.code,
          decision_date: dates.values[1]
        })
      ),
      [...dates.flags, ...decision.flags]
    )
  }
})

export const EnquiryRow = Schema.Struct({
  enquiry_id: LegacyText.IntFromText,
  concern_id: LegacyText.OptionalIntFromText,
  client_no: LegacyText.IntFromText,
  enquiry_type: text,
  start_date_text: text,
  concluded_date_text: text,
  msp_outcomes_asked: text
})
type EnquiryRow = typeof EnquiryRow.Type

export const enquiryStep = Pipeline.step({
  entity: "safeguarding enquiry",
  source: { table: LegacyTables.safeguardingEnquiry.name, key: ["enquiry_id"], columns: Object.keys(EnquiryRow.fields) },
  legacyRow: EnquiryRow,
  references: [
    { entity: "safeguarding concern", legacyKey: (row: EnquiryRow) => (row.concern_id === null ? null : String(row.concern_id)) },
    { entity: "client", legacyKey: (row: EnquiryRow) => String(row.client_no) }
  ],
  rules: [rs.enquiryConcern, rs.enquiryDates, rs.decision],
  targets: [TargetTables.safeguardingEnquiry],
  transform: (row, context) => {
    const concern = row.concern_id === null ? undefined : context.targetKeyOf("safeguarding concern", String(row.concern_id))
    if (concern === undefined) return Pipeline.quarantine(rs.enquiryConcern, "concern_id", "an enquiry without its concern")
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rs.enquiryConcern, "client_no", "the enquiry's client was not migrated")
    const fields = ["start_date_text", "concluded_date_text"]
    const dates = Clean.all(
      Clean.date(row.start_date_text, fields[0]!, rs.enquiryDates, context),
      Clean.date(row.concluded_date_text, fields[1]!, rs.enquiryDates, context)
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(rs.enquiryDates, fields[dates.index]!, dates.reason)
    const [start, concluded] = dates.values
    if (start !== null && concluded !== null && concluded < start) {
      return Pipeline.quarantine(rs.enquiryDates, "concluded_date_text", "the enquiry concludes before it starts")
    }
    const type = Codes.map(context, "sg_enquiry_type", row.enquiry_type, "enquiry_type", rs.decision)
    const id = TargetKey.of("safeguarding enquiry", row.enquiry_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.safeguardingEnquiry, {
          enquiry_id: id,
          concern_id: concern,
          person_id: person,
          enquiry_type: type.code,
          start_date: start,
          concluded_date: concluded,
          outcomes_expressed: row.msp_outcomes_asked === null ? null : Clean.yes(row.msp_outcomes_asked)
        })
      ),
      [...dates.flags, ...type.flags]
    )
  }
})

export const RiskRow = Schema.Struct({
  risk_id: LegacyText.IntFromText,
  enquiry_id: LegacyText.IntFromText,
  type_of_risk: text,
  location_of_risk: text,
  source_of_risk: text,
  risk_outcome: text
})
type RiskRow = typeof RiskRow.Type

export const riskStep = Pipeline.step({
  entity: "safeguarding risk",
  source: { table: LegacyTables.safeguardingRisk.name, key: ["risk_id"], columns: Object.keys(RiskRow.fields) },
  legacyRow: RiskRow,
  references: [{ entity: "safeguarding enquiry", legacyKey: (row: RiskRow) => String(row.enquiry_id) }],
  rules: [rs.riskEnquiry, rs.riskCodes],
  targets: [TargetTables.safeguardingRisk],
  transform: (row, context) => {
    const enquiry = context.targetKeyOf("safeguarding enquiry", String(row.enquiry_id))
    if (enquiry === undefined) return Pipeline.quarantine(rs.riskEnquiry, "enquiry_id", "the risk's enquiry was not migrated")
    const type = Codes.map(context, "sg_type_of_risk", row.type_of_risk, "type_of_risk", rs.riskCodes)
    const location = Codes.map(context, "sg_location_of_risk", row.location_of_risk, "location_of_risk", rs.riskCodes)
    const source = Codes.map(context, "sg_source_of_risk", row.source_of_risk, "source_of_risk", rs.riskCodes)
    const outcome = Codes.map(context, "sg_risk_outcome", row.risk_outcome, "risk_outcome", rs.riskCodes)
    const id = TargetKey.of("safeguarding risk", row.risk_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.safeguardingRisk, {
          risk_id: id,
          enquiry_id: enquiry,
          type_of_risk: type.code,
          location_of_risk: location.code,
          source_of_risk: source.code,
          risk_outcome: outcome.code
        })
      ),
      [...type.flags, ...location.flags, ...source.flags, ...outcome.flags]
    )
  }
})
