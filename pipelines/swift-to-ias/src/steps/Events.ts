/**
 * Referrals, assessments and reviews into CLD-shaped events: requests, assessments and reviews with their codes
 * mapped to the CLD lists. Only services may be open in CLD, so an open referral or assessment is migrated as open
 * work and flagged.
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

export const ReferralRow = Schema.Struct({
  referral_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  received_date_text: text,
  source_code: LegacyText.OptionalText,
  route_code: text,
  reason_code: LegacyText.OptionalText,
  outcome_code: text,
  closed_date_text: text,
  team_code: LegacyText.OptionalText
})
type ReferralRow = typeof ReferralRow.Type

const rq = Rules.request

export const referralStep = Pipeline.step({
  entity: "referral",
  source: { table: LegacyTables.referral.name, key: ["referral_id"], columns: Object.keys(ReferralRow.fields) },
  legacyRow: ReferralRow,
  references: [{ entity: "client", legacyKey: (row: ReferralRow) => String(row.client_no) }],
  rules: Object.values(rq),
  targets: [TargetTables.request],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rq.client, "client_no", "the referral's client was not migrated")
    const received = Clean.requiredDate(row.received_date_text, "received_date_text", rq.received, context)
    if (received._tag === "Bad") return Pipeline.quarantine(rq.received, "received_date_text", received.reason)
    const closed = Clean.date(row.closed_date_text, "closed_date_text", rq.received, context)
    if (closed._tag === "Bad") return Pipeline.quarantine(rq.received, "closed_date_text", closed.reason)
    if (closed.value !== null && closed.value < received.value) {
      return Pipeline.quarantine(rq.order, "closed_date_text", "the referral closes before it was received")
    }
    const route = Codes.map(context, "request_route_of_access", row.route_code, "route_code", rq.route)
    const outcome = Codes.map(context, "event_outcome", row.outcome_code, "outcome_code", rq.outcome)
    const flags = [...received.flags, ...closed.flags, ...route.flags, ...outcome.flags]
    const open = closed.value === null || row.outcome_code === null || row.outcome_code.trim() === ""
    if (open) flags.push(Pipeline.flag(rq.open, "closed_date_text", "error", "an open referral: it cannot be a CLD request until it is closed with an outcome"))
    const id = TargetKey.of("request", row.referral_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.request, {
          request_id: id,
          person_id: person,
          event_reference: `REF-${row.referral_id}`,
          event_start_date: received.value,
          event_end_date: closed.value,
          request_route_of_access: route.code,
          event_outcome: outcome.code,
          key_team: row.team_code,
          status: open ? "open" : "closed"
        })
      ),
      flags
    )
  }
})

export const AssessmentRow = Schema.Struct({
  assessment_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  referral_id: LegacyText.OptionalIntFromText,
  assessment_type_code: text,
  started_date_text: text,
  completed_date_text: text,
  eligible_needs: text,
  method_code: text,
  outcome_code: text
})
type AssessmentRow = typeof AssessmentRow.Type

const ra = Rules.assessment

export const assessmentStep = Pipeline.step({
  entity: "assessment",
  source: { table: LegacyTables.assessment.name, key: ["assessment_id"], columns: Object.keys(AssessmentRow.fields) },
  legacyRow: AssessmentRow,
  references: [
    { entity: "client", legacyKey: (row: AssessmentRow) => String(row.client_no), columns: ["date_of_birth"] },
    { entity: "referral", legacyKey: (row: AssessmentRow) => (row.referral_id === null ? null : String(row.referral_id)) }
  ],
  rules: Object.values(ra),
  targets: [TargetTables.assessment],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(ra.client, "client_no", "the assessment's client was not migrated")
    const dates = Clean.all(
      Clean.requiredDate(row.started_date_text, "started_date_text", ra.dates, context),
      Clean.date(row.completed_date_text, "completed_date_text", ra.dates, context)
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(ra.dates, dates.index === 0 ? "started_date_text" : "completed_date_text", dates.reason)
    const [start, end] = dates.values
    if (end !== null && end < start) return Pipeline.quarantine(ra.dates, "completed_date_text", "the assessment ends before it starts")
    const dob = context.targetRowOf("client", String(row.client_no))?.date_of_birth ?? null
    if (dob !== null && start < dob) return Pipeline.quarantine(ra.beforeBirth, "started_date_text", "the assessment starts before the client was born")
    const type = Codes.map(context, "assessment_type", row.assessment_type_code, "assessment_type_code", ra.type)
    const method = Codes.map(context, "method_of_assessment", row.method_code, "method_code", ra.type)
    const outcome = Codes.map(context, "event_outcome", row.outcome_code, "outcome_code", ra.type)
    const flags = [...dates.flags, ...type.flags, ...method.flags, ...outcome.flags]
    if (end === null) flags.push(Pipeline.flag(ra.open, "completed_date_text", "error", "an open assessment: it cannot be a CLD event until it is completed"))
    const id = TargetKey.of("assessment", row.assessment_id)
    const needs = row.eligible_needs === null ? null : Clean.yes(row.eligible_needs) ? "Yes" : "No"
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.assessment, {
          assessment_id: id,
          person_id: person,
          request_id: row.referral_id === null ? null : context.targetKeyOf("referral", String(row.referral_id)) ?? null,
          event_reference: `ASM-${row.assessment_id}`,
          event_start_date: start,
          event_end_date: end,
          assessment_type: type.code,
          eligible_needs_identified: needs,
          method_of_assessment: method.code,
          event_outcome: outcome.code
        })
      ),
      flags
    )
  }
})

export const ReviewRow = Schema.Struct({
  review_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  planned_flag: text,
  review_date_text: text,
  outcome_code: text,
  outcomes_achieved: LegacyText.OptionalText,
  method_code: text
})
type ReviewRow = typeof ReviewRow.Type

const rv = Rules.review

export const reviewStep = Pipeline.step({
  entity: "review",
  source: { table: LegacyTables.review.name, key: ["review_id"], columns: Object.keys(ReviewRow.fields) },
  legacyRow: ReviewRow,
  references: [{ entity: "client", legacyKey: (row: ReviewRow) => String(row.client_no) }],
  rules: Object.values(rv),
  targets: [TargetTables.review],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rv.client, "client_no", "the review's client was not migrated")
    const date = Clean.requiredDate(row.review_date_text, "review_date_text", rv.date, context)
    if (date._tag === "Bad") return Pipeline.quarantine(rv.date, "review_date_text", date.reason)
    const outcome = Codes.map(context, "event_outcome", row.outcome_code, "outcome_code", rv.codes)
    const method = Codes.map(context, "method_of_review", row.method_code, "method_code", rv.codes)
    const planned = Clean.yes(row.planned_flag)
    const reasonFlags = planned ? [] : [Pipeline.flag(rv.reason, "planned_flag", "warning", "an unplanned review: no published CLD Release 2 reason to give it")]
    const id = TargetKey.of("review", row.review_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.review, {
          review_id: id,
          person_id: person,
          event_reference: `REV-${row.review_id}`,
          event_start_date: date.value,
          event_end_date: date.value,
          review_reason: planned ? "Planned" : null,
          review_outcomes_achieved: row.outcomes_achieved,
          method_of_review: method.code,
          event_outcome: outcome.code
        })
      ),
      [...date.flags, ...outcome.flags, ...method.flags, ...reasonFlags]
    )
  }
})
