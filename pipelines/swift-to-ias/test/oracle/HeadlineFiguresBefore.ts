/**
 * The headline figures' parts as they were worked out before the figures streamed: every table read whole, the
 * package lines' clients and the clients' target persons held in maps. Kept to hold the paged reads to the same parts.
 */
import { LegacyDate, Money, NhsNumber } from "@handover/core"
import type { Figure } from "@handover/reconcile"
import { ControlSchema, Table } from "@handover/sql"
import * as LegacyTables from "../../src/LegacyTables.ts"
import * as CodeMaps from "../../src/reference/CodeMaps.ts"
import * as UnitsPerWeek from "../../src/reference/UnitsPerWeek.ts"
import { defaultCutoverDate } from "../../src/SwiftPipeline.ts"
import * as TargetTables from "../../src/TargetTables.ts"

type Context = Figure.Context
type Row = ReadonlyArray<string | null>

/** A figure whose sides are read whole. */
export interface FigureBefore extends Omit<Figure.Figure, "legacy" | "target"> {
  readonly legacy: (context: Context) => Promise<Iterable<Figure.Part>>
  readonly target: (context: Context) => Promise<Iterable<Figure.Part>>
}

const none = "(none)"
const cutover = (context: Context) => context.parameters.cutoverDate ?? defaultCutoverDate

const cache = new WeakMap<Context, Map<string, Promise<unknown>>>()
/** Reads shared by several figures, once per reconciliation. */
const once = <A>(context: Context, name: string, read: () => Promise<A>): Promise<A> => {
  let entries = cache.get(context)
  if (entries === undefined) cache.set(context, (entries = new Map()))
  let entry = entries.get(name) as Promise<A> | undefined
  if (entry === undefined) entries.set(name, (entry = read()))
  return entry
}

const legacyRows = (context: Context, table: Table.Table, columns: ReadonlyArray<string>): Promise<ReadonlyArray<Row>> =>
  context.legacy.queryText(`SELECT ${columns.map((c) => context.legacy.dialect.quoteIdentifier(c)).join(", ")} FROM ${context.legacy.dialect.qualify(Table.inSchema(table, context.legacySchema))}`)

const targetRows = (context: Context, sql: (t: (table: Table.Table) => string) => string): Promise<ReadonlyArray<Row>> =>
  context.target.queryText(sql((table) => context.target.dialect.qualify(Table.inSchema(table, context.targetSchema))))

/** The target person of each legacy client: the row it was migrated to or merged into. */
const people = (context: Context) =>
  once(context, "people", async () => {
    const d = context.target.dialect
    const rows = await context.target.queryText(
      `SELECT legacy_key, target_key FROM ${d.qualify(ControlSchema.tables(context.controlSchema).xref)} WHERE run_id = ${d.placeholder(1)} AND entity = ${d.placeholder(2)}`,
      [context.runId, "client"]
    )
    return new Map(rows.map((r) => [String(r[0]), String(r[1])] as const))
  })

/** The legacy clients' columns the figures use, read once: number, support reason, date of birth, NHS number. */
const legacyClients = (context: Context) =>
  once(context, "legacy clients", () => legacyRows(context, LegacyTables.client, ["client_no", "psr_code", "dob_text", "nhs_no_text"]))

/** A legacy date as SWIFT holds it, read the documented way; anything unreadable or dummy is no date. */
const legacyDate = (text: string | null, today = "2999-12-31"): string | null => {
  const parsed = LegacyDate.parse(text, { today })
  return parsed._tag === "Date" ? parsed.date : null
}

const pence = (text: string | null): number | null => {
  const parsed = Money.parseLegacyAmount(text)
  return parsed._tag === "Amount" ? parsed.pence : null
}

const targetPence = (text: string | null): number | null => (text === null ? null : Money.fromPounds(text))

const code = (system: CodeMaps.CodeSystem, value: string | null): string => {
  const found = CodeMaps.lookup(system, value)
  return found._tag === "Mapped" ? found.code : none
}

const activeOn = (day: string, start: string | null, end: string | null) => start !== null && start <= day && (end === null || end >= day)

const ageBand = (dob: string | null, day: string): string => {
  if (dob === null) return "unknown"
  let age = Number(day.slice(0, 4)) - Number(dob.slice(0, 4))
  if (day.slice(5) < dob.slice(5)) age -= 1
  // the mapping leaves a date of birth over 115 years back empty (PER-06): the age is not known
  return age > 115 ? "unknown" : age < 18 ? "under 18" : age < 65 ? "18-64" : "65 and over"
}

const financialYear = (date: string | null): string => {
  if (date === null) return "unknown"
  const year = Number(date.slice(0, 4)) - (Number(date.slice(5, 7)) >= 4 ? 0 : 1)
  return `${year}/${String((year + 1) % 100).padStart(2, "0")}`
}

