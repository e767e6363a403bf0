/**
 * The SWIFT business checks as they were before they streamed: every line, invoice and receipt read whole, the xref
 * held in Maps, each check's findings returned as one array. Kept here only as the oracle the streamed checks are
 * compared with; never used by the migration.
 */
import { Money } from "@handover/core"
import type { Reconcile } from "@handover/reconcile"
import { Finding } from "@handover/reconcile"
import { ControlSchema, Table } from "@handover/sql"
import * as CldProjection from "./CldProjectionBefore.ts"
import * as CldRules from "../../src/reference/CldRules.ts"
import * as Uplifts from "../../src/reference/Uplifts.ts"
import { defaultCutoverDate } from "../../src/SwiftPipeline.ts"
import * as LegacyTables from "../../src/LegacyTables.ts"
import * as TargetTables from "../../src/TargetTables.ts"

type Context = Reconcile.CheckContext

export interface Legacy {
  readonly id: string
  readonly description: string
  readonly run: (context: Context) => Promise<ReadonlyArray<Finding.Finding>>
}

const q = (context: Context, table: Table.Table) => context.target.dialect.qualify(Table.inSchema(table, context.targetSchema))

/** Legacy keys of an entity's target keys in the run. */
const legacyKeys = async (context: Context, entity: string) => {
  const xref = ControlSchema.tables(context.controlSchema).xref
  const d = context.target.dialect
  const rows = await context.target.queryText(
    `SELECT target_key, legacy_key FROM ${d.qualify(xref)} WHERE run_id = ${d.placeholder(1)} AND entity = ${d.placeholder(2)} AND outcome = 'loaded'`,
    [context.runId, entity]
  )
  return new Map(rows.map((r) => [String(r[0]), String(r[1])] as const))
}

/** Items grouped by a key, in the order they come. */
const groupBy = <A>(items: Iterable<A>, keyOf: (item: A) => string): Map<string, Array<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) {
    const key = keyOf(item)
    const list = groups.get(key)
    if (list === undefined) groups.set(key, [item])
    else list.push(item)
  }
  return groups
}

const days = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000)
const financialYear = (iso: string) => (Number(iso.slice(5, 7)) >= 4 ? Number(iso.slice(0, 4)) : Number(iso.slice(0, 4)) - 1)

interface Line {
  readonly serviceId: string
  readonly person: string
  /** The service component, or for lines the CLD does not count, the element type. */
  readonly component: string
  readonly kind: string
  readonly provider: string | null
  readonly start: string
  readonly end: string | null
  readonly rate: string | null
}

const serviceLines = async (context: Context): Promise<ReadonlyArray<Line>> =>
  (await context.target.queryText(
    `SELECT s.service_id, s.person_id, COALESCE(s.service_component, c.element_type, c.unit_type), s.provider_id, s.event_start_date, ` +
      `s.event_end_date, c.unit_rate, c.element_kind ` +
      `FROM ${q(context, TargetTables.service)} s JOIN ${q(context, TargetTables.carePackageLineItem)} c ON c.service_id = s.service_id`
  )).map((r) => ({
    serviceId: String(r[0]),
    person: String(r[1]),
    component: String(r[2]),
    kind: String(r[7]),
    provider: r[3] ?? null,
    start: String(r[4]),
    end: r[5] ?? null,
    rate: r[6] ?? null
  }))

const finding = (check: string, entity: string, legacyKey: string | undefined, targetKey: string, field: string | null, message: string, values: { legacy?: string | null; target?: string | null } = {}) =>
  Finding.make({
    check,
    entity,
    legacyKey: legacyKey ?? null,
    targetKey,
    field,
    kind: "rule",
    severity: "error",
    legacyValue: values.legacy ?? null,
    targetValue: values.target ?? null,
    message
  })

