/**
 * What a rehearsal's reports say, read from the control schema. What is small is read once and kept: the run and its
 * counts per entity, the trend of every rehearsal of the series, the counts of findings by check, entity, kind,
 * severity and status (counted in the database), the total lines of each headline figure, and the commonest reasons
 * rows were quarantined, excluded or flagged (grouped in the database, the largest groups of each entity kept and the
 * rest counted). The findings, the figure lines and the triage decisions are read in pages when a writer needs them,
 * so memory holds one page however many findings a run has. Personal data is masked here, page by page, before any
 * writer sees it.
 */
import { Ledger } from "@handover/core"
import { Figure, Finding, FindingsLedger } from "@handover/reconcile"
import { ControlSchema, Database, Driver, type SqlDialect } from "@handover/sql"
import * as Effect from "effect/Effect"
import type * as Masking from "./Masking.ts"

export interface EntityCounts {
  readonly entity: string
  readonly read: number
  readonly loaded: number
  readonly merged: number
  readonly quarantined: number
  readonly excluded: number
  /** read = loaded + merged + quarantined + excluded. */
  readonly conserved: boolean
}

export type Outcome = "quarantined" | "excluded" | "flagged"

export interface Reason {
  readonly entity: string
  readonly outcome: Outcome
  readonly rule: string | null
  readonly reason: string
  readonly rows: number
}

/** The reasons of an entity and outcome beyond the largest groups kept: how many groups, holding how many rows. */
export interface ReasonsLeftOut {
  readonly entity: string
  readonly outcome: Outcome
  readonly groups: number
  readonly rows: number
}

/** A triage decision on a finding. */
export interface Decision {
  readonly decision: string
  readonly reason: string
  readonly by: string
  readonly until: string | null
  /** The value a code is mapped to, for a `map_to` decision: the council's code map made by it. */
  readonly mapTo: string | null
}

/** One page of findings, with the triage decisions on them by fingerprint. */
export interface FindingPage {
  readonly findings: ReadonlyArray<FindingsLedger.LedgerFinding>
  readonly decisions: ReadonlyMap<string, Decision>
}

/** The findings of pages of findings, without their decisions. */
export async function* findingsOf(pages: AsyncIterable<FindingPage>): AsyncGenerator<ReadonlyArray<FindingsLedger.LedgerFinding>> {
  for await (const page of pages) yield page.findings
}

/** Which findings to read, and how many at a time. */
export type FindingQuery = FindingsLedger.FindingFilter & { readonly pageSize?: number }

/**
 * The lists of a run too long to hold, read a page at a time. The findings come in (check, entity, fingerprint) order,
 * the figure lines in (figure, dimension, value, measure) order, the decisions in fingerprint order.
 */
export interface Pages {
  readonly findings: (query?: FindingQuery) => AsyncIterable<FindingPage>
  readonly figures: (query?: { readonly figures?: ReadonlyArray<string>; readonly pageSize?: number }) => AsyncIterable<ReadonlyArray<Figure.Line>>
  /** The triage decisions on the run's findings. */
  readonly decisions: () => AsyncIterable<ReadonlyArray<readonly [string, Decision]>>
}

export interface Run {
  readonly runId: string
  readonly rehearsal: string
  readonly pipeline: string
  readonly codeVersion: string
  readonly startedAt: string
  readonly endedAt: string | null
  readonly status: string
}

export interface ReportData {
  readonly generatedAt: string
  readonly reveal: Masking.Reveal
  readonly run: Run
  readonly previousRunId: string | null
  readonly entities: ReadonlyArray<EntityCounts>
  readonly trend: ReadonlyArray<FindingsLedger.Reconciliation>
  /** The largest groups of reasons of each entity and outcome, largest first. */
  readonly reasons: ReadonlyArray<Reason>
  readonly reasonsLeftOut: ReadonlyArray<ReasonsLeftOut>
  /** How many findings by check, entity, kind, severity and status. */
  readonly counts: ReadonlyArray<FindingsLedger.FindingCount>
  /** The total line (dimension `all`) of each figure and measure. */
  readonly figureTotals: ReadonlyArray<Figure.Line>
  /** How many figure lines the run has, every dimension. */
  readonly figureLines: number
  /** The largest variance in pence of a money figure line whose finding still stands (new, open or regressed); 0 for none. */
  readonly standingMoneyVariance: number
  readonly pages: Pages
}

