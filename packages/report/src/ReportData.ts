/**
 * Everything a rehearsal's reports say, read once from the control schema: the run and its counts per entity, the
 * findings with their status against the previous rehearsal, the headline figures, the trend of every rehearsal
 * of the series, and the reasons rows were quarantined. Personal data is masked here, before any writer sees it.
 */
import { Ledger } from "@handover/core"
import { Figure, FindingsLedger } from "@handover/reconcile"
import { ControlSchema, type Database } from "@handover/sql"
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

export interface Reason {
  readonly entity: string
  readonly outcome: "quarantined" | "excluded" | "flagged"
  readonly rule: string | null
  readonly reason: string
  readonly rows: number
}

export interface ReportData {
  readonly generatedAt: string
  readonly reveal: Masking.Reveal
  readonly run: {
    readonly runId: string
    readonly rehearsal: string
    readonly pipeline: string
    readonly codeVersion: string
    readonly startedAt: string
    readonly endedAt: string | null
    readonly status: string
  }
  readonly previousRunId: string | null
  readonly entities: ReadonlyArray<EntityCounts>
  readonly findings: ReadonlyArray<FindingsLedger.LedgerFinding>
  readonly figures: ReadonlyArray<Figure.Line>
  readonly trend: ReadonlyArray<FindingsLedger.Reconciliation>
  readonly reasons: ReadonlyArray<Reason>
  /** Triage decisions on this run's findings, by fingerprint. */
  readonly decisions: Readonly<Record<string, { readonly decision: string; readonly reason: string; readonly by: string; readonly until: string | null }>>
}

/** Report data as the control schema holds it: every value and text as recorded, before any masking. */
export type Unmasked = Omit<ReportData, "reveal">

/**
 * Masks report data for a reveal level: the values of findings by the kind of field they came from, and every free
 * text that may carry personal data (finding messages, the rows named behind a figure's variance — an NHS number
 * where a figure counts NHS numbers —, quarantine and exclusion reasons, triage decision reasons).
 * The one place reports are masked: `load` masks with it, before any writer sees the data.
 */
export const mask = (data: Unmasked, masker: Masking.Masker): ReportData => ({
  ...data,
  reveal: masker.reveal,
  findings: data.findings.map((f) => ({
    ...f,
    legacyValue: masker.value(f.field, f.legacyValue),
    targetValue: masker.value(f.field, f.targetValue),
    message: masker.text(f.message)
  })),
  figures: data.figures.map((l) => ({ ...l, rows: l.rows.map(masker.text) })),
  reasons: data.reasons.map((r) => ({ ...r, reason: masker.text(r.reason) })),
  decisions: Object.fromEntries(Object.entries(data.decisions).map(([f, d]) => [f, { ...d, reason: masker.text(d.reason) }]))
})

/** Reads a reconciled run's report data, masking every value and text that may carry personal data. */
export const load = (target: Database.Database, options: { readonly controlSchema?: string; readonly runId: string; readonly masker: Masking.Masker }) =>
  Effect.gen(function*() {
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    const ledger = Ledger.make(target, controlSchema)
    const run = (yield* ledger.runs()).find((r) => r.runId === options.runId)
    if (run === undefined) return yield* Effect.fail(new Error(`no run ${options.runId} in the control schema`))
    const steps = yield* ledger.steps(run.runId)
    const findings = yield* FindingsLedger.findingsOf(target, controlSchema, run.runId)
    const figures = yield* Figure.lines(target, controlSchema, run.runId)
    const trend = yield* FindingsLedger.reconciliations(target, controlSchema, { rehearsal: run.rehearsal, pipeline: run.pipeline })
    const reasons = yield* target.use("read reasons", async (d): Promise<ReadonlyArray<Reason>> => {
      const t = ControlSchema.tables(controlSchema)
      const p = d.dialect.placeholder(1)
      const read = async (outcome: Reason["outcome"], sql: string) =>
        (await d.queryText(sql, [run.runId])).map((r): Reason => ({ entity: String(r[0]), outcome, rule: r[1] ?? null, reason: String(r[2]), rows: Number(r[3]) }))
      return [
        ...(await read("quarantined", `SELECT entity, rule_id, reason, COUNT(*) FROM ${d.dialect.qualify(t.quarantine)} WHERE run_id = ${p} GROUP BY entity, rule_id, reason`)),
        ...(await read("excluded", `SELECT entity, rule_id, reason, COUNT(*) FROM ${d.dialect.qualify(t.exclusion)} WHERE run_id = ${p} GROUP BY entity, rule_id, reason`)),
        ...(await read("flagged", `SELECT entity, rule_id, field_path, COUNT(*) FROM ${d.dialect.qualify(t.flag)} WHERE run_id = ${p} AND severity <> 'info' GROUP BY entity, rule_id, field_path`))
      ].sort((a, b) => b.rows - a.rows)
    })
    const decisions = yield* FindingsLedger.decisions(target, controlSchema)
    const fingerprints = new Set(findings.map((f) => f.fingerprint))
    const unmasked: Unmasked = {
      generatedAt: new Date().toISOString(),
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
      findings,
      figures,
      trend,
      reasons,
      decisions: Object.fromEntries([...decisions].filter(([f]) => fingerprints.has(f)))
    }
    return mask(unmasked, options.masker)
  })