/** Two lines of one person and service component running at once. */
const overlappingServices: Legacy = {
  id: "rule.overlapping-service",
  description: "No person has two lines of the same service component running at the same time",
  run: async (context) => {
    const keys = await legacyKeys(context, "package line")
    const groups = groupBy(await serviceLines(context), (line) => `${line.person}|${line.component}|${line.kind}`)
    const out: Array<Finding.Finding> = []
    for (const list of groups.values()) {
      list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.serviceId < b.serviceId ? -1 : 1))
      let latestEnd: string | null | undefined
      for (const line of list) {
        if (latestEnd !== undefined && (latestEnd === null || latestEnd >= line.start)) {
          out.push(finding("rule.overlapping-service", "package line", keys.get(line.serviceId), line.serviceId, "event_start_date",
            `starts on ${line.start} while another ${line.component} line of the same person is still running`, { target: line.start }))
        }
        if (latestEnd === undefined || (latestEnd !== null && (line.end === null || line.end > latestEnd))) latestEnd = line.end
      }
    }
    return out
  }
}

/** At a provider transfer, the successor's line starts the day after the predecessor's ends. */
const transferContinuity: Legacy = {
  id: "rule.transfer-continuity",
  description: "When a provider takes over another's clients, each client's care continues without a gap or a double booking",
  run: async (context) => {
    const keys = await legacyKeys(context, "package line")
    const predecessors = new Map(
      (await context.target.queryText(`SELECT provider_id, predecessor_provider_id FROM ${q(context, TargetTables.provider)} WHERE predecessor_provider_id IS NOT NULL`))
        .map((r) => [String(r[0]), String(r[1])] as const)
    )
    const lines = await serviceLines(context)
    const byPersonProvider = groupBy(lines, (line) => `${line.person}|${line.component}|${line.provider}`)
    const out: Array<Finding.Finding> = []
    for (const line of lines) {
      const predecessor = line.provider === null ? undefined : predecessors.get(line.provider)
      if (predecessor === undefined) continue
      const before = byPersonProvider.get(`${line.person}|${line.component}|${predecessor}`)
      if (before === undefined) continue
      const handedOver = before.filter((b) => b.end !== null && days(b.end) <= days(line.start) + 31 && days(b.end) >= days(line.start) - 31)
      if (handedOver.length === 0) continue
      const end = handedOver.map((b) => b.end!).sort().at(-1)!
      const shift = days(line.start) - days(end) - 1
      if (shift !== 0) {
        out.push(finding("rule.transfer-continuity", "package line", keys.get(line.serviceId), line.serviceId, "event_start_date",
          shift > 0 ? `a gap of ${shift} days after the previous provider's care ended on ${end}` : `overlaps the previous provider's care by ${-shift} days (ended ${end})`,
          { legacy: end, target: line.start }))
      }
    }
    return out
  }
}

/** A line's rate is the provider's rate for the service in the line's financial year. */
const rateForYear: Legacy = {
  id: "rule.rate-for-year",
  description: "Each line is paid at its provider's rate for the service in the financial year it runs to (cut-over at the latest): rates of different years agree once carried forward by the published uplifts",
  run: async (context) => {
    const keys = await legacyKeys(context, "package line")
    const cutover = context.parameters.cutoverDate ?? "2026-03-31"
    const lines = (await serviceLines(context)).filter((l) => l.rate !== null && l.provider !== null && l.kind === "core" && Money.fromPounds(l.rate) > 0)
    // a line followed the next day by an identical line (re-keyed on 1 April) carries the later year's rate
    const starting = new Set(lines.map((l) => `${l.person}|${l.component}|${l.provider}|${days(l.start)}`))
    const groups = groupBy(
      lines
        .filter((l) => !(l.end !== null && starting.has(`${l.person}|${l.component}|${l.provider}|${days(l.end) + 1}`)))
        .map((l) => {
          const year = financialYear(l.end === null || l.end > cutover ? cutover : l.end)
          return { line: l, year, latest: Uplifts.inLatestTerms(l.rate!, year) }
        }),
      (e) => `${e.line.provider}|${e.line.component}`
    )
    const out: Array<Finding.Finding> = []
    for (const list of groups.values()) {
      if (list.length < 2) continue
      // the median of the rates in the latest year's terms stands for the provider's rate; two lines that disagree
      // are both reported, as nothing tells which one is right
      const sorted = list.map((e) => e.latest).sort((a, b) => a.comparedTo(b))
      const median = sorted[Math.floor((sorted.length - 1) / 2)]!.plus(sorted[Math.floor(sorted.length / 2)]!).dividedBy(2)
      for (const e of list) {
        if (e.latest.minus(median).abs().lessThanOrEqualTo(median.times("0.01"))) continue
        out.push(finding("rule.rate-for-year", "package line", keys.get(e.line.serviceId), e.line.serviceId, "unit_rate",
          `a rate of ${e.line.rate} for ${e.year}/${e.year + 1} that does not match the provider's rate for the service carried by the published uplifts`,
          { target: e.line.rate }))
      }
    }
    return out
  }
}