/** Report data held whole in memory, as the control schema would hold it before masking: for tests and small runs. */
export interface Unmasked {
  readonly generatedAt: string
  readonly run: Run
  readonly previousRunId: string | null
  readonly entities: ReadonlyArray<EntityCounts>
  readonly findings: ReadonlyArray<FindingsLedger.LedgerFinding>
  readonly figures: ReadonlyArray<Figure.Line>
  readonly trend: ReadonlyArray<FindingsLedger.Reconciliation>
  readonly reasons: ReadonlyArray<Reason>
  /** Triage decisions on this run's findings, by fingerprint. */
  readonly decisions: Readonly<Record<string, Decision>>
}

/** Groups of reasons kept for each entity and outcome. */
export const reasonGroups = 20

/** Rows of a page, unless a writer asks for fewer. */
export const defaultPageSize = 5_000

// masking: one rule for each kind of text, used on the pages read from the database and on data held in memory alike

/** A finding's values masked by the kind of field they came from, its message as free text. */
export const maskFinding = (masker: Masking.Masker) => (f: FindingsLedger.LedgerFinding): FindingsLedger.LedgerFinding => ({
  ...f,
  legacyValue: masker.value(f.field, f.legacyValue),
  targetValue: masker.value(f.field, f.targetValue),
  message: masker.about(f.field, f.message)
})

/** The rows named behind a figure line's variance (an NHS number where a figure counts NHS numbers) masked. */
export const maskLine = (masker: Masking.Masker) => (l: Figure.Line): Figure.Line => ({ ...l, rows: l.rows.map(masker.text) })

export const maskReason = (masker: Masking.Masker) => (r: Reason): Reason => ({ ...r, reason: masker.text(r.reason) })

export const maskDecision = (masker: Masking.Masker) => (d: Decision): Decision => ({ ...d, reason: masker.text(d.reason) })

/** Pages with every value and text that may carry personal data masked, page by page. */
export const maskPages = (pages: Pages, masker: Masking.Masker): Pages => {
  const finding = maskFinding(masker)
  const line = maskLine(masker)
  const decision = maskDecision(masker)
  return {
    findings: (query) =>
      mapPages(pages.findings(query), (p) => ({
        findings: p.findings.map(finding),
        decisions: new Map([...p.decisions].map(([k, d]) => [k, decision(d)] as const))
      })),
    figures: (query) => mapPages(pages.figures(query), (p) => p.map(line)),
    decisions: () => mapPages(pages.decisions(), (p) => p.map(([k, d]) => [k, decision(d)] as const))
  }
}

async function* mapPages<A, B>(pages: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const page of pages) yield f(page)
}

// what is worked out from the findings, in memory here and in SQL by `load`

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Counts of findings as `FindingsLedger.findingCounts` gives them, worked out from a list. */
export const countFindings = (findings: Iterable<FindingsLedger.LedgerFinding>): ReadonlyArray<FindingsLedger.FindingCount> => {
  const groups = new Map<string, { -readonly [K in keyof FindingsLedger.FindingCount]: FindingsLedger.FindingCount[K] }>()
  for (const f of findings) {
    const key = JSON.stringify([f.check, f.entity, f.kind, f.severity, f.status])
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { check: f.check, entity: f.entity, kind: f.kind, severity: f.severity, status: f.status, findings: 1 })
    else group.findings++
  }
  return [...groups.values()].sort((a, b) =>
    compareText(a.check, b.check) || compareText(a.entity, b.entity) || compareText(a.kind, b.kind) || compareText(a.severity, b.severity) ||
    compareText(a.status, b.status)
  )
}

