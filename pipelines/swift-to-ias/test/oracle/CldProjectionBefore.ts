/**
 * The CLD projection as it was before it streamed: every row of the return built and returned at once. Kept here only
 * as the oracle the streamed projection is compared with; never used by the migration.
 */
import { Money } from "@handover/core"
import { ControlSchema, type Driver, Table } from "@handover/sql"
import type { CldRow } from "../../src/reference/CldRules.ts"
import * as TargetTables from "../../src/TargetTables.ts"

export interface Options {
  readonly runId: string
  readonly targetSchema: string
  readonly controlSchema: string
  readonly laCode: string
  readonly periodStart: string
  readonly periodEnd: string
}

export interface ProjectedRow {
  readonly row: CldRow
  /** A migration flag (not merely informative) touches the person, one of their addresses, or the event. */
  readonly flagged: boolean
}

const british = (iso: string | null): string | null => (iso === null ? null : `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`)

const upperLimitPence = 2_325_000
const lowerLimitPence = 1_425_000

/** Client funding status from the latest financial assessment: the capital limits of the charging rules. */
export const fundingStatus = (capitalPence: number | null, fullCost: boolean | null): string => {
  if (fullCost === true) return "Fully client funded"
  if (capitalPence === null) return "Unknown"
  if (capitalPence > upperLimitPence) return "Fully client funded"
  if (capitalPence > lowerLimitPence) return "Joint client and social care funded"
  return "Fully social care funded"
}

const pence = (text: string | null) => (text === null ? null : Money.fromPounds(text))