/** The same service split into a new line on 1 April with nothing else changed. */
const financialYearRekey: Legacy = {
  id: "rule.financial-year-rekey",
  description: "A service is one line across financial years: a new line starting on 1 April identical to the one ending the day before inflates package counts",
  run: async (context) => {
    const keys = await legacyKeys(context, "package line")
    const lines = await serviceLines(context)
    const ending = new Map<string, Line>()
    for (const l of lines) if (l.end !== null) ending.set(`${l.person}|${l.component}|${l.kind}|${l.provider}|${days(l.end) + 1}`, l)
    return lines
      .filter((l) => l.start.slice(5) === "04-01" && ending.has(`${l.person}|${l.component}|${l.kind}|${l.provider}|${days(l.start)}`))
      .map((l) => finding("rule.financial-year-rekey", "package line", keys.get(l.serviceId), l.serviceId, "event_start_date",
        `re-keyed on ${l.start}: the same service as the line ending the day before`, { target: l.start }))
  }
}

/** A client contribution is collected by the party the care package's lines say collects it. */
const contributionCollector: Legacy = {
  id: "rule.contribution-collector",
  description: "A client's contribution is collected by the provider on net-paid lines and by the council on gross-paid lines, never both",
  run: async (context) => {
    const keys = await legacyKeys(context, "contribution")
    const rows = await context.target.queryText(
      `SELECT DISTINCT ch.charge_id, ch.collector, c.contribution_collector FROM ${q(context, TargetTables.clientCharge)} ch ` +
        `JOIN ${q(context, TargetTables.service)} s ON s.care_plan_id = ch.cpli_care_plan_id ` +
        `JOIN ${q(context, TargetTables.carePackageLineItem)} c ON c.service_id = s.service_id ` +
        `WHERE ch.charge_type = 'contribution' AND ch.payer = 'CLIENT' AND c.contribution_collector IS NOT NULL AND ch.collector IS NOT NULL ` +
        `AND c.contribution_collector <> ch.collector`
    )
    const seen = new Set<string>()
    return rows.flatMap(([chargeId, collector, lineCollector]) => {
      if (seen.has(String(chargeId))) return []
      seen.add(String(chargeId))
      return [finding("rule.contribution-collector", "contribution", keys.get(String(chargeId)), String(chargeId), "collector",
        `collected by ${collector} while the package's lines say ${lineCollector} collects it: charged twice or not at all`, { legacy: lineCollector ?? null, target: collector ?? null })]
    })
  }
}

/** A client invoice is raised within 13 weeks of the end of its period. */
const lateInvoices: Legacy = {
  id: "rule.late-client-invoice",
  description: "Client invoices are raised within 13 weeks of the end of the period they charge for",
  run: async (context) => {
    const keys = await legacyKeys(context, "debtor invoice")
    const rows = await context.target.queryText(
      `SELECT ar_invoice_id, period_to, raised_date FROM ${q(context, TargetTables.arInvoice)} WHERE period_to IS NOT NULL AND raised_date IS NOT NULL`
    )
    return rows.filter(([, to, raised]) => days(String(raised)) - days(String(to)) > 91).map(([id, to, raised]) =>
      finding("rule.late-client-invoice", "debtor invoice", keys.get(String(id)), String(id), "raised_date",
        `raised ${days(String(raised)) - days(String(to))} days after the period it charges for ended`, { legacy: to ?? null, target: raised ?? null })
    )
  }
}

