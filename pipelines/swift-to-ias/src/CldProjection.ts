/**
 * The CLD projection of the target: one row per request, assessment, review or service event, with the CLD field
 * names and the person's details repeated on every row, the way the national Client Level Data return is built.
 * Each row says whether a migration flag touches it (on the person, one of their addresses, or the event), so the
 * rows that are not flagged can be held to the CLD validation rules.
 *
 * The return is produced a page of people at a time, so that a return of a million people is never held whole: the
 * people are read in keyset pages by person id, and each page's addresses, carers, financial assessments and events
 * are read for the range of person ids the page covers.
 */
import { Money } from "@handover/core"
import { ControlSchema, Driver, Table } from "@handover/sql"
import type { CldRow } from "./reference/CldRules.ts"
import * as TargetTables from "./TargetTables.ts"

export interface Options {
  readonly runId: string
  readonly targetSchema: string
  readonly controlSchema: string
  readonly laCode: string
  readonly periodStart: string
  readonly periodEnd: string
  /** People read at a time: each page's rows are the events of that many people. */
  readonly pageSize?: number | undefined
}

/**
 * People a page by default: with a dozen or so events each, a page of rows is some tens of thousands of short texts.
 */
export const defaultPageSize = 1_000

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

/**
 * Every CLD event row of a run's target, a page of people at a time: each page holds the rows of the events of the
 * people of one keyset page (in the order requests, assessments, reviews, services). Every row of the return comes
 * once, in some page; people with no events give none.
 */
