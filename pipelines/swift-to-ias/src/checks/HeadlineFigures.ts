/**
 * The headline figures of a SWIFT migration (§D of the domain reference), each computed twice: from the legacy rows
 * in SWIFT's own terms (its stored weekly cost, its dates, its codes read through the published code maps) and from
 * the target rows, then reconciled through the xref by `Figure.reconcile`:
 *
 * - weekly commitment at cut-over by provider, service component and primary support reason: gross and stored
 *   weekly cost, planned hours of hourly care, people — hours per provider show the domiciliary provider transfer;
 * - active service users by service type and delivery mechanism, support reason and age band;
 * - client contributions by who collects them and who pays;
 * - debtor invoices by charge type, age of the debt and debtor, and receipts by method;
 * - transport charges by financial year;
 * - safeguarding concerns and enquiries, and the people they concern counted once;
 * - people: client records, people after merging, distinct NHS numbers.
 *
 * Each side is read in keyset pages, the package lines joined to their care package and client in the legacy
 * database, and the target person of a page's clients looked up in the run's xref with one query: memory holds a page
 * of rows and their parts however large the estate.
 */
import { LegacyDate, Money, NhsNumber } from "@handover/core"
import type { Figure } from "@handover/reconcile"
import { ControlSchema, Driver, Table } from "@handover/sql"
import * as LegacyTables from "../LegacyTables.ts"
import * as CodeMaps from "../reference/CodeMaps.ts"
import * as UnitsPerWeek from "../reference/UnitsPerWeek.ts"
import { defaultCutoverDate } from "../SwiftPipeline.ts"
import * as TargetTables from "../TargetTables.ts"

type Context = Figure.Context
type Row = ReadonlyArray<string | null>
type Part = Figure.Part

const none = "(none)"
const cutover = (context: Context) => context.parameters.cutoverDate ?? defaultCutoverDate

/** Rows read at once from either side, unless told otherwise: memory holds a page of rows and of their parts. */
export const defaultPageSize = 5_000

/**
 * Legacy rows in keyset pages: each row is the key and then the columns (names of `table`), as the legacy database
 * gives them as text.
 */
const legacyPages = (
  pageSize: number,
  context: Context,
  table: Table.Table,
  key: string,
  columns: ReadonlyArray<string>
): AsyncIterable<ReadonlyArray<Row>> => {
  const q = context.legacy.dialect.quoteIdentifier
  return Driver.keysetPages(context.legacy, {
    key: [q(key)],
    columns: columns.map(q),
    from: context.legacy.dialect.qualify(Table.inSchema(table, context.legacySchema)),
    pageSize
  })
}

/**
 * How a figure's target side is written in the target's SQL: its tables in the target schema, the cut-over date as
 * parameter 1, and the few expressions that PostgreSQL and SQL Server write differently. Each gives what the legacy
 * side's TypeScript gives for the same value (`ageBand`, `financialYear`, `debtAge`, pence).
 */
