/**
 * The checks only this migration knows, over the migrated target: services that overlap, gaps and overlaps at the
 * 2012 domiciliary provider transfer, rates that do not match the provider's rate for the year, lines re-keyed on
 * 1 April, contributions collected by the wrong party, late client invoices, payments for periods after death, and
 * receipts larger than their invoice. Each finding names the legacy row through the xref.
 *
 * Every check runs in memory that does not grow with the estate. A check that a single row (or a row grouped in the
 * database) can decide is one query, each row joined to the xref for its legacy key. A rule that compares lines with
 * one another reads the lines in the order of the group it compares them within (a person, or a provider and service
 * component), holds one group at a time, and gives its findings a page at a time.
 *
 * Every query runs once: its rows are numbered in key order into a scratch table of the control schema and read back
 * in pages by that number (`Driver.sortedPages`). None of them could be read in keyset pages straight off the target:
 * the xref has no index by target key, the lines of a person or a provider are not in the order of any index, and a
 * grouped query would be grouped again for every page, so that each page would scan or hash whole tables.
 */
import { Money } from "@handover/core"
import type { Reconcile } from "@handover/reconcile"
import { Finding } from "@handover/reconcile"
import { ControlSchema, Driver, Table } from "@handover/sql"
import * as CldProjection from "../CldProjection.ts"
import * as CldRules from "../reference/CldRules.ts"
import * as Uplifts from "../reference/Uplifts.ts"
import { defaultCutoverDate } from "../SwiftPipeline.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as TargetTables from "../TargetTables.ts"

type Context = Reconcile.CheckContext

export interface Options {
  /** Rows read at a time, and the most findings a page gives. */
  readonly pageSize: number
}

/** Rows a page by default: some megabytes of short texts. */
export const defaultPageSize = 5_000

const q = (context: Context, table: Table.Table) => context.target.dialect.qualify(Table.inSchema(table, context.targetSchema))

/** A constant of the checks' own (an entity name) as an SQL string. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`

/**
 * The xref row that loaded the target row whose key is `targetKey`, joined as `alias` for its legacy key (null for a
 * target row no legacy row loaded). The run is the placeholder `run`.
 */
const legacyKeyJoin = (context: Context, alias: string, entity: string, targetKey: string, run: string) =>
  `LEFT JOIN ${context.target.dialect.qualify(ControlSchema.tables(context.controlSchema).xref)} ${alias} ` +
  `ON ${alias}.run_id = ${run} AND ${alias}.entity = ${literal(entity)} AND ${alias}.target_key = ${targetKey} AND ${alias}.outcome = 'loaded'`

/** Days from one date column to a later one. */
export const daysBetween = (context: Pick<Context, "target">, from: string, to: string) =>
  context.target.dialect.name === "mssql" ? `DATEDIFF(day, ${from}, ${to})` : `(${to} - ${from})`

/**
 * The service component of a line as the rules compare it: the service's component, or for lines the CLD does not
 * count, the element type or unit type; `null` when it has none, as the rules have always written it. On SQL Server
 * compared by code point, so that texts differing only in case or accents stay apart, as they do in PostgreSQL.
 */
export const componentKey = (context: Pick<Context, "target">, s: string, c: string) =>
  `COALESCE(${s}.service_component, ${c}.element_type, ${c}.unit_type, 'null')` +
  (context.target.dialect.name === "mssql" ? " COLLATE Latin1_General_BIN2" : "")

const days = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000)
const financialYear = (iso: string) => (Number(iso.slice(5, 7)) >= 4 ? Number(iso.slice(0, 4)) : Number(iso.slice(0, 4)) - 1)

const finding = (check: string, entity: string, legacyKey: string | null | undefined, targetKey: string, field: string | null, message: string, values: { legacy?: string | null; target?: string | null } = {}) =>
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

/** The rows of a query in pages, in key order: the query run once into a scratch table of the control schema. */
const pagesOf = (context: Context, query: Driver.KeysetQuery) =>
  Driver.sortedPages(context.target, { ...query, scratchSchema: context.controlSchema })

/** The findings rows give, one page of rows after another; pages with none are not given. */
async function* findingPages(
  context: Context,
  query: Driver.KeysetQuery,
  findingsOf: (row: Driver.TextRow) => ReadonlyArray<Finding.Finding>
): AsyncGenerator<ReadonlyArray<Finding.Finding>> {
  for await (const page of pagesOf(context, query)) {
    const out: Array<Finding.Finding> = []
    for (const row of page) for (const f of findingsOf(row)) out.push(f)
    if (out.length > 0) yield out
  }
}

