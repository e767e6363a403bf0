/**
 * The whole-list report formatters, as they were when a report held every finding and figure line in arrays: the
 * oracle the paged writers are compared with. Data held whole, masked the same way (`ReportData.maskFinding` and the
 * others), then formatted list by list.
 */
import { stringify } from "csv-stringify/sync"
import ExcelJS from "exceljs"
import { Figure, Finding, type FindingsLedger } from "@handover/reconcile"
import type { GateConfig, GateResult } from "../src/Gates.ts"
import * as ReportData from "../src/ReportData.ts"
import type * as Masking from "../src/Masking.ts"
import type { Owner } from "../src/Summary.ts"
import { findingColumns, statuses } from "../src/Formats.ts"
import * as Worklists from "../src/Worklists.ts"

export interface Whole extends ReportData.Unmasked {
  readonly reveal: Masking.Reveal
}

export const mask = (data: ReportData.Unmasked, masker: Masking.Masker): Whole => ({
  ...data,
  reveal: masker.reveal,
  findings: data.findings.map(ReportData.maskFinding(masker)),
  figures: data.figures.map(ReportData.maskLine(masker)),
  reasons: [...data.reasons].sort((a, b) => b.rows - a.rows).map(ReportData.maskReason(masker)),
  decisions: Object.fromEntries(Object.entries(data.decisions).map(([f, d]) => [f, ReportData.maskDecision(masker)(d)]))
})