/** The field of a money finding about a figure line: `${measure} by ${dimension}: ${value}`. */
export const moneyField = (l: Pick<Figure.Line, "measure" | "dimension" | "value">) => `${l.measure} by ${l.dimension}: ${l.value}`

/** The largest money variance still standing, worked out from lists. */
export const standingMoneyVariance = (findings: ReadonlyArray<FindingsLedger.LedgerFinding>, lines: ReadonlyArray<Figure.Line>): number => {
  const standing = new Set(findings.filter((f) => f.kind === "money" && Finding.isStanding(f.status)).map((f) => `${f.check}|${f.field}`))
  return lines
    .filter((l) => l.unit === "pence" && standing.has(`${l.figure}|${moneyField(l)}`))
    .reduce((max, l) => Math.max(max, Math.abs(l.variance)), 0)
}

/** The largest groups of reasons of each entity and outcome, and what is left of the rest: what `load` keeps. */
export const boundReasons = (reasons: ReadonlyArray<Reason>, keep: number = reasonGroups) => {
  const byGroup = new Map<string, Array<Reason>>()
  for (const r of reasons) {
    const key = JSON.stringify([r.entity, r.outcome])
    const list = byGroup.get(key)
    if (list === undefined) byGroup.set(key, [r])
    else list.push(r)
  }
  const kept: Array<Reason> = []
  const leftOut: Array<ReasonsLeftOut> = []
  for (const list of byGroup.values()) {
    const sorted = [...list].sort((a, b) => b.rows - a.rows || compareText(a.rule ?? "", b.rule ?? "") || compareText(a.reason, b.reason))
    for (const r of sorted.slice(0, keep)) kept.push(r)
    const rest = sorted.slice(keep)
    if (rest.length > 0) leftOut.push({ entity: list[0]!.entity, outcome: list[0]!.outcome, groups: rest.length, rows: rest.reduce((n, r) => n + r.rows, 0) })
  }
  return { reasons: kept.sort((a, b) => b.rows - a.rows), leftOut }
}

const findingOrder = (a: FindingsLedger.LedgerFinding, b: FindingsLedger.LedgerFinding) =>
  compareText(a.check, b.check) || compareText(a.entity, b.entity) || compareText(a.fingerprint, b.fingerprint)

const lineOrder = (a: Figure.Line, b: Figure.Line) =>
  compareText(a.figure, b.figure) || compareText(a.dimension, b.dimension) || compareText(a.value, b.value) || compareText(a.measure, b.measure)

function* slices<A>(list: ReadonlyArray<A>, size: number): Generator<ReadonlyArray<A>> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size)
}

/** Pages over lists held in memory, in the orders the database gives. */
export const memoryPages = (
  data: Pick<Unmasked, "findings" | "figures" | "decisions">,
  pageSize: number = defaultPageSize
): Pages => {
  const findings = [...data.findings].sort(findingOrder)
  const figures = [...data.figures].sort(lineOrder)
  const decisions = Object.entries(data.decisions).sort((a, b) => compareText(a[0], b[0]))
  const fingerprints = new Set(findings.map((f) => f.fingerprint))
  return {
    findings: async function*(query = {}) {
      const chosen = findings.filter((f) =>
        (query.checks === undefined || query.checks.includes(f.check)) &&
        (query.statuses === undefined || query.statuses.includes(f.status)) &&
        (query.entities === undefined || query.entities.includes(f.entity))
      )
      for (const page of slices(chosen, query.pageSize ?? pageSize)) {
        yield {
          findings: page,
          decisions: new Map(page.flatMap((f) => (data.decisions[f.fingerprint] === undefined ? [] : [[f.fingerprint, data.decisions[f.fingerprint]!] as const])))
        }
      }
    },
    figures: async function*(query = {}) {
      const chosen = figures.filter((l) => query.figures === undefined || query.figures.includes(l.figure))
      yield* slices(chosen, query.pageSize ?? pageSize)
    },
    decisions: async function*() {
      yield* slices(decisions.filter(([f]) => fingerprints.has(f)), pageSize)
    }
  }
}