/**
 * Consecutive rows with the same group key gathered into one group: the groups of rows read in the order of their
 * group key, one at a time.
 */
async function* groupsInOrder<A>(pages: AsyncIterable<ReadonlyArray<A>>, groupOf: (item: A) => string): AsyncGenerator<ReadonlyArray<A>> {
  let current: Array<A> = []
  let key: string | undefined
  for await (const page of pages) {
    for (const item of page) {
      const k = groupOf(item)
      if (key !== undefined && k !== key) {
        yield current
        current = []
      }
      key = k
      current.push(item)
    }
  }
  if (current.length > 0) yield current
}

/** Findings of groups gathered into pages of about `pageSize`. */
async function* inPages<A>(
  groups: AsyncIterable<A>,
  findingsOf: (group: A) => ReadonlyArray<Finding.Finding>,
  pageSize: number
): AsyncGenerator<ReadonlyArray<Finding.Finding>> {
  let out: Array<Finding.Finding> = []
  for await (const group of groups) {
    for (const f of findingsOf(group)) out.push(f)
    if (out.length >= pageSize) {
      yield out
      out = []
    }
  }
  if (out.length > 0) yield out
}

/** Items grouped by a key, in the order they come: the lines of one group, never of the estate. */
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
  /** The provider this line's provider took its clients over from, if any. */
  readonly predecessor: string | null
  /** The legacy key of the line, through the xref. */
  readonly legacyKey: string | null
}

/**
 * Every service line of the target (a service and its care package line item), in the order of the person they
 * belong to, a person's lines at a time. A person's lines are the services one client has had over the years: tens,
 * at most a few hundred for a client with decades of care.
 */
const linesByPerson = (context: Context, pageSize: number): AsyncIterable<ReadonlyArray<Line>> =>
  groupsInOrder(
    (async function*() {
      for await (const page of pagesOf(context, {
        key: ["s.person_id", "s.service_id", "c.cpli_id"],
        columns: [
          "COALESCE(s.service_component, c.element_type, c.unit_type)", "s.provider_id", "s.event_start_date", "s.event_end_date",
          "c.unit_rate", "c.element_kind", "pr.predecessor_provider_id", "x.legacy_key"
        ],
        from: `${q(context, TargetTables.service)} s JOIN ${q(context, TargetTables.carePackageLineItem)} c ON c.service_id = s.service_id ` +
          `LEFT JOIN ${q(context, TargetTables.provider)} pr ON pr.provider_id = s.provider_id ` +
          legacyKeyJoin(context, "x", "package line", "s.service_id", context.target.dialect.placeholder(1)),
        params: [context.runId],
        pageSize
      })) {
        yield page.map((r): Line => ({
          person: String(r[0]),
          serviceId: String(r[1]),
          component: String(r[3]),
          provider: r[4] ?? null,
          start: String(r[5]),
          end: r[6] ?? null,
          rate: r[7] ?? null,
          kind: String(r[8]),
          predecessor: r[9] ?? null,
          legacyKey: r[10] ?? null
        }))
      }
    })(),
    (line) => line.person
  )

/** Two lines of one person and service component running at once. */
const overlappingServices = (options: Options): Reconcile.Check => ({
  id: "rule.overlapping-service",
  description: "No person has two lines of the same service component running at the same time",
  run: (context) =>
    inPages(linesByPerson(context, options.pageSize), (lines) => {
      const out: Array<Finding.Finding> = []
      for (const list of groupBy(lines, (line) => `${line.component}|${line.kind}`).values()) {
        list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.serviceId < b.serviceId ? -1 : 1))
        let latestEnd: string | null | undefined
        for (const line of list) {
          if (latestEnd !== undefined && (latestEnd === null || latestEnd >= line.start)) {
            out.push(finding("rule.overlapping-service", "package line", line.legacyKey, line.serviceId, "event_start_date",
              `starts on ${line.start} while another ${line.component} line of the same person is still running`, { target: line.start }))
          }
          if (latestEnd === undefined || (latestEnd !== null && (line.end === null || line.end > latestEnd))) latestEnd = line.end
        }
      }
      return out
    }, options.pageSize)
})

