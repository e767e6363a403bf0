/**
 * The words of a report: the headline (is this rehearsal better than the last?), and a section for each data
 * owner — people, care packages and providers, finance, safeguarding — in plain words, not in tables.
 */
import { Figure, Finding } from "@handover/reconcile"
import * as ReportData from "./ReportData.ts"

type ReportData = ReportData.ReportData

/** A data owner and the entities and headline figures that are theirs. */
export interface Owner {
  readonly name: string
  readonly entities: ReadonlyArray<string>
  readonly figures: ReadonlyArray<string>
}


const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`

export interface Headline {
  readonly verdict: "better" | "worse" | "same" | "first"
  readonly text: string
  readonly live: number
  readonly previousLive: number | null
}

export const headline = (data: ReportData): Headline => {
  const counts = ReportData.countByStatus(data)
  const current = counts.new + counts.open + counts.regressed
  const previous = data.trend.find((t) => t.runId === data.previousRunId)
  if (previous === undefined) {
    return {
      verdict: "first",
      live: current,
      previousLive: null,
      text: `The first reconciled rehearsal of the series "${data.run.rehearsal}": ${n(current, "finding")} to look at.`
    }
  }
  const previousLive = previous.byStatus.new + previous.byStatus.open + previous.byStatus.regressed
  const verdict = current < previousLive ? "better" : current > previousLive ? "worse" : "same"
  const words = { better: "Better than", worse: "Worse than", same: "The same as" }[verdict]
  return {
    verdict,
    live: current,
    previousLive,
    text: `${words} the last rehearsal: ${n(current, "finding")} to look at (was ${previousLive.toLocaleString("en-GB")}); ` +
      `${counts.resolved} fixed since, ${counts.new} new, ${counts.regressed} back after a fix, ${counts.accepted} accepted.`
  }
}

/** The paragraphs of one owner's section. */
export const ownerSection = (data: ReportData, owner: Owner): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const e of data.entities.filter((e) => owner.entities.includes(e.entity))) {
    const words = [`Of ${n(e.read, `${e.entity} record`)}, ${e.loaded.toLocaleString("en-GB")} ${e.loaded === 1 ? "was" : "were"} migrated`]
    if (e.merged > 0) words.push(`${e.merged.toLocaleString("en-GB")} merged into another record of the same person`)
    if (e.quarantined > 0) words.push(`${e.quarantined.toLocaleString("en-GB")} held back in quarantine until fixed at source`)
    if (e.excluded > 0) words.push(`${e.excluded.toLocaleString("en-GB")} left out by a migration rule`)
    let sentence = words.length === 1 ? `${words[0]}.` : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}.`
    if (!e.conserved) sentence += " Some records are not accounted for: this must be fixed before go-live."
    const top = data.reasons.find((r) => r.entity === e.entity && r.outcome === "quarantined")
    if (top !== undefined) sentence += ` The most common reason for quarantine: ${top.reason} (${n(top.rows, "record")}).`
    out.push(sentence)
  }
  const theirs = data.counts.filter((c) => owner.entities.includes(c.entity) && Finding.isStanding(c.status))
  const findings = theirs.reduce((k, c) => k + c.findings, 0)
  if (findings > 0) {
    const byCheck = new Map<string, number>()
    for (const c of theirs) byCheck.set(c.check, (byCheck.get(c.check) ?? 0) + c.findings)
    out.push(`${n(findings, "finding")} to review: ${[...byCheck].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${k} from ${c}`).join(", ")}.`)
  } else out.push("No findings to review.")
  for (const figure of owner.figures) {
    const totals = data.figureTotals.filter((l) => l.figure === figure && l.dimension === Figure.total)
    if (totals.length === 0) continue
    const standing = totals.filter((l) => l.variance !== 0)
    out.push(
      `${figure.replace(/^figure\./, "").replaceAll("-", " ")}: ` +
        totals.map((l) => `${l.measure} ${Figure.format(l.unit, l.target)} in the new system against ${Figure.format(l.unit, l.expected)} expected from the old`).join("; ") +
        (standing.length === 0 ? " — it reconciles." : ` — ${standing.length} totals differ and need a look.`)
    )
  }
  return out
}