export const targetSql = (context: Context) => {
  const d = context.target.dialect
  const mssql = d.name === "mssql"
  const day = cutover(context)
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (parts === null) throw new Error(`the cut-over date must be written yyyy-mm-dd, not ${JSON.stringify(day)}`)
  const str = d.quoteString
  const datePart = (part: "YEAR" | "MONTH" | "DAY") => (x: string) => (mssql ? `${part}(${x})` : `CAST(EXTRACT(${part} FROM ${x}) AS integer)`)
  const year = datePart("YEAR")
  const month = datePart("MONTH")
  const dayOf = datePart("DAY")
  // the cut-over date is the query's one parameter, where it uses it
  let usesCutover = false
  const cutoverDate = () => {
    usesCutover = true
    return `CAST(${d.placeholder(1)} AS date)`
  }
  const orNone = (x: string) => `COALESCE(${x}, ${str(none)})`
  const financialYearOf = (x: string) => {
    const fy = `(${year(x)} - CASE WHEN ${month(x)} >= 4 THEN 0 ELSE 1 END)`
    return `CASE WHEN ${x} IS NULL THEN ${str("unknown")} ELSE CONCAT(${fy}, ${str("/")}, RIGHT(CONCAT(${str("0")}, (${fy} + 1) % 100), 2)) END`
  }
  const age = (dob: string) =>
    `(${Number(parts[1])} - ${year(dob)} - CASE WHEN ${Number(parts[2]) * 100 + Number(parts[3])} < ${month(dob)} * 100 + ${dayOf(dob)} THEN 1 ELSE 0 END)`
  return {
    /** The parameters of a query written with these expressions: the cut-over date, if it was used. */
    params: (): ReadonlyArray<string> => (usesCutover ? [day] : []),
    table: (t: Table.Table) => d.qualify(Table.inSchema(t, context.targetSchema)),
    str,
    orNone,
    /** Active at cut-over: started on or before it, not ended before it. */
    activeAtCutover: (start: string, end: string) => `${start} IS NOT NULL AND ${start} <= ${cutoverDate()} AND (${end} IS NULL OR ${end} >= ${cutoverDate()})`,
    /** Pounds and pence as whole pence, zero for none. */
    pence: (x: string) => `COALESCE(CAST(ROUND(${x} * 100, 0) AS ${d.columnType(Table.bigint)}), 0)`,
    text: (x: string) => `CAST(${x} AS ${d.columnType(Table.text(20))})`,
    upper: (x: string) => `UPPER(${x})`,
    financialYear: financialYearOf,
    ageBand: (dob: string) =>
      `CASE WHEN ${dob} IS NULL OR ${age(dob)} > 115 THEN ${str("unknown")} WHEN ${age(dob)} < 18 THEN ${str("under 18")} ` +
      `WHEN ${age(dob)} < 65 THEN ${str("18-64")} ELSE ${str("65 and over")} END`,
    debtAge: (raised: string) => {
      const days = mssql ? `DATEDIFF(day, ${raised}, ${cutoverDate()})` : `(${cutoverDate()} - ${raised})`
      return `CASE WHEN ${raised} IS NULL THEN ${str("unknown")} WHEN ${days} <= 30 THEN ${str("0-30 days")} WHEN ${days} <= 90 THEN ${str("31-90 days")} ` +
        `WHEN ${days} <= 365 THEN ${str("91-365 days")} ELSE ${str("over 365 days")} END`
    },
    /** Planned hours a week in hundredths, for a line paid by the hour; zero otherwise. */
    hours: (basis: string, units: string) =>
      `CASE WHEN UPPER(LTRIM(RTRIM(${basis}))) IN (${hourlyBases.map((b) => `'${b}'`).join(", ")}) AND ${units} IS NOT NULL ` +
      `THEN CAST(ROUND(${units} * 100, 0) AS ${d.columnType(Table.bigint)}) ELSE 0 END`
  }
}

/** A figure's target parts as one query of the target: the key, the dimensions and the measures, in order. */
const targetQuery = (context: Context, query: (sql: ReturnType<typeof targetSql>) => string): Figure.TargetQuery => {
  const sql = targetSql(context)
  const text = query(sql)
  return { sql: text, params: sql.params() }
}

/** The parts of each page of rows. */
async function* partsOf<A>(pages: AsyncIterable<ReadonlyArray<A>>, part: (row: A) => Part | undefined): AsyncGenerator<ReadonlyArray<Part>> {
  for await (const page of pages) {
    const parts: Array<Part> = []
    for (const row of page) {
      const p = part(row)
      if (p !== undefined) parts.push(p)
    }
    yield parts
  }
}

/**
 * The target person of each of a page's legacy clients (the row it was migrated to or merged into), from the run's
 * xref in one query: a client the run has no row for is named by its legacy number.
 */
const people = async (context: Context, clients: Iterable<string>): Promise<(client: string) => string | undefined> => {
  const keys = [...new Set(clients)]
  const d = context.target.dialect
  const rows = keys.length === 0 ? [] : await Driver.selectWhereOneOf(context.target, {
    select: `SELECT legacy_key, target_key FROM ${d.qualify(ControlSchema.tables(context.controlSchema).xref)}`,
    where: `run_id = ${d.placeholder(1)} AND entity = ${d.placeholder(2)}`,
    params: [context.runId, "client"]
  }, "legacy_key", keys)
  const found = new Map(rows.map((r) => [String(r[0]), String(r[1])] as const))
  return (client) => found.get(client)
}

/** A legacy client's target person, or the client named by its legacy number when the run has no row for it. */
const personOr = (person: (client: string) => string | undefined, client: string): string => person(client) ?? `legacy client ${client}`