/** At a provider transfer, the successor's line starts the day after the predecessor's ends. */
const transferContinuity = (options: Options): Reconcile.Check => ({
  id: "rule.transfer-continuity",
  description: "When a provider takes over another's clients, each client's care continues without a gap or a double booking",
  run: (context) =>
    inPages(linesByPerson(context, options.pageSize), (lines) => {
      const byProvider = groupBy(lines, (line) => `${line.component}|${line.provider}`)
      const out: Array<Finding.Finding> = []
      for (const line of lines) {
        if (line.provider === null || line.predecessor === null) continue
        const before = byProvider.get(`${line.component}|${line.predecessor}`)
        if (before === undefined) continue
        const handedOver = before.filter((b) => b.end !== null && days(b.end) <= days(line.start) + 31 && days(b.end) >= days(line.start) - 31)
        if (handedOver.length === 0) continue
        const end = handedOver.map((b) => b.end!).sort().at(-1)!
        const shift = days(line.start) - days(end) - 1
        if (shift !== 0) {
          out.push(finding("rule.transfer-continuity", "package line", line.legacyKey, line.serviceId, "event_start_date",
            shift > 0 ? `a gap of ${shift} days after the previous provider's care ended on ${end}` : `overlaps the previous provider's care by ${-shift} days (ended ${end})`,
            { legacy: end, target: line.start }))
        }
      }
      return out
    }, options.pageSize)
})

/** The same service split into a new line on 1 April with nothing else changed. */
const financialYearRekey = (options: Options): Reconcile.Check => ({
  id: "rule.financial-year-rekey",
  description: "A service is one line across financial years: a new line starting on 1 April identical to the one ending the day before inflates package counts",
  run: (context) =>
    inPages(linesByPerson(context, options.pageSize), (lines) => {
      const ending = new Set<string>()
      for (const l of lines) if (l.end !== null) ending.add(`${l.component}|${l.kind}|${l.provider}|${days(l.end) + 1}`)
      return lines
        .filter((l) => l.start.slice(5) === "04-01" && ending.has(`${l.component}|${l.kind}|${l.provider}|${days(l.start)}`))
        .map((l) => finding("rule.financial-year-rekey", "package line", l.legacyKey, l.serviceId, "event_start_date",
          `re-keyed on ${l.start}: the same service as the line ending the day before`, { target: l.start }))
    }, options.pageSize)
})

/**
 * The financial years with the factor that carries their rates to the latest year's terms, as a table of date ranges
 * (`from_date`, `to_date`, `factor`): years before the first uplift share the first year's factor, years after the
 * latest have none. Exact on PostgreSQL; on SQL Server, whose decimals hold 38 digits, the factors are rounded to 30
 * decimal places and the products carried to at least 6.
 */
const upliftFactors = (context: Pick<Context, "target">) => {
  const places = context.target.dialect.name === "mssql" ? 30 : undefined
  const rows: Array<string> = []
  for (let year = Uplifts.earliestYear; year <= Uplifts.latestYear; year++) {
    const from = year === Uplifts.earliestYear ? "0001-01-01" : `${year}-04-01`
    const to = year === Uplifts.latestYear ? "9999-12-31" : `${year + 1}-03-31`
    rows.push(`(CAST('${from}' AS DATE), CAST('${to}' AS DATE), ${Uplifts.factorText(year, places)})`)
  }
  return `(VALUES ${rows.join(", ")}) AS u (from_date, to_date, factor)`
}

/** The day after a date column. */
const dayAfter = (context: Pick<Context, "target">, date: string) =>
  context.target.dialect.name === "mssql" ? `DATEADD(day, 1, ${date})` : `(${date} + 1)`

/**
 * A line's rate is the provider's rate for the service in the line's financial year: the core lines with a rate and
 * a provider, grouped by provider and service component in the database, each group's median in the latest year's
 * terms worked out there too (exact: twice the median is the sum of the two middle rates, so nothing is divided), and
 * only the lines more than 1 % from it read back.
 */