/** Every CLD event row of a run's target. */
export const project = async (target: Driver.Driver, options: Options): Promise<ReadonlyArray<ProjectedRow>> => {
  const d = target.dialect
  const t = (table: Table.Table) => d.qualify(Table.inSchema(table, options.targetSchema))
  const control = ControlSchema.tables(options.controlSchema)
  const p1 = d.placeholder(1)

  // target keys of rows carrying a flag that is not merely informative
  const flaggedKeys = new Set(
    (await target.queryText(
      `SELECT DISTINCT x.target_key FROM ${d.qualify(control.flag)} f JOIN ${d.qualify(control.xref)} x ` +
        `ON x.run_id = f.run_id AND x.entity = f.entity AND x.legacy_key = f.legacy_key WHERE f.run_id = ${p1} AND f.severity <> 'info'`,
      [options.runId]
    )).map((r) => String(r[0]))
  )
  for (const [personId] of await target.queryText(`SELECT DISTINCT person_id FROM ${t(TargetTables.address)} WHERE address_id IN (` +
    `SELECT x.target_key FROM ${d.qualify(control.flag)} f JOIN ${d.qualify(control.xref)} x ON x.run_id = f.run_id AND x.entity = f.entity ` +
    `AND x.legacy_key = f.legacy_key WHERE f.run_id = ${p1} AND f.entity = 'address' AND f.severity <> 'info')`, [options.runId])) {
    flaggedKeys.add(String(personId))
  }

  const people = new Map<string, Record<string, string | null>>()
  for (const r of await target.queryText(
    `SELECT person_id, nhs_number, la_person_unique_identifier, first_name, last_name, gender, ethnicity, date_of_birth, date_of_death, ` +
      `client_type, primary_support_reason, accommodation_status, employment_status FROM ${t(TargetTables.person)}`
  )) {
    people.set(String(r[0]), {
      NHS_Number: r[1] ?? null,
      LA_Person_Unique_Identifier: r[2] ?? null,
      First_Name: r[3] ?? null,
      Last_Name: r[4] ?? null,
      Gender: r[5] ?? null,
      Ethnicity: r[6] ?? null,
      Date_of_Birth: british(r[7] ?? null),
      Date_of_Death: british(r[8] ?? null),
      Client_Type: r[9] ?? null,
      Primary_Support_Reason: r[10] ?? null,
      Accommodation_Status: r[11] ?? null,
      Employment_Status: r[12] ?? null,
      Has_Unpaid_Carer: "No",
      Client_Funding_Status: "Unknown",
      Postcode: null
    })
  }
  // the postcode of the current main address (or the latest one)
  for (const [personId, postcode] of await target.queryText(
    `SELECT person_id, postcode FROM ${t(TargetTables.address)} ORDER BY person_id, is_primary, valid_from, address_id`
  )) {
    const person = people.get(String(personId))
    if (person !== undefined && postcode !== null) person.Postcode = postcode ?? null
  }
  for (const [personId] of await target.queryText(
    `SELECT DISTINCT person_id FROM ${t(TargetTables.relationship)} WHERE is_unpaid_carer = ${d.name === "mssql" ? "1" : "TRUE"}`
  )) {
    const person = people.get(String(personId))
    if (person !== undefined) person.Has_Unpaid_Carer = "Yes"
  }
  for (const [personId, capital, fullCost] of await target.queryText(
    `SELECT person_id, capital_total, full_cost FROM ${t(TargetTables.financialAssessment)} ORDER BY person_id, effective_from, fa_id`
  )) {
    const person = people.get(String(personId))
    if (person !== undefined) person.Client_Funding_Status = fundingStatus(pence(capital ?? null), fullCost === null ? null : ["t", "1", "true"].includes(String(fullCost)))
  }

  const submission = {
    LA_Code: options.laCode,
    Reporting_Period_Start_Date: british(options.periodStart),
    Reporting_Period_End_Date: british(options.periodEnd)
  }
  const out: Array<ProjectedRow> = []
  const emit = (personId: string, eventId: string, event: Record<string, string | null>) => {
    const person = people.get(personId)
    if (person === undefined) return
    out.push({
      row: { ...submission, ...person, ...event },
      flagged: flaggedKeys.has(personId) || flaggedKeys.has(eventId)
    })
  }

  for (const r of await target.queryText(
    `SELECT request_id, person_id, event_reference, event_start_date, event_end_date, request_route_of_access, event_outcome ` +
      `FROM ${t(TargetTables.request)} WHERE status = 'closed'`
  )) {
    emit(String(r[1]), String(r[0]), {
      Event_Type: "Request",
      Event_Reference: r[2] ?? null,
      Event_Start_Date: british(r[3] ?? null),
      Event_End_Date: british(r[4] ?? null),
      Request_Route_of_Access: r[5] ?? null,
      Event_Outcome: r[6] ?? null
    })
  }
  for (const r of await target.queryText(
    `SELECT assessment_id, person_id, event_reference, event_start_date, event_end_date, assessment_type, eligible_needs_identified, ` +
      `method_of_assessment, event_outcome FROM ${t(TargetTables.assessment)} WHERE event_end_date IS NOT NULL`
  )) {
    emit(String(r[1]), String(r[0]), {
      Event_Type: "Assessment",
      Event_Reference: r[2] ?? null,
      Event_Start_Date: british(r[3] ?? null),
      Event_End_Date: british(r[4] ?? null),
      Assessment_Type: r[5] ?? null,
      Eligible_Needs_Identified: r[6] ?? null,
      Method_of_Assessment: r[7] ?? null,
      Event_Outcome: r[8] ?? null
    })
  }
  for (const r of await target.queryText(
    `SELECT review_id, person_id, event_reference, event_start_date, event_end_date, review_reason, review_outcomes_achieved, ` +
      `method_of_review, event_outcome FROM ${t(TargetTables.review)}`
  )) {
    emit(String(r[1]), String(r[0]), {
      Event_Type: "Review",
      Event_Reference: r[2] ?? null,
      Event_Start_Date: british(r[3] ?? null),
      Event_End_Date: british(r[4] ?? null),
      Review_Reason: r[5] ?? null,
      Review_Outcomes_Achieved: r[6] ?? null,
      Method_of_Review: r[7] ?? null,
      Event_Outcome: r[8] ?? null
    })
  }
  for (const r of await target.queryText(
    `SELECT s.service_id, s.person_id, s.event_reference, s.event_start_date, s.event_end_date, s.service_type, s.service_component, ` +
      `s.delivery_mechanism, s.provider_cqc_location_id, pr.name, s.unit_cost, s.cost_frequency_unit_type, s.planned_units_per_week, s.event_outcome ` +
      `FROM ${t(TargetTables.service)} s LEFT JOIN ${t(TargetTables.provider)} pr ON pr.provider_id = s.provider_id WHERE s.service_type IS NOT NULL`
  )) {
    emit(String(r[1]), String(r[0]), {
      Event_Type: "Service",
      Event_Reference: r[2] ?? null,
      Event_Start_Date: british(r[3] ?? null),
      Event_End_Date: british(r[4] ?? null),
      Service_Type: r[5] ?? null,
      Service_Component: r[6] ?? null,
      Delivery_Mechanism: r[7] ?? null,
      Provider_CQC_Location_ID: r[8] ?? null,
      Provider_CQC_Location_Name: r[8] === null ? null : r[9] ?? null,
      Unit_Cost: r[10] ?? null,
      Cost_Frequency_Unit_Type: r[11] ?? null,
      Planned_Units_Per_Week: r[12] ?? null,
      Event_Outcome: r[13] ?? null
    })
  }
  return out
}