/**
 * Report data held whole in memory, masked for a reveal level: the values of findings by the kind of field they
 * came from, and every free text that may carry personal data (finding messages, the rows named behind a figure's
 * variance, quarantine and exclusion reasons, triage decision reasons) — the same masking `load` does page by page.
 */
export const mask = (data: Unmasked, masker: Masking.Masker, options: { readonly pageSize?: number } = {}): ReportData => {
  const bounded = boundReasons(data.reasons)
  return {
    generatedAt: data.generatedAt,
    reveal: masker.reveal,
    run: data.run,
    previousRunId: data.previousRunId,
    entities: data.entities,
    trend: data.trend,
    reasons: bounded.reasons.map(maskReason(masker)),
    reasonsLeftOut: bounded.leftOut,
    counts: countFindings(data.findings),
    figureTotals: [...data.figures].sort(lineOrder).filter((l) => l.dimension === Figure.total).map(maskLine(masker)),
    figureLines: data.figures.length,
    standingMoneyVariance: standingMoneyVariance(data.findings, data.figures),
    pages: maskPages(memoryPages(data, options.pageSize), masker)
  }
}

// the statements `load` runs: pure SQL text for a dialect, so the SQL Server text can be checked without a server

type Dialect = Pick<SqlDialect.SqlDialect, "qualify" | "placeholder" | "name">

/**
 * The largest groups of one outcome's reasons of each entity: entity, rule, reason, rows, and for the entity the
 * number of groups and of rows in all.
 */
export const reasonsSql = (dialect: Dialect, controlSchema: string, outcome: Outcome, keep: number = reasonGroups): string => {
  const t = ControlSchema.tables(controlSchema)
  const [table, text, only] = outcome === "quarantined"
    ? [t.quarantine, "reason", ""]
    : outcome === "excluded"
    ? [t.exclusion, "reason", ""]
    : [t.flag, "field_path", " AND severity <> 'info'"]
  return `SELECT entity, rule_id, reason_text, group_rows, group_count, entity_rows FROM (` +
    `SELECT entity, rule_id, ${text} AS reason_text, COUNT(*) AS group_rows, ` +
    `ROW_NUMBER() OVER (PARTITION BY entity ORDER BY COUNT(*) DESC, rule_id, ${text}) AS place, ` +
    `COUNT(*) OVER (PARTITION BY entity) AS group_count, SUM(COUNT(*)) OVER (PARTITION BY entity) AS entity_rows ` +
    `FROM ${dialect.qualify(table)} WHERE run_id = ${dialect.placeholder(1)}${only} GROUP BY entity, rule_id, ${text}` +
    `) g WHERE place <= ${keep} ORDER BY entity, place`
}

/** The largest variance in pence of a money figure line whose finding still stands, joined in the database. */
export const standingMoneySql = (dialect: Dialect, controlSchema: string): string => {
  const t = ControlSchema.tables(controlSchema)
  return `SELECT MAX(ABS(g.variance)) FROM ${dialect.qualify(t.figure)} g JOIN ${dialect.qualify(t.finding)} f ` +
    `ON f.run_id = g.run_id AND f.check_id = g.figure_id AND f.field = CONCAT(g.measure, ' by ', g.dimension, ': ', g.dimension_value) ` +
    `WHERE g.run_id = ${dialect.placeholder(1)} AND g.unit = 'pence' AND f.kind = 'money' AND f.status IN ('new', 'open', 'regressed')`
}

const { lineColumns, lineOf } = Figure

const decisionOf = (r: ReadonlyArray<string | null>, at: number): Decision => ({
  decision: String(r[at]),
  reason: String(r[at + 1]),
  by: String(r[at + 2]),
  until: r[at + 3] ?? null,
  mapTo: r[at + 4] ?? null
})