const rateForYear = (options: Options): Reconcile.Check => ({
  id: "rule.rate-for-year",
  description: "Each line is paid at its provider's rate for the service in the financial year it runs to (cut-over at the latest): rates of different years agree once carried forward by the published uplifts",
  run: (context) => {
    const d = context.target.dialect
    const cutover = d.placeholder(2)
    const rated = (s: string, c: string) => `${c}.element_kind = 'core' AND ${c}.unit_rate IS NOT NULL AND ${c}.unit_rate > 0 AND ${s}.provider_id IS NOT NULL`
    const lines = (s: string, c: string) =>
      `${q(context, TargetTables.service)} ${s} JOIN ${q(context, TargetTables.carePackageLineItem)} ${c} ON ${c}.service_id = ${s}.service_id`
    // the year a line is paid in: the year it runs to, or the cut-over's for a line running past it
    const effective = `CASE WHEN s.event_end_date IS NULL OR s.event_end_date > ${cutover} THEN ${cutover} ELSE s.event_end_date END`
    // but for a line followed the next day by one of the same person, provider and component (re-keyed on 1 April):
    // that one carries the later year's rate (a line with no end has none; no OR here, so that the database can
    // answer it with one anti-join rather than a query a line)
    const rekeyed = `EXISTS (SELECT 1 FROM ${lines("s2", "c2")} WHERE ${rated("s2", "c2")} AND s2.person_id = s.person_id ` +
      `AND s2.provider_id = s.provider_id AND ${componentKey(context, "s2", "c2")} = ${componentKey(context, "s", "c")} ` +
      `AND s2.event_start_date = ${dayAfter(context, "s.event_end_date")})`
    const kept = `SELECT s.provider_id AS provider, ${componentKey(context, "s", "c")} AS component, s.service_id, c.cpli_id, ${effective} AS effective, ` +
      `c.unit_rate, c.unit_rate * u.factor AS latest FROM ${lines("s", "c")} JOIN ${upliftFactors(context)} ON ${effective} BETWEEN u.from_date AND u.to_date ` +
      `WHERE ${rated("s", "c")} AND NOT ${rekeyed}`
    const group = "PARTITION BY r.provider, r.component"
    const ranked = `SELECT k.*, ROW_NUMBER() OVER (PARTITION BY k.provider, k.component ORDER BY k.latest) AS rn, ` +
      `COUNT(*) OVER (PARTITION BY k.provider, k.component) AS group_lines FROM (${kept}) k`
    // the two middle rates of a group: the same one when it has an odd number of lines
    const withMedian = `SELECT r.*, MIN(CASE WHEN r.rn = (r.group_lines - 1) / 2 + 1 THEN r.latest END) OVER (${group}) ` +
      `+ MIN(CASE WHEN r.rn = r.group_lines / 2 + 1 THEN r.latest END) OVER (${group}) AS twice_median FROM (${ranked}) r`
    return findingPages(context, {
      key: ["g.provider", "g.component", "g.service_id", "g.cpli_id"],
      columns: ["g.effective", "g.unit_rate", "x.legacy_key"],
      from: `(${withMedian}) g ` + legacyKeyJoin(context, "x", "package line", "g.service_id", d.placeholder(1)),
      // two lines that disagree are both reported, as nothing tells which one is right
      where: "g.group_lines >= 2 AND ABS(2 * g.latest - g.twice_median) > g.twice_median * 0.01",
      params: [context.runId, context.parameters.cutoverDate ?? defaultCutoverDate],
      pageSize: options.pageSize
    }, ([, , serviceId, , effectiveDate, rate, legacyKey]) => {
      const year = financialYear(String(effectiveDate))
      return [finding("rule.rate-for-year", "package line", legacyKey, String(serviceId), "unit_rate",
        `a rate of ${rate} for ${year}/${year + 1} that does not match the provider's rate for the service carried by the published uplifts`,
        { target: rate ?? null })]
    })
  }
})

