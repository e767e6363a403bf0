/**
 * The CLD projection of the target: one row per request, assessment, review or service event, with the CLD field
 * names and the person's details repeated on every row, the way the national Client Level Data return is built.
 * Each row says whether a migration flag touches it (on the person, one of their addresses, or the event), so the
 * rows that are not flagged can be held to the CLD validation rules.
 *
 * The return is produced a page of people at a time, so that a return of a million people is never held whole: each
 * table is read once in the order of person id, and the reads advance together a person at a time.
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
 * The reporting period of the return made at a cut-over: from 1 April of the financial year the cut-over falls in to
 * the cut-over itself.
 */
export const reportingPeriod = (cutover: string): { readonly periodStart: string; readonly periodEnd: string } => {
  const year = Number(cutover.slice(0, 4)) - (Number(cutover.slice(5, 7)) >= 4 ? 0 : 1)
  return { periodStart: `${year}-04-01`, periodEnd: cutover }
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

/** The rows of one sorted read, a page at a time, handed out a person at a time. */
class PersonCursor {
  private page: ReadonlyArray<Driver.TextRow> = []
  private next = 0
  private done = false
  private readonly pages: AsyncGenerator<ReadonlyArray<Driver.TextRow>>
  constructor(pages: AsyncGenerator<ReadonlyArray<Driver.TextRow>>) {
    this.pages = pages
  }

  /** The row the read stands at (the next page read when this one is done), or undefined at its end. */
  private async current(): Promise<Driver.TextRow | undefined> {
    while (this.next >= this.page.length) {
      if (this.done) return undefined
      const read = await this.pages.next()
      if (read.done === true) {
        this.done = true
        return undefined
      }
      this.page = read.value
      this.next = 0
    }
    return this.page[this.next]
  }

  /** The next row, or undefined at the end of the read. */
  async row(): Promise<Driver.TextRow | undefined> {
    const row = await this.current()
    if (row !== undefined) this.next += 1
    return row
  }

  /**
   * The rows of `person` (each row's first value is its person id), given people in the order of the read: rows of
   * people before them are passed over (rows of a person the target has no person row for, which the return leaves
   * out).
   */
  async rowsOf(person: string): Promise<Array<Driver.TextRow>> {
    const out: Array<Driver.TextRow> = []
    for (let row = await this.current(); row !== undefined; row = await this.current()) {
      const id = String(row[0])
      if (id > person) break
      if (id === person) out.push(row)
      this.next += 1
    }
    return out
  }

  /** Ends the read: its scratch table is dropped (nothing happens to a read never started). */
  close = async () => {
    await this.pages.return(undefined)
  }
}

/**
 * Every CLD event row of a run's target, a page of people at a time: each page holds the rows of the events of the
 * people of one page (in the order requests, assessments, reviews, services). Every row of the return comes once, in
 * some page; people with no events give none.
 *
 * Each table is read once, sorted by person id into a scratch table of the control schema and read back in pages
 * (`Driver.sortedPages`): the people, their addresses, carers, financial assessments and each kind of event. The
 * reads advance together, a person at a time, so that memory holds one page of each. Person ids are compared by
 * code point (the binary collation on both sides, and JavaScript's string order, which agree on the text UUIDs of
 * the target's keys).
 */
export async function* project(target: Pick<Driver.Driver, "dialect" | "queryText" | "query">, options: Options): AsyncGenerator<ReadonlyArray<ProjectedRow>> {
  const d = target.dialect
  const t = (table: Table.Table) => d.qualify(Table.inSchema(table, options.targetSchema))
  const control = ControlSchema.tables(options.controlSchema)
  const pageSize = options.pageSize ?? defaultPageSize
  // the rows of the other reads: a dozen or so for a person
  const rowsPageSize = pageSize * 4
  const run = d.placeholder(1)
  const byId = (column: string) => `${column} COLLATE ${d.name === "mssql" ? "Latin1_General_BIN2" : `"C"`}`

  // the rows a flag of the run touches that is not merely informative, each with its person: the person's own row,
  // their addresses (which count as the person), their events. Read from the flags through the xref's primary key and
  // each table's, so that the plan follows keys whatever number of flags the planner expects (a join of the events
  // with the set of flagged keys, expected small, was planned as a scan of that set for every event).
  const flags = `${d.qualify(control.flag)} f JOIN ${d.qualify(control.xref)} x ` +
    `ON x.run_id = f.run_id AND x.entity = f.entity AND x.legacy_key = f.legacy_key`
  const flaggedWhere = `f.run_id = ${run} AND f.severity <> 'info'`
  // the person and the id (`given`) of each row of `table` a flag touches, found by the table's key `id`
  const touched = (table: Table.Table, id: string, given: string, where = "") =>
    `SELECT e.person_id AS person_id, ${given} AS id FROM ${flags} JOIN ${t(table)} e ON e.${id} = x.target_key WHERE ${flaggedWhere}${where}`
  const sorted = (query: Omit<Driver.KeysetQuery, "pageSize">, size = rowsPageSize) =>
    new PersonCursor(Driver.sortedPages(target, { ...query, pageSize: size, scratchSchema: options.controlSchema }))

  const people = sorted({
    key: [byId("p.person_id")],
    columns: [
      "p.nhs_number", "p.la_person_unique_identifier", "p.first_name", "p.last_name", "p.gender", "p.ethnicity", "p.date_of_birth",
      "p.date_of_death", "p.client_type", "p.primary_support_reason", "p.accommodation_status", "p.employment_status"
    ],
    from: `${t(TargetTables.person)} p`
  }, pageSize)
  // the ids of the rows flags touch, by person: a person's own id where a flag touches the person or an address
  const flagged = sorted({
    key: [byId("g.person_id"), "g.id"],
    columns: [],
    from: `(${
      [
        touched(TargetTables.person, "person_id", "e.person_id"),
        touched(TargetTables.address, "address_id", "e.person_id", " AND f.entity = 'address'"),
        touched(TargetTables.request, "request_id", "e.request_id"),
        touched(TargetTables.assessment, "assessment_id", "e.assessment_id"),
        touched(TargetTables.review, "review_id", "e.review_id"),
        touched(TargetTables.service, "service_id", "e.service_id")
      ].join(" UNION ALL ")
    }) g`,
    params: [options.runId]
  })
  // the postcode of the current main address (or the latest one): the last of a person's addresses that has one
  const addresses = sorted({
    key: [byId("a.person_id"), "a.is_primary", "a.valid_from", "a.address_id"],
    columns: ["a.postcode"],
    from: `${t(TargetTables.address)} a`,
    where: "a.postcode IS NOT NULL"
  })
  const carers = sorted({
    key: [byId("r.person_id")],
    columns: [],
    from: `(SELECT DISTINCT person_id FROM ${t(TargetTables.relationship)} WHERE is_unpaid_carer = ${d.name === "mssql" ? "1" : "TRUE"}) r`
  })
  // the latest financial assessment: the last of a person's
  const assessmentsOfMeans = sorted({
    key: [byId("fa.person_id"), "fa.effective_from", "fa.fa_id"],
    columns: ["fa.capital_total", "fa.full_cost"],
    from: `${t(TargetTables.financialAssessment)} fa`
  })
  // each event read: the person, the event's id, then the event's fields
  const events = (id: string, columns: ReadonlyArray<string>, from: string, where?: string) =>
    sorted({ key: [byId("e.person_id"), id], columns, from, ...(where === undefined ? {} : { where }) })
  const requests = events(
    "e.request_id",
    ["e.event_reference", "e.event_start_date", "e.event_end_date", "e.request_route_of_access", "e.event_outcome"],
    `${t(TargetTables.request)} e`,
    "e.status = 'closed'"
  )
  const assessments = events(
    "e.assessment_id",
    ["e.event_reference", "e.event_start_date", "e.event_end_date", "e.assessment_type", "e.eligible_needs_identified", "e.method_of_assessment", "e.event_outcome"],
    `${t(TargetTables.assessment)} e`,
    "e.event_end_date IS NOT NULL"
  )
  const reviews = events(
    "e.review_id",
    ["e.event_reference", "e.event_start_date", "e.event_end_date", "e.review_reason", "e.review_outcomes_achieved", "e.method_of_review", "e.event_outcome"],
    `${t(TargetTables.review)} e`
  )
  const services = events(
    "e.service_id",
    [
      "e.event_reference", "e.event_start_date", "e.event_end_date", "e.service_type", "e.service_component", "e.delivery_mechanism",
      "e.provider_cqc_location_id", "pr.name", "e.unit_cost", "e.cost_frequency_unit_type", "e.planned_units_per_week", "e.event_outcome"
    ],
    `${t(TargetTables.service)} e LEFT JOIN ${t(TargetTables.provider)} pr ON pr.provider_id = e.provider_id`,
    "e.service_type IS NOT NULL"
  )
  const reads = [people, flagged, addresses, carers, assessmentsOfMeans, requests, assessments, reviews, services]

  const submission = {
    LA_Code: options.laCode,
    Reporting_Period_Start_Date: british(options.periodStart),
    Reporting_Period_End_Date: british(options.periodEnd)
  }

  let previous: string | undefined
  try {
    for (;;) {
      // a page of people, and the rows of their events by kind
      const out = { requests: [] as Array<ProjectedRow>, assessments: [] as Array<ProjectedRow>, reviews: [] as Array<ProjectedRow>, services: [] as Array<ProjectedRow> }
      let read = 0
      let more = true
      while (read < pageSize) {
        const p = await people.row()
        if (p === undefined) {
          more = false
          break
        }
        read += 1
        const id = String(p[0])
        // the reads are merged by comparing ids here as the database sorted them
        if (previous !== undefined && !(previous < id)) throw new Error(`person ids out of order in the CLD projection: ${previous} before ${id}`)
        previous = id
        const fields: Record<string, string | null> = {
          NHS_Number: p[1] ?? null,
          LA_Person_Unique_Identifier: p[2] ?? null,
          First_Name: p[3] ?? null,
          Last_Name: p[4] ?? null,
          Gender: p[5] ?? null,
          Ethnicity: p[6] ?? null,
          Date_of_Birth: british(p[7] ?? null),
          Date_of_Death: british(p[8] ?? null),
          Client_Type: p[9] ?? null,
          Primary_Support_Reason: p[10] ?? null,
          Accommodation_Status: p[11] ?? null,
          Employment_Status: p[12] ?? null,
          Has_Unpaid_Carer: "No",
          Client_Funding_Status: "Unknown",
          Postcode: null
        }
        // a person's flagged rows: some, at most as many as their rows
        const touchedIds = new Set((await flagged.rowsOf(id)).map((r) => String(r[1])))
        const personFlagged = touchedIds.has(id)
        const postcode = (await addresses.rowsOf(id)).at(-1)
        if (postcode !== undefined) fields.Postcode = postcode[4] ?? null
        if ((await carers.rowsOf(id)).length > 0) fields.Has_Unpaid_Carer = "Yes"
        const means = (await assessmentsOfMeans.rowsOf(id)).at(-1)
        if (means !== undefined) {
          const [, , , capital, fullCost] = means
          fields.Client_Funding_Status = fundingStatus(pence(capital ?? null), fullCost === null || fullCost === undefined ? null : ["t", "1", "true"].includes(String(fullCost)))
        }
        const emit = (into: Array<ProjectedRow>, r: Driver.TextRow, event: Record<string, string | null>) => {
          into.push({ row: { ...submission, ...fields, ...event }, flagged: personFlagged || touchedIds.has(String(r[1])) })
        }
        for (const r of await requests.rowsOf(id)) {
          emit(out.requests, r, {
            Event_Type: "Request",
            Event_Reference: r[2] ?? null,
            Event_Start_Date: british(r[3] ?? null),
            Event_End_Date: british(r[4] ?? null),
            Request_Route_of_Access: r[5] ?? null,
            Event_Outcome: r[6] ?? null
          })
        }
        for (const r of await assessments.rowsOf(id)) {
          emit(out.assessments, r, {
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
        for (const r of await reviews.rowsOf(id)) {
          emit(out.reviews, r, {
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
        for (const r of await services.rowsOf(id)) {
          emit(out.services, r, {
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
      }
      const rows = out.requests.concat(out.assessments, out.reviews, out.services)
      if (rows.length > 0) yield rows
      if (!more) return
    }
  } finally {
    // every read ended, one after another, even when one of them fails to
    let failure: { readonly reason: unknown } | undefined
    for (const r of reads) {
      try {
        await r.close()
      } catch (reason) {
        failure ??= { reason }
      }
    }
    if (failure !== undefined) throw failure.reason
  }
}