/** The parts of each page of rows, given the target persons of the page's clients. */
async function* partsWithPeople<A>(
  context: Context,
  pages: AsyncIterable<ReadonlyArray<A>>,
  client: (row: A) => string,
  part: (row: A, person: (client: string) => string | undefined) => Part
): AsyncGenerator<ReadonlyArray<Part>> {
  for await (const page of pages) {
    const person = await people(context, page.map(client))
    yield page.map((row) => part(row, person))
  }
}

/** A legacy date as SWIFT holds it, read the documented way; anything unreadable or dummy is no date. */
const legacyDate = (text: string | null, today = "2999-12-31"): string | null => {
  const parsed = LegacyDate.parse(text, { today })
  return parsed._tag === "Date" ? parsed.date : null
}

const pence = (text: string | null): number | null => {
  const parsed = Money.parseLegacyAmount(text)
  return parsed._tag === "Amount" ? parsed.pence : null
}

const code = (system: CodeMaps.CodeSystem, value: string | null): string => {
  const found = CodeMaps.lookup(system, value)
  return found._tag === "Mapped" ? found.code : none
}

const activeOn = (day: string, start: string | null, end: string | null) => start !== null && start <= day && (end === null || end >= day)

export const ageBand = (dob: string | null, day: string): string => {
  if (dob === null) return "unknown"
  let age = Number(day.slice(0, 4)) - Number(dob.slice(0, 4))
  if (day.slice(5) < dob.slice(5)) age -= 1
  // the mapping leaves a date of birth over 115 years back empty (PER-06): the age is not known
  return age > 115 ? "unknown" : age < 18 ? "under 18" : age < 65 ? "18-64" : "65 and over"
}

export const financialYear = (date: string | null): string => {
  if (date === null) return "unknown"
  const year = Number(date.slice(0, 4)) - (Number(date.slice(5, 7)) >= 4 ? 0 : 1)
  return `${year}/${String((year + 1) % 100).padStart(2, "0")}`
}