/** A client contribution is collected by the party the care package's lines say collects it. */
const contributionCollector = (options: Options): Reconcile.Check => ({
  id: "rule.contribution-collector",
  description: "A client's contribution is collected by the provider on net-paid lines and by the council on gross-paid lines, never both",
  run: (context) =>
    findingPages(context, {
      key: ["g.charge_id"],
      columns: ["g.collector", "g.line_collector", "x.legacy_key"],
      // a charge whose lines name more than one other collector is reported once, naming the first of them
      from: `(SELECT ch.charge_id, ch.collector, MIN(c.contribution_collector) AS line_collector FROM ${q(context, TargetTables.clientCharge)} ch ` +
        `JOIN ${q(context, TargetTables.service)} s ON s.care_plan_id = ch.cpli_care_plan_id ` +
        `JOIN ${q(context, TargetTables.carePackageLineItem)} c ON c.service_id = s.service_id ` +
        `WHERE ch.charge_type = 'contribution' AND ch.payer = 'CLIENT' AND c.contribution_collector IS NOT NULL AND ch.collector IS NOT NULL ` +
        `AND c.contribution_collector <> ch.collector GROUP BY ch.charge_id, ch.collector) g ` +
        legacyKeyJoin(context, "x", "contribution", "g.charge_id", context.target.dialect.placeholder(1)),
      params: [context.runId],
      pageSize: options.pageSize
    }, ([chargeId, collector, lineCollector, legacyKey]) => [
      finding("rule.contribution-collector", "contribution", legacyKey, String(chargeId), "collector",
        `collected by ${collector} while the package's lines say ${lineCollector} collects it: charged twice or not at all`, { legacy: lineCollector ?? null, target: collector ?? null })
    ])
})

/** A client invoice is raised within 13 weeks of the end of its period. */
const lateInvoices = (options: Options): Reconcile.Check => ({
  id: "rule.late-client-invoice",
  description: "Client invoices are raised within 13 weeks of the end of the period they charge for",
  run: (context) =>
    findingPages(context, {
      key: ["i.ar_invoice_id"],
      columns: ["i.period_to", "i.raised_date", "x.legacy_key"],
      from: `${q(context, TargetTables.arInvoice)} i ` + legacyKeyJoin(context, "x", "debtor invoice", "i.ar_invoice_id", context.target.dialect.placeholder(1)),
      where: `i.period_to IS NOT NULL AND i.raised_date IS NOT NULL AND ${daysBetween(context, "i.period_to", "i.raised_date")} > 91`,
      params: [context.runId],
      pageSize: options.pageSize
    }, ([id, to, raised, legacyKey]) => [
      finding("rule.late-client-invoice", "debtor invoice", legacyKey, String(id), "raised_date",
        `raised ${days(String(raised)) - days(String(to))} days after the period it charges for ended`, { legacy: to ?? null, target: raised ?? null })
    ])
})

/** No provider is paid for a period that starts after the client died. */
const paymentsAfterDeath = (options: Options): Reconcile.Check => ({
  id: "rule.payment-after-death",
  description: "No provider is paid for care in a period that begins after the client's death",
  run: (context) =>
    findingPages(context, {
      key: ["g.payment_id"],
      columns: ["g.period_from", "g.date_of_death", "x.legacy_key"],
      // a payment for several clients who died before its period is reported once, naming the earliest death
      from: `(SELECT pp.payment_id, pp.period_from, MIN(p.date_of_death) AS date_of_death FROM ${q(context, TargetTables.providerPayment)} pp ` +
        `JOIN ${q(context, TargetTables.providerPaymentLine)} l ON l.payment_id = pp.payment_id ` +
        `JOIN ${q(context, TargetTables.person)} p ON p.person_id = l.person_id ` +
        `WHERE p.date_of_death IS NOT NULL AND pp.period_from > p.date_of_death GROUP BY pp.payment_id, pp.period_from) g ` +
        legacyKeyJoin(context, "x", "provider invoice", "g.payment_id", context.target.dialect.placeholder(1)),
      params: [context.runId],
      pageSize: options.pageSize
    }, ([id, from, dod, legacyKey]) => [
      finding("rule.payment-after-death", "provider invoice", legacyKey, String(id), "period_from",
        `pays for a period from ${from}, after the client died on ${dod}: an overpayment to recover`, { legacy: dod ?? null, target: from ?? null })
    ])
})