const debtAge = (raised: string | null, day: string): string => {
  if (raised === null) return "unknown"
  const days = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${raised}T00:00:00Z`)) / 86_400_000)
  return days <= 30 ? "0-30 days" : days <= 90 ? "31-90 days" : days <= 365 ? "91-365 days" : "over 365 days"
}

const hourly = (basis: string | null) => basis !== null && ["HOUR", "HOURS", "HOURLY", "HR"].includes(basis.trim().toUpperCase())

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

/** The legacy lines active at cut-over by SWIFT's own dates, costed by the documented rule (rate × units a week). */
const legacyLines = (context: Context) =>
  once(context, "legacy lines", async (): Promise<ReadonlyArray<LegacyLine>> => {
    const day = cutover(context)
    const packages = new Map((await legacyRows(context, LegacyTables.carePackage, ["package_id", "client_no"])).map((r) => [String(r[0]), String(r[1])] as const))
    const clients = new Map((await legacyClients(context)).map((r) => [String(r[0]), r] as const))
    const rows = await legacyRows(context, LegacyTables.packageLine, [
      "line_id", "package_id", "service_code", "provider_id", "start_date_text", "end_date_text", "units_per_week", "unit_rate", "rate_basis", "weekly_cost_stored"
    ])
    const out: Array<LegacyLine> = []
    for (const [line, pkg, service, provider, start, end, unitsText, rate, basis, stored] of rows) {
      const units = unitsText ?? null
      if (!activeOn(day, legacyDate(start!, day), legacyDate(end!))) continue
      const client = packages.get(String(pkg)) ?? none
      const c = clients.get(client)
      const ratePence = pence(rate!)
      const weekly = ratePence === null ? undefined : UnitsPerWeek.weeklyCostPence(ratePence, (basis ?? "").trim(), units === null || units.trim() === "" ? null : units.trim())
      out.push({
        key: String(line),
        client,
        provider: provider ?? none,
        component: code("service_component", service!),
        typeAndMechanism: `${code("service_type", service!)} / ${code("delivery_mechanism", service!)}`,
        supportReason: code("primary_support_reason", c?.[1] ?? null),
        ageBand: ageBand(legacyDate(c?.[2] ?? null, day), day),
        gross: weekly?._tag === "Weekly" ? weekly.pence : 0,
        stored: pence(stored!),
        hours: hourly(basis ?? null) && units !== null && units.trim() !== "" ? Math.round(Number(units) * 100) : null
      })
    }
    return out
  })

interface TargetLine {
  readonly key: string
  readonly person: string
  readonly provider: string
  readonly component: string
  readonly typeAndMechanism: string
  readonly supportReason: string
  readonly ageBand: string
  readonly gross: number
  readonly stored: number | null
  readonly hours: number | null
}

const targetLines = (context: Context) =>
  once(context, "target lines", async (): Promise<ReadonlyArray<TargetLine>> => {
    const day = cutover(context)
    const rows = await targetRows(context, (t) =>
      `SELECT s.service_id, s.person_id, p.legacy_provider_id, s.service_component, s.service_type, s.delivery_mechanism, ` +
      `pe.primary_support_reason, pe.date_of_birth, c.weekly_cost_gross, c.weekly_cost_stored, c.unit_type, c.planned_units_per_week, s.event_start_date, s.event_end_date ` +
      `FROM ${t(TargetTables.service)} s JOIN ${t(TargetTables.carePackageLineItem)} c ON c.service_id = s.service_id ` +
      `JOIN ${t(TargetTables.person)} pe ON pe.person_id = s.person_id LEFT JOIN ${t(TargetTables.provider)} p ON p.provider_id = s.provider_id`)
    return rows.filter((r) => activeOn(day, r[12]!, r[13] ?? null)).map((r) => ({
      key: String(r[0]),
      person: String(r[1]),
      provider: r[2] ?? none,
      component: r[3] ?? none,
      typeAndMechanism: `${r[4] ?? none} / ${r[5] ?? none}`,
      supportReason: r[6] ?? none,
      ageBand: ageBand(r[7] ?? null, day),
      gross: targetPence(r[8]!) ?? 0,
      stored: targetPence(r[9] ?? null),
      hours: hourly(r[10] ?? null) && r[11] !== null ? Math.round(Number(r[11]) * 100) : null
    }))
  })

export const weeklyCommitment: FigureBefore = {
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
  legacy: async (context) => {
    return (await legacyLines(context)).map((l) => ({
      key: l.key,
      dimensions: [l.provider, l.component, l.supportReason],
      values: [l.gross, l.stored ?? 0, l.hours ?? 0, 1]
    }))
  },
  target: async (context) =>
    (await targetLines(context)).map((l) => ({
      key: l.key,
      dimensions: [l.provider, l.component, l.supportReason],
      values: [l.gross, l.stored ?? 0, l.hours ?? 0, 1]
    }))
}

export const serviceUsers: FigureBefore = {
  id: "figure.service-users",
  description: "People with a service at cut-over",
  entity: "package line",
  dimensions: ["service type / delivery mechanism", "support reason", "age band", "provider"],
  measures: [{ name: "people", unit: "distinct" }],
  legacy: async (context) => {
    const persons = await people(context)
    return (await legacyLines(context)).map((l) => ({
      key: l.key,
      dimensions: [l.typeAndMechanism, l.supportReason, l.ageBand, l.provider],
      values: [persons.get(l.client) ?? `legacy client ${l.client}`]
    }))
  },
  target: async (context) =>
    (await targetLines(context)).map((l) => ({
      key: l.key,
      dimensions: [l.typeAndMechanism, l.supportReason, l.ageBand, l.provider],
      values: [l.person]
    }))
}

// ---- finance ---------------------------------------------------------------------------------------------------

export const contributions: FigureBefore = {
  id: "figure.contributions",
  description: "Client contributions in force at cut-over",
  entity: "contribution",
  dimensions: ["collected by", "payer"],
  measures: [{ name: "weekly amount", unit: "pence" }, { name: "contributions", unit: "count" }],
  legacy: async (context) => {
    const day = cutover(context)
    return (await legacyRows(context, LegacyTables.contribution, ["contrib_id", "payer_type", "weekly_amount_text", "from_text", "to_text", "collected_by"]))
      .filter((r) => activeOn(day, legacyDate(r[3]!, day), legacyDate(r[4]!)))
      .map((r) => ({ key: String(r[0]), dimensions: [(r[5] ?? none).toUpperCase(), (r[1] ?? "CLIENT").toUpperCase()], values: [pence(r[2]!) ?? 0, 1] }))
  },
  target: async (context) => {
    const day = cutover(context)
    return (await targetRows(context, (t) =>
      `SELECT charge_id, collector, payer, weekly_amount, effective_from, effective_to FROM ${t(TargetTables.clientCharge)} WHERE charge_type IN ('contribution', 'third_party_top_up')`))
      .filter((r) => activeOn(day, r[4] ?? null, r[5] ?? null))
      .map((r) => ({ key: String(r[0]), dimensions: [r[1] ?? none, r[2] ?? none], values: [targetPence(r[3] ?? null) ?? 0, 1] }))
  }
}

export const debt: FigureBefore = {
  id: "figure.debtor-invoices",
  description: "Invoices raised to clients",
  entity: "debtor invoice",
  dimensions: ["charge type", "age of debt", "status", "debtor"],
  measures: [{ name: "amount", unit: "pence" }, { name: "invoices", unit: "count" }],
  legacy: async (context) => {
    const day = cutover(context)
    const persons = await people(context)
    return (await legacyRows(context, LegacyTables.debtorInvoice, ["dinv_id", "debtor_client_no", "charge_type", "raised_date_text", "amount_text", "status"]))
      .map((r) => ({
        key: String(r[0]),
        dimensions: [r[2] ?? none, debtAge(legacyDate(r[3]!, day), day), (r[5] ?? none).toUpperCase(), persons.get(String(r[1])) ?? `legacy client ${r[1]}`],
        values: [pence(r[4]!) ?? 0, 1]
      }))
  },
  target: async (context) => {
    const day = cutover(context)
    return (await targetRows(context, (t) => `SELECT ar_invoice_id, debtor_person_id, charge_type, raised_date, amount, status FROM ${t(TargetTables.arInvoice)}`))
      .map((r) => ({
        key: String(r[0]),
        dimensions: [r[2] ?? none, debtAge(r[3] ?? null, day), (r[5] ?? none).toUpperCase(), String(r[1])],
        values: [targetPence(r[4]!) ?? 0, 1]
      }))
  }
}

export const receipts: FigureBefore = {
  id: "figure.debtor-receipts",
  description: "Money received against client invoices",
  entity: "debtor receipt",
  dimensions: ["method", "financial year"],
  measures: [{ name: "amount", unit: "pence" }, { name: "receipts", unit: "count" }],
  legacy: async (context) =>
    (await legacyRows(context, LegacyTables.debtorReceipt, ["receipt_id", "amount", "received_date_text", "method"]))
      .map((r) => ({ key: String(r[0]), dimensions: [(r[3] ?? none).toUpperCase(), financialYear(legacyDate(r[2]!, cutover(context)))], values: [pence(r[1]!) ?? 0, 1] })),
  target: async (context) =>
    (await targetRows(context, (t) => `SELECT receipt_id, amount, received_date, method FROM ${t(TargetTables.arReceipt)}`))
      .map((r) => ({ key: String(r[0]), dimensions: [(r[3] ?? none).toUpperCase(), financialYear(r[2] ?? null)], values: [targetPence(r[1]!) ?? 0, 1] }))
}

export const transport: FigureBefore = {
  id: "figure.transport-charges",
  description: "Transport charges for trips taken",
  entity: "transport trip",
  dimensions: ["financial year"],
  measures: [{ name: "charges", unit: "pence" }, { name: "journeys", unit: "count" }, { name: "trips", unit: "count" }],
  legacy: async (context) =>
    (await legacyRows(context, LegacyTables.transportTrip, ["trip_id", "trip_date_text", "journeys", "charge_amount"]))
      .map((r) => ({ key: String(r[0]), dimensions: [financialYear(legacyDate(r[1]!, cutover(context)))], values: [pence(r[3]!) ?? 0, r[2] === null ? 1 : Number(r[2]), 1] })),
  target: async (context) =>
    (await targetRows(context, (t) => `SELECT charge_id, effective_from, units, amount FROM ${t(TargetTables.clientCharge)} WHERE charge_type = 'transport_flat'`))
      .map((r) => ({ key: String(r[0]), dimensions: [financialYear(r[1] ?? null)], values: [targetPence(r[3] ?? null) ?? 0, r[2] === null ? 0 : Number(r[2]), 1] }))
}

// ---- safeguarding and people -----------------------------------------------------------------------------------

export const safeguardingConcerns: FigureBefore = {
  id: "figure.safeguarding-concerns",
  description: "Safeguarding concerns, and the people they concern counted once",
  entity: "safeguarding concern",
  dimensions: ["financial year"],
  measures: [{ name: "concerns", unit: "count" }, { name: "people", unit: "distinct" }],
  legacy: async (context) => {
    const persons = await people(context)
    return (await legacyRows(context, LegacyTables.safeguardingConcern, ["concern_id", "client_no", "received_date_text"]))
      .map((r) => ({ key: String(r[0]), dimensions: [financialYear(legacyDate(r[2]!, cutover(context)))], values: [1, persons.get(String(r[1])) ?? `legacy client ${r[1]}`] }))
  },
  target: async (context) =>
    (await targetRows(context, (t) => `SELECT concern_id, person_id, received_date FROM ${t(TargetTables.safeguardingConcern)}`))
      .map((r) => ({ key: String(r[0]), dimensions: [financialYear(r[2] ?? null)], values: [1, String(r[1])] }))
}

export const safeguardingEnquiries: FigureBefore = {
  id: "figure.safeguarding-enquiries",
  description: "Safeguarding enquiries (section 42 and other), and the people they concern counted once",
  entity: "safeguarding enquiry",
  dimensions: ["enquiry type", "concluded"],
  measures: [{ name: "enquiries", unit: "count" }, { name: "people", unit: "distinct" }],
  legacy: async (context) => {
    const persons = await people(context)
    return (await legacyRows(context, LegacyTables.safeguardingEnquiry, ["enquiry_id", "client_no", "enquiry_type", "concluded_date_text"]))
      .map((r) => ({
        key: String(r[0]),
        dimensions: [code("sg_enquiry_type", r[2]!), legacyDate(r[3]!, cutover(context)) === null ? "open" : "concluded"],
        values: [1, persons.get(String(r[1])) ?? `legacy client ${r[1]}`]
      }))
  },
  target: async (context) =>
    (await targetRows(context, (t) => `SELECT enquiry_id, person_id, enquiry_type, concluded_date FROM ${t(TargetTables.safeguardingEnquiry)}`))
      .map((r) => ({ key: String(r[0]), dimensions: [r[2] ?? none, r[3] === null ? "open" : "concluded"], values: [1, String(r[1])] }))
}

export const population: FigureBefore = {
  id: "figure.people",
  description: "People: client records, people after merging and distinct NHS numbers",
  entity: "client",
  dimensions: [],
  measures: [{ name: "records", unit: "count" }, { name: "people after merging", unit: "distinct" }, { name: "NHS numbers", unit: "distinct" }],
  legacy: async (context) => {
    const persons = await people(context)
    return (await legacyClients(context)).map((r) => {
      const nhs = NhsNumber.parse(r[3]!)
      return { key: String(r[0]), dimensions: [], values: [1, persons.get(String(r[0])) ?? null, nhs._tag === "Valid" ? nhs.nhsNumber : null] }
    })
  },
  target: async (context) =>
    (await targetRows(context, (t) => `SELECT person_id, nhs_number FROM ${t(TargetTables.person)}`))
      .map((r) => ({ key: String(r[0]), dimensions: [], values: [1, String(r[0]), r[1] ?? null] }))
}

export const all: ReadonlyArray<FigureBefore> = [
  population,
  weeklyCommitment,
  serviceUsers,
  contributions,
  debt,
  receipts,
  transport,
  safeguardingConcerns,
  safeguardingEnquiries
]