/** A failure of the database while pages are read, as the `DatabaseError` naming what was being read. */
const readFailure = (database: Database.Database, operation: string) => (cause: unknown) =>
  cause instanceof Database.DatabaseError
    ? cause
    : new Database.DatabaseError({ operation, database: database.display, message: `${operation} on ${database.display}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })

async function* guarded<A>(pages: AsyncIterable<A>, fail: (cause: unknown) => Database.DatabaseError): AsyncGenerator<A> {
  try {
    yield* pages
  } catch (cause) {
    throw fail(cause)
  }
}

/** Pages read from the control schema of a target database, before masking. */
export const databasePages = (target: Database.Database, controlSchema: string, runId: string, pageSize: number = defaultPageSize): Pages => {
  const driver = target.driver
  const t = ControlSchema.tables(controlSchema)
  const q = driver.dialect.qualify
  // the value a `map_to` decision maps its code to, kept in the council's code maps
  const mappedTo = `(SELECT MIN(m.target_value) FROM ${q(t.councilCodeMap)} m WHERE m.fingerprint = t.fingerprint)`
  return {
    findings: (query = {}) =>
      guarded((async function*() {
        for await (const findings of FindingsLedger.findingPages(driver, controlSchema, runId, { ...query, pageSize: query.pageSize ?? pageSize })) {
          const rows = await Driver.selectWhereOneOf(
            driver,
            { select: `SELECT t.fingerprint, t.decision, t.reason, t.decided_by, t.expires_on, ${mappedTo} FROM ${q(t.triage)} t`, where: "", params: [] },
            "t.fingerprint",
            findings.map((f) => f.fingerprint)
          )
          yield { findings, decisions: new Map(rows.map((r) => [String(r[0]), decisionOf(r, 1)] as const)) }
        }
      })(), readFailure(target, "read the run's findings")),
    figures: (query = {}) =>
      guarded(Figure.linePages(driver, controlSchema, runId, { ...query, pageSize: query.pageSize ?? pageSize }), readFailure(target, "read the run's figure lines")),
    decisions: () =>
      guarded((async function*() {
        for await (
          const page of Driver.keysetPages(driver, {
            key: ["t.fingerprint"],
            columns: ["t.decision", "t.reason", "t.decided_by", "t.expires_on", mappedTo],
            from: `${q(t.triage)} t`,
            where: `EXISTS (SELECT 1 FROM ${q(t.finding)} f WHERE f.run_id = ${driver.dialect.placeholder(1)} AND f.fingerprint = t.fingerprint)`,
            params: [runId],
            pageSize
          })
        ) yield page.map((r) => [String(r[0]), decisionOf(r, 1)] as const)
      })(), readFailure(target, "read the triage decisions"))
  }
}

/**
 * Reads a reconciled run's report data: what is small now, the rest as pages read when a writer asks, every value and
 * text that may carry personal data masked page by page. The pages read through the target database's driver: they
 * can be read while the database is open.
 */
export const load = (
  target: Database.Database,
  options: { readonly controlSchema?: string; readonly runId: string; readonly masker: Masking.Masker; readonly pageSize?: number }
) =>
  Effect.gen(function*() {
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const ledger = Ledger.make(target, controlSchema)
    const run = (yield* ledger.runs()).find((r) => r.runId === options.runId)
    if (run === undefined) return yield* Effect.fail(new Error(`no run ${options.runId} in the control schema`))
    const steps = yield* ledger.steps(run.runId)
    const counts = yield* FindingsLedger.findingCounts(target, controlSchema, run.runId)
    const trend = yield* FindingsLedger.reconciliations(target, controlSchema, { rehearsal: run.rehearsal, pipeline: run.pipeline })
    const small = yield* target.use("read the run's reasons and figures", async (d) => {
      const t = ControlSchema.tables(controlSchema)
      const p = d.dialect.placeholder
      const reasons: Array<Reason> = []
      const leftOut: Array<ReasonsLeftOut> = []
      for (const outcome of ["quarantined", "excluded", "flagged"] as const) {
        let entity: string | undefined
        let kept = 0
        let all = { groups: 0, rows: 0 }
        const close = () => {
          if (entity !== undefined && all.groups > reasonGroups) leftOut.push({ entity, outcome, groups: all.groups - reasonGroups, rows: all.rows - kept })
        }
        for (const r of await d.queryText(reasonsSql(d.dialect, controlSchema, outcome), [run.runId])) {
          if (String(r[0]) !== entity) {
            close()
            entity = String(r[0])
            kept = 0
            all = { groups: Number(r[4]), rows: Number(r[5]) }
          }
          reasons.push({ entity, outcome, rule: r[1] ?? null, reason: String(r[2]), rows: Number(r[3]) })
          kept += Number(r[3])
        }
        close()
      }
      const figureTotals = (await d.queryText(
        `SELECT ${lineColumns} FROM ${d.dialect.qualify(t.figure)} WHERE run_id = ${p(1)} AND dimension = ${p(2)} ORDER BY figure_id, dimension, dimension_value, measure`,
        [run.runId, Figure.total]
      )).map(lineOf)
      const [lines] = await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(t.figure)} WHERE run_id = ${p(1)}`, [run.runId])
      const [money] = await d.queryText(standingMoneySql(d.dialect, controlSchema), [run.runId])
      return {
        reasons: reasons.sort((a, b) => b.rows - a.rows),
        leftOut,
        figureTotals,
        figureLines: Number(lines?.[0] ?? 0),
        standingMoneyVariance: money?.[0] === null || money?.[0] === undefined ? 0 : Number(money[0])
      }
    })
    const masker = options.masker
    return {
      generatedAt: new Date().toISOString(),
      reveal: masker.reveal,
      run: {
        runId: run.runId,
        rehearsal: run.rehearsal,
        pipeline: run.pipeline,
        codeVersion: run.codeVersion,
        startedAt: run.startedAt.toISOString(),
        endedAt: run.endedAt?.toISOString() ?? null,
        status: run.status
      },
      previousRunId: trend.find((r) => r.runId === run.runId)?.previousRunId ?? null,
      entities: [...steps].sort((a, b) => a.position - b.position).map((s) => ({
        entity: s.entity,
        ...s.counts,
        conserved: s.counts.read === s.counts.loaded + s.counts.merged + s.counts.quarantined + s.counts.excluded
      })),
      trend,
      reasons: small.reasons.map(maskReason(masker)),
      reasonsLeftOut: small.leftOut,
      counts,
      figureTotals: small.figureTotals.map(maskLine(masker)),
      figureLines: small.figureLines,
      standingMoneyVariance: small.standingMoneyVariance,
      pages: maskPages(databasePages(target, controlSchema, run.runId, options.pageSize), masker)
    } satisfies ReportData as ReportData
  })