/** Receipts allocated to a client invoice do not exceed it. */
const overpaidInvoices = (options: Options): Reconcile.Check => ({
  id: "rule.receipts-exceed-invoice",
  description: "The receipts allocated to a client invoice add up to no more than the invoice",
  run: (context) =>
    findingPages(context, {
      key: ["r.receipt_id"],
      columns: ["o.invoice_amount", "o.paid", "x.legacy_key"],
      // every receipt of an invoice its receipts add up to more than
      from: `${q(context, TargetTables.arReceipt)} r JOIN (` +
        `SELECT r2.ar_invoice_id, i2.amount AS invoice_amount, SUM(r2.amount) AS paid FROM ${q(context, TargetTables.arReceipt)} r2 ` +
        `JOIN ${q(context, TargetTables.arInvoice)} i2 ON i2.ar_invoice_id = r2.ar_invoice_id ` +
        `GROUP BY r2.ar_invoice_id, i2.amount HAVING SUM(r2.amount) > i2.amount) o ON o.ar_invoice_id = r.ar_invoice_id ` +
        legacyKeyJoin(context, "x", "debtor receipt", "r.receipt_id", context.target.dialect.placeholder(1)),
      params: [context.runId],
      pageSize: options.pageSize
    }, ([receipt, invoiceAmount, paid, legacyKey]) => {
      const invoice = Money.toPounds(Money.fromPounds(String(invoiceAmount)))
      const total = Money.toPounds(Money.fromPounds(String(paid)))
      return [finding("rule.receipts-exceed-invoice", "debtor receipt", legacyKey, String(receipt), "amount",
        `receipts of ${total} against an invoice of ${invoice}`, { legacy: invoice, target: total })]
    })
})

/** No person who has died has a service still running after their death. */
const deceasedWithOpenService = (options: Options): Reconcile.Check => ({
  id: "rule.deceased-open-service",
  description: "No client who has died has a service still open after the date of death",
  run: (context) =>
    findingPages(context, {
      key: ["s.service_id"],
      columns: ["p.date_of_death", "s.event_end_date", "x.legacy_key"],
      from: `${q(context, TargetTables.service)} s JOIN ${q(context, TargetTables.person)} p ON p.person_id = s.person_id ` +
        legacyKeyJoin(context, "x", "package line", "s.service_id", context.target.dialect.placeholder(1)),
      where: "p.date_of_death IS NOT NULL AND (s.event_end_date IS NULL OR s.event_end_date > p.date_of_death)",
      params: [context.runId],
      pageSize: options.pageSize
    }, (r) => [
      finding("rule.deceased-open-service", "package line", r[3], String(r[0]), "event_end_date",
        `the client died on ${r[1]} but the service ${r[2] === null ? "has no end date" : `runs to ${r[2]}`}`, { legacy: r[1] ?? null, target: r[2] ?? null })
    ])
})

/** Every open referral has its key team. */
const keyTeamOnOpenReferral = (options: Options): Reconcile.Check => ({
  id: "rule.key-team",
  description: "Every open referral has exactly one key team, and it is a team the council has",
  run: async function*(context) {
    // the council's teams: a few dozen, read whole
    const teams = new Set((await context.legacy.queryText(
      `SELECT team_code FROM ${context.legacy.dialect.qualify(Table.inSchema(LegacyTables.team, context.legacySchema))}`
    )).map((r) => String(r[0]).trim().toUpperCase()))
    yield* findingPages(context, {
      key: ["r.request_id"],
      columns: ["r.key_team", "x.legacy_key"],
      from: `${q(context, TargetTables.request)} r ` + legacyKeyJoin(context, "x", "referral", "r.request_id", context.target.dialect.placeholder(1)),
      where: "r.event_end_date IS NULL",
      params: [context.runId],
      pageSize: options.pageSize
    }, (r) => {
      const team = r[1] === null ? "" : String(r[1]).trim().toUpperCase()
      if (team !== "" && teams.has(team)) return []
      return [finding("rule.key-team", "referral", r[2], String(r[0]), "key_team",
        team === "" ? "an open referral with no key team" : `an open referral whose key team ${JSON.stringify(r[1])} is not a team of the council`, { target: r[1] ?? null })]
    })
  }
})

const eventEntities: Readonly<Record<string, string>> = { REF: "referral", ASM: "assessment", REV: "review", SVC: "package line" }