/** No provider is paid for a period that starts after the client died. */
const paymentsAfterDeath: Legacy = {
  id: "rule.payment-after-death",
  description: "No provider is paid for care in a period that begins after the client's death",
  run: async (context) => {
    const keys = await legacyKeys(context, "provider invoice")
    const rows = await context.target.queryText(
      `SELECT DISTINCT pp.payment_id, pp.period_from, p.date_of_death FROM ${q(context, TargetTables.providerPayment)} pp ` +
        `JOIN ${q(context, TargetTables.providerPaymentLine)} l ON l.payment_id = pp.payment_id ` +
        `JOIN ${q(context, TargetTables.person)} p ON p.person_id = l.person_id ` +
        `WHERE p.date_of_death IS NOT NULL AND pp.period_from > p.date_of_death`
    )
    const seen = new Set<string>()
    return rows.flatMap(([id, from, dod]) => {
      if (seen.has(String(id))) return []
      seen.add(String(id))
      return [finding("rule.payment-after-death", "provider invoice", keys.get(String(id)), String(id), "period_from",
        `pays for a period from ${from}, after the client died on ${dod}: an overpayment to recover`, { legacy: dod ?? null, target: from ?? null })]
    })
  }
}

/** Receipts allocated to a client invoice do not exceed it. */
const overpaidInvoices: Legacy = {
  id: "rule.receipts-exceed-invoice",
  description: "The receipts allocated to a client invoice add up to no more than the invoice",
  run: async (context) => {
    const keys = await legacyKeys(context, "debtor receipt")
    const rows = await context.target.queryText(
      `SELECT r.receipt_id, r.ar_invoice_id, r.amount, i.amount FROM ${q(context, TargetTables.arReceipt)} r ` +
        `JOIN ${q(context, TargetTables.arInvoice)} i ON i.ar_invoice_id = r.ar_invoice_id ORDER BY r.ar_invoice_id`
    )
    const byInvoice = new Map<string, { invoice: number; paid: number; receipts: Array<string> }>()
    for (const [receipt, invoice, amount, invoiceAmount] of rows) {
      const entry = byInvoice.get(String(invoice)) ?? { invoice: Money.fromPounds(String(invoiceAmount)), paid: 0, receipts: [] }
      entry.paid += Money.fromPounds(String(amount))
      entry.receipts.push(String(receipt))
      byInvoice.set(String(invoice), entry)
    }
    const out: Array<Finding.Finding> = []
    for (const entry of byInvoice.values()) {
      if (entry.paid <= entry.invoice) continue
      for (const receipt of entry.receipts) {
        out.push(finding("rule.receipts-exceed-invoice", "debtor receipt", keys.get(receipt), receipt, "amount",
          `receipts of ${Money.toPounds(entry.paid)} against an invoice of ${Money.toPounds(entry.invoice)}`, { legacy: Money.toPounds(entry.invoice), target: Money.toPounds(entry.paid) }))
      }
    }
    return out
  }
}

/** No person who has died has a service still running after their death. */
const deceasedWithOpenService: Legacy = {
  id: "rule.deceased-open-service",
  description: "No client who has died has a service still open after the date of death",
  run: async (context) => {
    const keys = await legacyKeys(context, "package line")
    const rows = await context.target.queryText(
      `SELECT s.service_id, p.date_of_death, s.event_end_date FROM ${q(context, TargetTables.service)} s ` +
        `JOIN ${q(context, TargetTables.person)} p ON p.person_id = s.person_id ` +
        `WHERE p.date_of_death IS NOT NULL AND (s.event_end_date IS NULL OR s.event_end_date > p.date_of_death)`
    )
    return rows.map((r) =>
      finding("rule.deceased-open-service", "package line", keys.get(String(r[0])), String(r[0]), "event_end_date",
        `the client died on ${r[1]} but the service ${r[2] === null ? "has no end date" : `runs to ${r[2]}`}`, { legacy: r[1] ?? null, target: r[2] ?? null })
    )
  }
}

/** Every open referral has its key team. */
const keyTeamOnOpenReferral: Legacy = {
  id: "rule.key-team",
  description: "Every open referral has exactly one key team, and it is a team the council has",
  run: async (context) => {
    const keys = await legacyKeys(context, "referral")
    const teams = new Set((await context.legacy.queryText(
      `SELECT team_code FROM ${context.legacy.dialect.qualify(Table.inSchema(LegacyTables.team, context.legacySchema))}`
    )).map((r) => String(r[0]).trim().toUpperCase()))
    const rows = await context.target.queryText(`SELECT request_id, key_team FROM ${q(context, TargetTables.request)} WHERE event_end_date IS NULL`)
    return rows.flatMap((r) => {
      const team = r[1] === null ? "" : String(r[1]).trim().toUpperCase()
      if (team !== "" && teams.has(team)) return []
      return [finding("rule.key-team", "referral", keys.get(String(r[0])), String(r[0]), "key_team",
        team === "" ? "an open referral with no key team" : `an open referral whose key team ${JSON.stringify(r[1])} is not a team of the council`, { target: r[1] ?? null })]
    })
  }
}