export async function* project(target: Pick<Driver.Driver, "dialect" | "queryText">, options: Options): AsyncGenerator<ReadonlyArray<ProjectedRow>> {
  const d = target.dialect
  const t = (table: Table.Table) => d.qualify(Table.inSchema(table, options.targetSchema))
  const control = ControlSchema.tables(options.controlSchema)
  const pageSize = options.pageSize ?? defaultPageSize

  // a target key carrying a flag of the run that is not merely informative
  const flaggedKey = (key: string, run: string) =>
    `EXISTS (SELECT 1 FROM ${d.qualify(control.flag)} f JOIN ${d.qualify(control.xref)} x ` +
    `ON x.run_id = f.run_id AND x.entity = f.entity AND x.legacy_key = f.legacy_key ` +
    `WHERE f.run_id = ${run} AND f.severity <> 'info' AND x.target_key = ${key})`
  // a person one of whose addresses carries such a flag
  const flaggedAddress = (person: string, run: string) =>
    `EXISTS (SELECT 1 FROM ${t(TargetTables.address)} a JOIN ${d.qualify(control.xref)} x ON x.target_key = a.address_id ` +
    `JOIN ${d.qualify(control.flag)} f ON x.run_id = f.run_id AND x.entity = f.entity AND x.legacy_key = f.legacy_key ` +
    `WHERE a.person_id = ${person} AND f.run_id = ${run} AND f.entity = 'address' AND f.severity <> 'info')`
  const yes = (sql: string) => `CASE WHEN ${sql} THEN 1 ELSE 0 END`

  const submission = {
    LA_Code: options.laCode,
    Reporting_Period_Start_Date: british(options.periodStart),
    Reporting_Period_End_Date: british(options.periodEnd)
  }

  for await (const page of Driver.keysetPages(target, {
    key: ["p.person_id"],
    columns: [
      "p.nhs_number", "p.la_person_unique_identifier", "p.first_name", "p.last_name", "p.gender", "p.ethnicity", "p.date_of_birth",
      "p.date_of_death", "p.client_type", "p.primary_support_reason", "p.accommodation_status", "p.employment_status",
      yes(`${flaggedKey("p.person_id", d.placeholder(1))} OR ${flaggedAddress("p.person_id", d.placeholder(1))}`)
    ],
    from: `${t(TargetTables.person)} p`,
    params: [options.runId],
    pageSize
  })) {
    const people = new Map<string, { readonly fields: Record<string, string | null>; readonly flagged: boolean }>()
    for (const r of page) {
      people.set(String(r[0]), {
        fields: {
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
        },
        flagged: String(r[13]) === "1"
      })
    }
    // the page's people are those whose ids lie between its first and its last, in the order the database keeps
    const range = [String(page[0]![0]), String(page[page.length - 1]![0])] as const
    const within = (column: string) => `${column} >= ${d.placeholder(1)} AND ${column} <= ${d.placeholder(2)}`

    // the postcode of the current main address (or the latest one)
    for (const [personId, postcode] of await target.queryText(
      `SELECT person_id, postcode FROM ${t(TargetTables.address)} WHERE ${within("person_id")} ORDER BY person_id, is_primary, valid_from, address_id`,
      range
    )) {
      const person = people.get(String(personId))
      if (person !== undefined && postcode !== null) person.fields.Postcode = postcode ?? null
    }
    for (const [personId] of await target.queryText(
      `SELECT DISTINCT person_id FROM ${t(TargetTables.relationship)} WHERE is_unpaid_carer = ${d.name === "mssql" ? "1" : "TRUE"} AND ${within("person_id")}`,
      range
    )) {
      const person = people.get(String(personId))
      if (person !== undefined) person.fields.Has_Unpaid_Carer = "Yes"
    }
    for (const [personId, capital, fullCost] of await target.queryText(
      `SELECT person_id, capital_total, full_cost FROM ${t(TargetTables.financialAssessment)} WHERE ${within("person_id")} ORDER BY person_id, effective_from, fa_id`,
      range
    )) {
      const person = people.get(String(personId))
      if (person !== undefined) {
        person.fields.Client_Funding_Status = fundingStatus(pence(capital ?? null), fullCost === null ? null : ["t", "1", "true"].includes(String(fullCost)))
      }
    }

    const out: Array<ProjectedRow> = []
    // each event row: the person, the event's id, whether a flag touches the event, then the event's fields
    const emit = (r: Driver.TextRow, event: Record<string, string | null>) => {
      const person = people.get(String(r[1]))
      if (person === undefined) return
      out.push({ row: { ...submission, ...person.fields, ...event }, flagged: person.flagged || String(r[2]) === "1" })
    }
    const events = (columns: string, id: string, from: string, where: string) =>
      target.queryText(
        `SELECT ${id}, e.person_id, ${yes(flaggedKey(id, d.placeholder(3)))}, ${columns} FROM ${from} WHERE ${where === "" ? "" : `${where} AND `}${within("e.person_id")}`,
        [range[0], range[1], options.runId]
      )

    for (const r of await events(
      "e.event_reference, e.event_start_date, e.event_end_date, e.request_route_of_access, e.event_outcome",
      "e.request_id",
      `${t(TargetTables.request)} e`,
      "e.status = 'closed'"
    )) {
      emit(r, {
        Event_Type: "Request",
        Event_Reference: r[3] ?? null,
        Event_Start_Date: british(r[4] ?? null),
        Event_End_Date: british(r[5] ?? null),
        Request_Route_of_Access: r[6] ?? null,
        Event_Outcome: r[7] ?? null
      })
    }
    for (const r of await events(
      "e.event_reference, e.event_start_date, e.event_end_date, e.assessment_type, e.eligible_needs_identified, e.method_of_assessment, e.event_outcome",
      "e.assessment_id",
      `${t(TargetTables.assessment)} e`,
      "e.event_end_date IS NOT NULL"
    )) {
      emit(r, {
        Event_Type: "Assessment",
        Event_Reference: r[3] ?? null,
        Event_Start_Date: british(r[4] ?? null),
        Event_End_Date: british(r[5] ?? null),
        Assessment_Type: r[6] ?? null,
        Eligible_Needs_Identified: r[7] ?? null,
        Method_of_Assessment: r[8] ?? null,
        Event_Outcome: r[9] ?? null
      })
    }
    for (const r of await events(
      "e.event_reference, e.event_start_date, e.event_end_date, e.review_reason, e.review_outcomes_achieved, e.method_of_review, e.event_outcome",
      "e.review_id",
      `${t(TargetTables.review)} e`,
      ""
    )) {
      emit(r, {
        Event_Type: "Review",
        Event_Reference: r[3] ?? null,
        Event_Start_Date: british(r[4] ?? null),
        Event_End_Date: british(r[5] ?? null),
        Review_Reason: r[6] ?? null,
        Review_Outcomes_Achieved: r[7] ?? null,
        Method_of_Review: r[8] ?? null,
        Event_Outcome: r[9] ?? null
      })
    }
    for (const r of await events(
      "e.event_reference, e.event_start_date, e.event_end_date, e.service_type, e.service_component, e.delivery_mechanism, " +
        "e.provider_cqc_location_id, pr.name, e.unit_cost, e.cost_frequency_unit_type, e.planned_units_per_week, e.event_outcome",
      "e.service_id",
      `${t(TargetTables.service)} e LEFT JOIN ${t(TargetTables.provider)} pr ON pr.provider_id = e.provider_id`,
      "e.service_type IS NOT NULL"
    )) {
      emit(r, {
        Event_Type: "Service",
        Event_Reference: r[3] ?? null,
        Event_Start_Date: british(r[4] ?? null),
        Event_End_Date: british(r[5] ?? null),
        Service_Type: r[6] ?? null,
        Service_Component: r[7] ?? null,
        Delivery_Mechanism: r[8] ?? null,
        Provider_CQC_Location_ID: r[9] ?? null,
        Provider_CQC_Location_Name: r[9] === null ? null : r[10] ?? null,
        Unit_Cost: r[11] ?? null,
        Cost_Frequency_Unit_Type: r[12] ?? null,
        Planned_Units_Per_Week: r[13] ?? null,
        Event_Outcome: r[14] ?? null
      })
    }
    if (out.length > 0) yield out
  }
}