/** In the CLD return made from the target, only services may be open, and a deceased person's service must end. */
const openEventsInCld = (options: Options): Reconcile.Check => ({
  id: "rule.cld-open-event",
  description: "In the CLD return made from the target, no request, assessment or review is left open, and no service of a person who has died",
  run: async function*(context) {
    const cutover = context.parameters.cutoverDate ?? defaultCutoverDate
    const d = context.target.dialect
    const xref = d.qualify(ControlSchema.tables(context.controlSchema).xref)
    for await (const rows of CldProjection.project(context.target, {
      runId: context.runId,
      targetSchema: context.targetSchema,
      controlSchema: context.controlSchema,
      laCode: context.parameters.laCode ?? "999",
      ...CldProjection.reportingPeriod(cutover),
      pageSize: Math.min(options.pageSize, CldProjection.defaultPageSize)
    })) {
      const broken: Array<{ readonly entity: string; readonly legacyKey: string; readonly reference: string; readonly message: string }> = []
      for (const { row } of rows) {
        // the one rule this check asks of the return (the others are the CLD return's own checks)
        const v = CldRules.openEvent(row, { reportingPeriodEnd: cutover })
        if (v !== undefined) {
          const reference = String(row.Event_Reference ?? "")
          const [prefix = "", legacyKey = ""] = reference.split("-")
          const entity = eventEntities[prefix] ?? String(row.Event_Type ?? "event").toLowerCase()
          broken.push({ entity, legacyKey, reference, message: v.message })
        }
      }
      if (broken.length === 0) continue
      // the target keys of this page's events, by the primary key of the xref
      const targetKeys = new Map<string, string>()
      for (const [entity, list] of groupBy(broken, (b) => b.entity)) {
        const found = await Driver.selectWhereOneOf(context.target, {
          select: `SELECT legacy_key, target_key FROM ${xref}`,
          where: `run_id = ${d.placeholder(1)} AND entity = ${d.placeholder(2)} AND outcome = 'loaded'`,
          params: [context.runId, entity]
        }, "legacy_key", [...new Set(list.map((b) => b.legacyKey))])
        for (const [legacyKey, targetKey] of found) targetKeys.set(`${entity}|${legacyKey}`, String(targetKey))
      }
      yield broken.map((b) =>
        finding("rule.cld-open-event", b.entity, b.legacyKey || undefined, targetKeys.get(`${b.entity}|${b.legacyKey}`) ?? b.reference, "Event_End_Date", b.message)
      )
    }
  }
})

/** A care home has no more people placed than it has beds, and every home with placements has its CQC location. */
const careHomeBeds = (options: Options): Reconcile.Check => ({
  id: "rule.care-home-beds",
  description: "Care homes: placements at cut-over within the registered beds, and a CQC location for every home with placements",
  run: (context) => {
    const cutover = context.parameters.cutoverDate ?? defaultCutoverDate
    const d = context.target.dialect
    return findingPages(context, {
      key: ["g.provider_id"],
      columns: ["g.legacy_provider_id", "g.registered_beds", "g.cqc_location_id", "g.placed"],
      from: `(SELECT p.provider_id, p.legacy_provider_id, p.registered_beds, p.cqc_location_id, COUNT(DISTINCT s.person_id) AS placed ` +
        `FROM ${q(context, TargetTables.provider)} p JOIN ${q(context, TargetTables.service)} s ON s.provider_id = p.provider_id ` +
        `WHERE p.provider_category IN ('residential', 'nursing') AND s.event_start_date <= ${d.placeholder(1)} ` +
        `AND (s.event_end_date IS NULL OR s.event_end_date >= ${d.placeholder(1)}) ` +
        `GROUP BY p.provider_id, p.legacy_provider_id, p.registered_beds, p.cqc_location_id) g`,
      params: [cutover],
      pageSize: options.pageSize
    }, (r) => {
      const out: Array<Finding.Finding> = []
      const placed = Number(r[4])
      if (r[2] !== null && placed > Number(r[2])) {
        out.push(finding("rule.care-home-beds", "provider", r[1], String(r[0]), "registered_beds",
          `${placed} people placed at cut-over in a home registered for ${r[2]} beds`, { legacy: r[2] ?? null, target: String(placed) }))
      }
      if (r[3] === null) {
        out.push(finding("rule.care-home-beds", "provider", r[1], String(r[0]), "cqc_location_id",
          `${placed} people placed at cut-over in a home with no CQC location id`))
      }
      return out
    })
  }
})

/** The checks, reading `pageSize` rows at a time. */
export const checks = (options: Options = { pageSize: defaultPageSize }): ReadonlyArray<Reconcile.Check> => [
  deceasedWithOpenService(options),
  keyTeamOnOpenReferral(options),
  openEventsInCld(options),
  careHomeBeds(options),
  overlappingServices(options),
  transferContinuity(options),
  rateForYear(options),
  financialYearRekey(options),
  contributionCollector(options),
  lateInvoices(options),
  paymentsAfterDeath(options),
  overpaidInvoices(options)
]

export const all: ReadonlyArray<Reconcile.Check> = checks()