export const byCheck = (data: Whole): ReadonlyArray<readonly [string, ReadonlyArray<FindingsLedger.LedgerFinding>]> => {
  const groups = new Map<string, Array<FindingsLedger.LedgerFinding>>()
  for (const f of data.findings) {
    const list = groups.get(f.check)
    if (list === undefined) groups.set(f.check, [f])
    else list.push(f)
  }
  return [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

export const findingsCsv = (findings: ReadonlyArray<FindingsLedger.LedgerFinding>): string =>
  stringify(findings.map((f) => findingColumns.map((c) => f[c] ?? "")), { header: true, columns: [...findingColumns] })

export const figuresCsv = (data: Whole): string =>
  stringify(
    data.figures.map((l) => [l.figure, l.dimension, l.value, l.measure, l.unit, l.source, l.excluded, l.explained, l.expected, l.target, l.variance]),
    { header: true, columns: ["figure", "dimension", "value", "measure", "unit", "source", "excluded", "explained", "expected", "target", "variance"] }
  )

const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`

export const headline = (data: Whole) => {
  const current = data.findings.filter((f) => Finding.isStanding(f.status)).length
  const counts = Finding.countByStatus(data.findings)
  const previous = data.trend.find((t) => t.runId === data.previousRunId)
  if (previous === undefined) {
    return {
      verdict: "first" as const,
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

export const ownerSection = (data: Whole, owner: Owner): ReadonlyArray<string> => {
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
  const findings = data.findings.filter((f) => owner.entities.includes(f.entity) && Finding.isStanding(f.status))
  if (findings.length > 0) {
    const byCheck = new Map<string, number>()
    for (const f of findings) byCheck.set(f.check, (byCheck.get(f.check) ?? 0) + 1)
    out.push(`${n(findings.length, "finding")} to review: ${[...byCheck].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${k} from ${c}`).join(", ")}.`)
  } else out.push("No findings to review.")
  for (const figure of owner.figures) {
    const totals = data.figures.filter((l) => l.figure === figure && l.dimension === Figure.total)
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

export const evaluate = (data: Whole, config: GateConfig): ReadonlyArray<GateResult> => {
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
    const fresh = data.findings.filter((f) => f.severity === "error" && (f.status === "new" || f.status === "regressed"))
    out.push({
      gate: "new-errors",
      passed: fresh.length === 0,
      detail: fresh.length === 0 ? "no new or regressed error findings" : `${fresh.length} new or regressed error findings`
    })
  }
  const standing = new Set(data.findings.filter((f) => f.kind === "money" && Finding.isStanding(f.status)).map((f) => `${f.check}|${f.field}`))
  const worst = data.figures
    .filter((l) => l.unit === "pence" && standing.has(`${l.figure}|${l.measure} by ${l.dimension}: ${l.value}`))
    .reduce((max, l) => Math.max(max, Math.abs(l.variance)), 0)
  out.push({
    gate: "money",
    passed: worst <= config.moneyVariancePence,
    detail: worst === 0
      ? "every money figure reconciles to the penny, or its variance is accepted"
      : `the largest unexplained money variance is £${(worst / 100).toFixed(2)} (at most £${(config.moneyVariancePence / 100).toFixed(2)} passes)`
  })
  for (const [check, max] of Object.entries(config.maxFindings)) {
    const k = data.findings.filter((f) => f.check === check && Finding.isStanding(f.status)).length
    out.push({ gate: `max-findings:${check}`, passed: k <= max, detail: `${k} findings of ${check} (at most ${max})` })
  }
  return out
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ")

export const markdown = (data: Whole, gates: ReadonlyArray<GateResult>): string =>
  [
    `# Rehearsal ${data.run.rehearsal}: run ${data.run.runId}`,
    "",
    headline(data).text,
    "",
    "## Gates",
    "",
    "| gate | result | detail |",
    "|---|---|---|",
    ...gates.map((g) => `| ${g.gate} | ${g.passed ? "passed" : "**failed**"} | ${cell(g.detail)} |`),
    "",
    "## Records",
    "",
    "| entity | read | migrated | merged | quarantined | excluded | conservation |",
    "|---|--:|--:|--:|--:|--:|---|",
    ...data.entities.map((e) => `| ${e.entity} | ${e.read} | ${e.loaded} | ${e.merged} | ${e.quarantined} | ${e.excluded} | ${e.conserved ? "holds" : "**broken**"} |`),
    "",
    "## Findings by check",
    "",
    "| check | new | open | regressed | accepted | resolved |",
    "|---|--:|--:|--:|--:|--:|",
    ...byCheck(data).map(([check, list]) => {
      const counts = Finding.countByStatus(list)
      return `| ${check} | ${statuses.map((s) => counts[s]).join(" | ")} |`
    }),
    "",
    "## Money",
    "",
    "| figure | measure | expected from legacy | in the target | variance |",
    "|---|---|--:|--:|--:|",
    ...data.figures.filter((l) => l.dimension === Figure.total && l.unit === "pence")
      .map((l) => `| ${l.figure} | ${l.measure} | ${Figure.format(l.unit, l.expected)} | ${Figure.format(l.unit, l.target)} | ${Figure.format(l.unit, l.variance)} |`),
    ""
  ].join("\n")

const xml = (text: string) =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g, "\ufffd")
    .replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;").replaceAll("'", "&apos;")

export const junit = (data: Whole, gates: ReadonlyArray<GateResult>): string => {
  const cases = byCheck(data).map(([check, list]) => {
    const failing = list.filter((f) => f.severity === "error" && Finding.isStanding(f.status))
    const body = failing.length === 0
      ? ""
      : `<failure message="${xml(`${failing.length} error findings`)}">${xml(failing.slice(0, 50).map((f) => `${f.status} ${f.entity} ${f.legacyKey ?? ""} ${f.field ?? ""}: ${f.message}`).join("\n"))}</failure>`
    return { xml: `    <testcase classname="reconciliation" name="${xml(check)}">${body}</testcase>`, failed: failing.length > 0 }
  })
  const gateCases = gates.map((g) => ({
    xml: `    <testcase classname="gates" name="${xml(g.gate)}">${g.passed ? "" : `<failure message="${xml(g.detail)}"/>`}</testcase>`,
    failed: !g.passed
  }))
  const suite = (name: string, list: ReadonlyArray<{ xml: string; failed: boolean }>) =>
    `  <testsuite name="${xml(name)}" tests="${list.length}" failures="${list.filter((c) => c.failed).length}">\n${list.map((c) => c.xml).join("\n")}\n  </testsuite>`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="handover ${xml(data.run.rehearsal)} ${xml(data.run.runId)}">\n${suite("reconciliation", cases)}\n${suite("gates", gateCases)}\n</testsuites>\n`
}

const supplierKinds = new Set(["missing", "extra", "different", "structure", "count"])

/** The rows of every sheet of the whole-list workbook, by sheet name (header and data rows, cell values as text). */
export const workbookSheets = (data: Whole): Record<string, ReadonlyArray<ReadonlyArray<string>>> => {
  const out: Record<string, Array<ReadonlyArray<string>>> = {}
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v))
  const sheet = (name: string, header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>) => {
    out[name] = [header, ...rows.map((r) => r.map(text))]
  }
  // amounts as numbers: pounds for pence, and hundredths as decimals
  sheet("Figures", ["figure", "dimension", "value", "measure", "unit", "legacy", "excluded", "explained", "expected", "target", "variance"],
    data.figures.map((l) => [
      l.figure,
      l.dimension,
      l.value,
      l.measure,
      l.unit === "pence" ? "£" : l.unit,
      ...[l.source, l.excluded, l.explained, l.expected, l.target, l.variance].map((v) => (l.unit === "pence" || l.unit === "hundredths" ? v / 100 : v))
    ]))
  sheet("Issues for the supplier", [...findingColumns, "decision"], byCheck(data).flatMap(([, list]) => list)
    .filter((f) => f.status !== "resolved" && (supplierKinds.has(f.kind) || f.check.startsWith("verify.") || data.decisions[f.fingerprint]?.decision === "fix_by_supplier"))
    .map((f) => [...findingColumns.map((c) => f[c] ?? null), data.decisions[f.fingerprint]?.decision ?? null]))
  out["Issues for the supplier"]![0] = [...findingColumns, "decision in force"]
  // the worklists: their items with the decisions in force, the day a decision runs until as a date
  for (const worklist of Worklists.worklists) {
    const items = byCheck(data).find(([check]) => check === worklist.check)?.[1] ?? []
    const until = Worklists.header(worklist).indexOf("until")
    sheet(worklist.title, Worklists.header(worklist), items.map((f) =>
      Worklists.row(worklist, [], f, data.decisions[f.fingerprint]).map((c, i) => (i === until && c !== null ? new Date(`${c}T00:00:00Z`) : c))))
  }
  // the checks' sheets: each finding with the decision in force on it, in the columns a person fills in
  for (const [check, list] of byCheck(data)) {
    if (Worklists.ofCheck(check) !== undefined) continue
    sheet(check, [...findingColumns, ...Worklists.findingDecisionHeaders], list.map((f) =>
      [...findingColumns.map((c) => f[c] ?? null), ...Worklists.decisionCells(data.decisions[f.fingerprint]).map((c, i) => (i === 3 && c !== null ? new Date(`${c}T00:00:00Z`) : c))]))
  }
  return out
}

/** Every sheet of a workbook file read back: rows of cell texts (empty cells as ""), by sheet name. */
export const readSheets = async (file: string): Promise<Record<string, ReadonlyArray<ReadonlyArray<string>>>> => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(file)
  const out: Record<string, Array<ReadonlyArray<string>>> = {}
  book.eachSheet((sheet) => {
    const rows: Array<ReadonlyArray<string>> = []
    sheet.eachRow({ includeEmpty: true }, (row) => {
      const values = (row.values as Array<unknown>).slice(1)
      const width = Math.max(values.length, sheet.columnCount)
      rows.push(Array.from({ length: width }, (_, i) => (values[i] === null || values[i] === undefined ? "" : String(values[i]))))
    })
    out[sheet.name] = rows
  })
  return out
}