// what the writers read from the counts

/** Counts of findings by status. */
export type StatusCounts = Record<Finding.Status, number>

const zero = (): StatusCounts => ({ new: 0, open: 0, resolved: 0, regressed: 0, accepted: 0 })

/** Findings by status among the counts that match. */
export const countByStatus = (data: Pick<ReportData, "counts">, where: (c: FindingsLedger.FindingCount) => boolean = () => true): StatusCounts => {
  const out = zero()
  for (const c of data.counts) if (where(c)) out[c.status] += c.findings
  return out
}

/** How many findings match. */
export const count = (data: Pick<ReportData, "counts">, where: (c: FindingsLedger.FindingCount) => boolean = () => true): number =>
  data.counts.reduce((n, c) => (where(c) ? n + c.findings : n), 0)

/** The checks that have findings, in check order, with their findings by status and in all. */
export const checks = (data: Pick<ReportData, "counts">): ReadonlyArray<{ readonly check: string; readonly byStatus: StatusCounts; readonly total: number }> => {
  const byCheck = new Map<string, StatusCounts>()
  for (const c of data.counts) {
    const counts = byCheck.get(c.check) ?? zero()
    counts[c.status] += c.findings
    byCheck.set(c.check, counts)
  }
  return [...byCheck].sort((a, b) => compareText(a[0], b[0])).map(([check, byStatus]) => ({
    check,
    byStatus,
    total: Object.values(byStatus).reduce((n, k) => n + k, 0)
  }))
}
