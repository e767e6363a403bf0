/**
 * Gates: what fails a rehearsal. A council sets them in its configuration; by default any new or regressed
 * error-severity finding, any money variance above £0.00 and a broken conservation law fail. Accepted findings do
 * not fail a gate until their acceptance expires (the ledger gives them the status `accepted` until then).
 */
import { Finding } from "@handover/reconcile"
import * as ReportData from "./ReportData.ts"

export interface GateConfig {
  /** New (or regressed) findings of error severity fail the rehearsal. */
  readonly failOnNewErrors: boolean
  /** The largest money variance of a headline figure that passes, in pence. */
  readonly moneyVariancePence: number
  /** Every legacy row is accounted for, per entity. */
  readonly conservation: boolean
  /** The most open findings (new, open or regressed) a check may have, by check id. */
  readonly maxFindings: Readonly<Record<string, number>>
}

export const defaults: GateConfig = { failOnNewErrors: true, moneyVariancePence: 0, conservation: true, maxFindings: {} }

export interface GateResult {
  readonly gate: string
  readonly passed: boolean
  readonly detail: string
}


/** The gates of a run, from the counts of its findings worked out in the database. */
export const evaluate = (data: ReportData.ReportData, config: GateConfig = defaults): ReadonlyArray<GateResult> => {
  const out: Array<GateResult> = []
  if (config.conservation) {
    const broken = data.entities.filter((e) => !e.conserved)
    out.push({
      gate: "conservation",
      passed: broken.length === 0,
      detail: broken.length === 0
        ? `every legacy row of ${data.entities.length} entities is migrated, merged, quarantined or excluded`
        : `rows unaccounted for in ${broken.map((e) => e.entity).join(", ")}`
    })
  }
  if (config.failOnNewErrors) {
    const fresh = ReportData.count(data, (c) => c.severity === "error" && (c.status === "new" || c.status === "regressed"))
    out.push({
      gate: "new-errors",
      passed: fresh === 0,
      detail: fresh === 0 ? "no new or regressed error findings" : `${fresh} new or regressed error findings`
    })
  }
  // the money variances still standing: those of figure lines whose finding is not accepted
  const worst = data.standingMoneyVariance
  out.push({
    gate: "money",
    passed: worst <= config.moneyVariancePence,
    detail: worst === 0
      ? "every money figure reconciles to the penny, or its variance is accepted"
      : `the largest unexplained money variance is £${(worst / 100).toFixed(2)} (at most £${(config.moneyVariancePence / 100).toFixed(2)} passes)`
  })
  for (const [check, max] of Object.entries(config.maxFindings)) {
    const n = ReportData.count(data, (c) => c.check === check && Finding.isStanding(c.status))
    out.push({ gate: `max-findings:${check}`, passed: n <= max, detail: `${n} findings of ${check} (at most ${max})` })
  }
  return out
}

export const passed = (results: ReadonlyArray<GateResult>) => results.every((r) => r.passed)