export const debtAge = (raised: string | null, day: string): string => {
  if (raised === null) return "unknown"
  const days = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${raised}T00:00:00Z`)) / 86_400_000)
  return days <= 30 ? "0-30 days" : days <= 90 ? "31-90 days" : days <= 365 ? "91-365 days" : "over 365 days"
}

/** How a line paid by the hour writes its rate basis, in capitals. */
const hourlyBases = ["HOUR", "HOURS", "HOURLY", "HR"]

export const hourly = (basis: string | null) => basis !== null && hourlyBases.includes(basis.trim().toUpperCase())

// ---- package lines ---------------------------------------------------------------------------------------------

interface LegacyLine {
  readonly key: string
  readonly client: string
  readonly provider: string
  readonly component: string
  readonly typeAndMechanism: string
  readonly supportReason: string
  readonly ageBand: string
  readonly gross: number | null
  readonly stored: number | null
  readonly hours: number | null
}

/**
 * The legacy lines active at cut-over by SWIFT's own dates, costed by the documented rule (rate × units a week), a
 * page at a time: each line read with its care package's client and that client's support reason and date of birth.
 */
async function* legacyLines(context: Context, pageSize: number): AsyncGenerator<ReadonlyArray<LegacyLine>> {
  const day = cutover(context)
  const d = context.legacy.dialect
  const q = d.quoteIdentifier
  const table = (t: Table.Table) => d.qualify(Table.inSchema(t, context.legacySchema))
  const pages = Driver.keysetPages(context.legacy, {
    key: [`l.${q("line_id")}`],
    columns: [
      ...["service_code", "provider_id", "start_date_text", "end_date_text", "units_per_week", "unit_rate", "rate_basis", "weekly_cost_stored"].map((c) => `l.${q(c)}`),
      `p.${q("client_no")}`,
      `c.${q("psr_code")}`,
      `c.${q("dob_text")}`
    ],
    from: `${table(LegacyTables.packageLine)} l LEFT JOIN ${table(LegacyTables.carePackage)} p ON p.${q("package_id")} = l.${q("package_id")} ` +
      `LEFT JOIN ${table(LegacyTables.client)} c ON c.${q("client_no")} = p.${q("client_no")}`,
    pageSize
  })
  for await (const page of pages) {
    const out: Array<LegacyLine> = []
    for (const [line, service, provider, start, end, unitsText, rate, basis, stored, client, supportReason, dob] of page) {
      const units = unitsText ?? null
      if (!activeOn(day, legacyDate(start!, day), legacyDate(end!))) continue
      const ratePence = pence(rate!)
      const weekly = ratePence === null ? undefined : UnitsPerWeek.weeklyCostPence(ratePence, (basis ?? "").trim(), units === null || units.trim() === "" ? null : units.trim())
      out.push({
        key: String(line),
        client: client ?? none,
        provider: provider ?? none,
        component: code("service_component", service!),
        typeAndMechanism: `${code("service_type", service!)} / ${code("delivery_mechanism", service!)}`,
        supportReason: code("primary_support_reason", supportReason ?? null),
        ageBand: ageBand(legacyDate(dob ?? null, day), day),
        gross: weekly?._tag === "Weekly" ? weekly.pence : 0,
        stored: pence(stored!),
        hours: hourly(basis ?? null) && units !== null && units.trim() !== "" ? Math.round(Number(units) * 100) : null
      })
    }
    yield out
  }
}

/**
 * The target's services active at cut-over, each with its first line item (a service counts once), its person and
 * its provider: the FROM and WHERE of the two figures over package lines.
 */
const activeServices = (sql: ReturnType<typeof targetSql>) =>
  `FROM ${sql.table(TargetTables.service)} s ` +
  `JOIN (SELECT c.service_id, c.weekly_cost_gross, c.weekly_cost_stored, c.unit_type, c.planned_units_per_week, ` +
  `ROW_NUMBER() OVER (PARTITION BY c.service_id ORDER BY c.cpli_id) AS line_rank FROM ${sql.table(TargetTables.carePackageLineItem)} c) c ` +
  `ON c.service_id = s.service_id AND c.line_rank = 1 ` +
  `JOIN ${sql.table(TargetTables.person)} pe ON pe.person_id = s.person_id ` +
  `LEFT JOIN ${sql.table(TargetTables.provider)} p ON p.provider_id = s.provider_id ` +
  `WHERE ${sql.activeAtCutover("s.event_start_date", "s.event_end_date")}`

/** The figures, reading each side in pages of `pageSize` rows. */
export const figures = ({ pageSize = defaultPageSize }: { readonly pageSize?: number } = {}) => {
  const weeklyCommitment: Figure.Figure = {
    id: "figure.weekly-commitment",
    description: "Weekly commitment of care package lines active at cut-over",
    entity: "package line",
    dimensions: ["provider", "service component", "support reason"],
    measures: [
      { name: "gross weekly cost", unit: "pence" },
      { name: "stored weekly cost", unit: "pence" },
      { name: "planned hours a week", unit: "hundredths" },
      { name: "lines", unit: "count" }
    ],
    legacy: (context) =>
      partsOf(legacyLines(context, pageSize), (l) => ({
        key: l.key,
        dimensions: [l.provider, l.component, l.supportReason],
        values: [l.gross, l.stored ?? 0, l.hours ?? 0, 1]
      })),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT s.service_id, ${sql.orNone(sql.text("p.legacy_provider_id"))}, ${sql.orNone("s.service_component")}, ${sql.orNone("pe.primary_support_reason")}, ` +
          `${sql.pence("c.weekly_cost_gross")}, ${sql.pence("c.weekly_cost_stored")}, ${sql.hours("c.unit_type", "c.planned_units_per_week")}, 1 ${activeServices(sql)}`)
    }
  }

  const serviceUsers: Figure.Figure = {
    id: "figure.service-users",
    description: "People with a service at cut-over",
    entity: "package line",
    dimensions: ["service type / delivery mechanism", "support reason", "age band", "provider"],
    measures: [{ name: "people", unit: "distinct" }],
    legacy: (context) =>
      partsWithPeople(context, legacyLines(context, pageSize), (l) => l.client, (l, person) => ({
        key: l.key,
        dimensions: [l.typeAndMechanism, l.supportReason, l.ageBand, l.provider],
        values: [personOr(person, l.client)]
      })),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT s.service_id, CONCAT(${sql.orNone("s.service_type")}, ${sql.str(" / ")}, ${sql.orNone("s.delivery_mechanism")}), ` +
          `${sql.orNone("pe.primary_support_reason")}, ${sql.ageBand("pe.date_of_birth")}, ${sql.orNone(sql.text("p.legacy_provider_id"))}, s.person_id ${activeServices(sql)}`)
    }
  }

  // ---- finance ---------------------------------------------------------------------------------------------------

  const contributions: Figure.Figure = {
    id: "figure.contributions",
    description: "Client contributions in force at cut-over",
    entity: "contribution",
    dimensions: ["collected by", "payer"],
    measures: [{ name: "weekly amount", unit: "pence" }, { name: "contributions", unit: "count" }],
    legacy: (context) => {
      const day = cutover(context)
      return partsOf(
        legacyPages(pageSize, context, LegacyTables.contribution, "contrib_id", ["payer_type", "weekly_amount_text", "from_text", "to_text", "collected_by"]),
        (r) =>
          activeOn(day, legacyDate(r[3]!, day), legacyDate(r[4]!))
            ? { key: String(r[0]), dimensions: [(r[5] ?? none).toUpperCase(), (r[1] ?? "CLIENT").toUpperCase()], values: [pence(r[2]!) ?? 0, 1] }
            : undefined
      )
    },
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT charge_id, ${sql.orNone("collector")}, ${sql.orNone("payer")}, ${sql.pence("weekly_amount")}, 1 FROM ${sql.table(TargetTables.clientCharge)} ` +
          `WHERE charge_type IN ('contribution', 'third_party_top_up') AND ${sql.activeAtCutover("effective_from", "effective_to")}`)
    }
  }

  const debt: Figure.Figure = {
    id: "figure.debtor-invoices",
    description: "Invoices raised to clients",
    entity: "debtor invoice",
    dimensions: ["charge type", "age of debt", "status", "debtor"],
    measures: [{ name: "amount", unit: "pence" }, { name: "invoices", unit: "count" }],
    legacy: (context) => {
      const day = cutover(context)
      return partsWithPeople(
        context,
        legacyPages(pageSize, context, LegacyTables.debtorInvoice, "dinv_id", ["debtor_client_no", "charge_type", "raised_date_text", "amount_text", "status"]),
        (r) => String(r[1]),
        (r, person) => ({
          key: String(r[0]),
          dimensions: [r[2] ?? none, debtAge(legacyDate(r[3]!, day), day), (r[5] ?? none).toUpperCase(), personOr(person, String(r[1]))],
          values: [pence(r[4]!) ?? 0, 1]
        })
      )
    },
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT ar_invoice_id, ${sql.orNone("charge_type")}, ${sql.debtAge("raised_date")}, ${sql.upper(sql.orNone("status"))}, debtor_person_id, ` +
          `${sql.pence("amount")}, 1 FROM ${sql.table(TargetTables.arInvoice)}`)
    }
  }

  const receipts: Figure.Figure = {
    id: "figure.debtor-receipts",
    description: "Money received against client invoices",
    entity: "debtor receipt",
    dimensions: ["method", "financial year"],
    measures: [{ name: "amount", unit: "pence" }, { name: "receipts", unit: "count" }],
    legacy: (context) =>
      partsOf(
        legacyPages(pageSize, context, LegacyTables.debtorReceipt, "receipt_id", ["amount", "received_date_text", "method"]),
        (r) => ({ key: String(r[0]), dimensions: [(r[3] ?? none).toUpperCase(), financialYear(legacyDate(r[2]!, cutover(context)))], values: [pence(r[1]!) ?? 0, 1] })
      ),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT receipt_id, ${sql.upper(sql.orNone("method"))}, ${sql.financialYear("received_date")}, ${sql.pence("amount")}, 1 FROM ${sql.table(TargetTables.arReceipt)}`)
    }
  }

  const transport: Figure.Figure = {
    id: "figure.transport-charges",
    description: "Transport charges for trips taken",
    entity: "transport trip",
    dimensions: ["financial year"],
    measures: [{ name: "charges", unit: "pence" }, { name: "journeys", unit: "count" }, { name: "trips", unit: "count" }],
    legacy: (context) =>
      partsOf(
        legacyPages(pageSize, context, LegacyTables.transportTrip, "trip_id", ["trip_date_text", "journeys", "charge_amount"]),
        (r) => ({ key: String(r[0]), dimensions: [financialYear(legacyDate(r[1]!, cutover(context)))], values: [pence(r[3]!) ?? 0, r[2] === null ? 1 : Number(r[2]), 1] })
      ),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT charge_id, ${sql.financialYear("effective_from")}, ${sql.pence("amount")}, COALESCE(units, 0), 1 FROM ${sql.table(TargetTables.clientCharge)} ` +
          `WHERE charge_type = 'transport_flat'`)
    }
  }

  // ---- safeguarding and people -----------------------------------------------------------------------------------

  const safeguardingConcerns: Figure.Figure = {
    id: "figure.safeguarding-concerns",
    description: "Safeguarding concerns, and the people they concern counted once",
    entity: "safeguarding concern",
    dimensions: ["financial year"],
    measures: [{ name: "concerns", unit: "count" }, { name: "people", unit: "distinct" }],
    legacy: (context) =>
      partsWithPeople(
        context,
        legacyPages(pageSize, context, LegacyTables.safeguardingConcern, "concern_id", ["client_no", "received_date_text"]),
        (r) => String(r[1]),
        (r, person) => ({ key: String(r[0]), dimensions: [financialYear(legacyDate(r[2]!, cutover(context)))], values: [1, personOr(person, String(r[1]))] })
      ),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT concern_id, ${sql.financialYear("received_date")}, 1, person_id FROM ${sql.table(TargetTables.safeguardingConcern)}`)
    }
  }

  const safeguardingEnquiries: Figure.Figure = {
    id: "figure.safeguarding-enquiries",
    description: "Safeguarding enquiries (section 42 and other), and the people they concern counted once",
    entity: "safeguarding enquiry",
    dimensions: ["enquiry type", "concluded"],
    measures: [{ name: "enquiries", unit: "count" }, { name: "people", unit: "distinct" }],
    legacy: (context) =>
      partsWithPeople(
        context,
        legacyPages(pageSize, context, LegacyTables.safeguardingEnquiry, "enquiry_id", ["client_no", "enquiry_type", "concluded_date_text"]),
        (r) => String(r[1]),
        (r, person) => ({
          key: String(r[0]),
          dimensions: [code("sg_enquiry_type", r[2]!), legacyDate(r[3]!, cutover(context)) === null ? "open" : "concluded"],
          values: [1, personOr(person, String(r[1]))]
        })
      ),
    target: {
      query: (context) =>
        targetQuery(context, (sql) =>
          `SELECT enquiry_id, ${sql.orNone("enquiry_type")}, CASE WHEN concluded_date IS NULL THEN ${sql.str("open")} ELSE ${sql.str("concluded")} END, 1, person_id ` +
          `FROM ${sql.table(TargetTables.safeguardingEnquiry)}`)
    }
  }

  const population: Figure.Figure = {
    id: "figure.people",
    description: "People: client records, people after merging and distinct NHS numbers",
    entity: "client",
    dimensions: [],
    measures: [{ name: "records", unit: "count" }, { name: "people after merging", unit: "distinct" }, { name: "NHS numbers", unit: "distinct" }],
    legacy: (context) =>
      partsWithPeople(
        context,
        legacyPages(pageSize, context, LegacyTables.client, "client_no", ["nhs_no_text"]),
        (r) => String(r[0]),
        (r, person) => {
          const nhs = NhsNumber.parse(r[1]!)
          return { key: String(r[0]), dimensions: [], values: [1, person(String(r[0])) ?? null, nhs._tag === "Valid" ? nhs.nhsNumber : null] }
        }
      ),
    target: {
      query: (context) => targetQuery(context, (sql) => `SELECT person_id, 1, person_id, nhs_number FROM ${sql.table(TargetTables.person)}`)
    }
  }

  return {
    population,
    weeklyCommitment,
    serviceUsers,
    contributions,
    debt,
    receipts,
    transport,
    safeguardingConcerns,
    safeguardingEnquiries,
    all: [population, weeklyCommitment, serviceUsers, contributions, debt, receipts, transport, safeguardingConcerns, safeguardingEnquiries]
  }
}

const standard = figures()
export const population: Figure.Figure = standard.population
export const weeklyCommitment: Figure.Figure = standard.weeklyCommitment
export const serviceUsers: Figure.Figure = standard.serviceUsers
export const contributions: Figure.Figure = standard.contributions
export const debt: Figure.Figure = standard.debt
export const receipts: Figure.Figure = standard.receipts
export const transport: Figure.Figure = standard.transport
export const safeguardingConcerns: Figure.Figure = standard.safeguardingConcerns
export const safeguardingEnquiries: Figure.Figure = standard.safeguardingEnquiries
export const all: ReadonlyArray<Figure.Figure> = standard.all