const eventEntities: Readonly<Record<string, string>> = { REF: "referral", ASM: "assessment", REV: "review", SVC: "package line" }

/** In the CLD return made from the target, only services may be open, and a deceased person's service must end. */
const openEventsInCld: Legacy = {
  id: "rule.cld-open-event",
  description: "In the CLD return made from the target, no request, assessment or review is left open, and no service of a person who has died",
  run: async (context) => {
    const cutover = context.parameters.cutoverDate ?? defaultCutoverDate
    const year = Number(cutover.slice(0, 4)) - (Number(cutover.slice(5, 7)) >= 4 ? 0 : 1)
    const rows = await CldProjection.project(context.target, {
      runId: context.runId,
      targetSchema: context.targetSchema,
      controlSchema: context.controlSchema,
      laCode: context.parameters.laCode ?? "999",
      periodStart: `${year}-04-01`,
      periodEnd: cutover
    })
    const keys = new Map<string, Map<string, string>>()
    const out: Array<Finding.Finding> = []
    for (const { row } of rows) {
      for (const v of CldRules.validate(row, { reportingPeriodEnd: cutover })) {
        if (v.rule !== "event_end_date") continue
        const reference = String(row.Event_Reference ?? "")
        const [prefix = "", legacyKey = ""] = reference.split("-")
        const entity = eventEntities[prefix] ?? String(row.Event_Type ?? "event").toLowerCase()
        let entityKeys = keys.get(entity)
        if (entityKeys === undefined) keys.set(entity, (entityKeys = new Map([...(await legacyKeys(context, entity))].map(([t, l]) => [l, t] as const))))
        out.push(finding("rule.cld-open-event", entity, legacyKey || undefined, entityKeys.get(legacyKey) ?? reference, "Event_End_Date", v.message))
      }
    }
    return out
  }
}

/** A care home has no more people placed than it has beds, and every home with placements has its CQC location. */
const careHomeBeds: Legacy = {
  id: "rule.care-home-beds",
  description: "Care homes: placements at cut-over within the registered beds, and a CQC location for every home with placements",
  run: async (context) => {
    const cutover = context.parameters.cutoverDate ?? defaultCutoverDate
    const d = context.target.dialect
    const rows = await context.target.queryText(
      `SELECT p.provider_id, p.legacy_provider_id, p.registered_beds, p.cqc_location_id, COUNT(DISTINCT s.person_id) ` +
        `FROM ${q(context, TargetTables.provider)} p JOIN ${q(context, TargetTables.service)} s ON s.provider_id = p.provider_id ` +
        `WHERE p.provider_category IN ('residential', 'nursing') AND s.event_start_date <= ${d.placeholder(1)} ` +
        `AND (s.event_end_date IS NULL OR s.event_end_date >= ${d.placeholder(1)}) ` +
        `GROUP BY p.provider_id, p.legacy_provider_id, p.registered_beds, p.cqc_location_id`,
      [cutover]
    )
    return rows.flatMap((r) => {
      const out: Array<Finding.Finding> = []
      const placed = Number(r[4])
      if (r[2] !== null && placed > Number(r[2])) {
        out.push(finding("rule.care-home-beds", "provider", r[1] ?? undefined, String(r[0]), "registered_beds",
          `${placed} people placed at cut-over in a home registered for ${r[2]} beds`, { legacy: r[2] ?? null, target: String(placed) }))
      }
      if (r[3] === null) {
        out.push(finding("rule.care-home-beds", "provider", r[1] ?? undefined, String(r[0]), "cqc_location_id",
          `${placed} people placed at cut-over in a home with no CQC location id`))
      }
      return out
    })
  }
}

export const legacy: ReadonlyArray<Legacy> = [
  deceasedWithOpenService,
  keyTeamOnOpenReferral,
  openEventsInCld,
  careHomeBeds,
  overlappingServices,
  transferContinuity,
  rateForYear,
  financialYearRekey,
  contributionCollector,
  lateInvoices,
  paymentsAfterDeath,
  overpaidInvoices
]
