/**
 * The text formats of a report: JSON for machines, CSV per check, a Markdown summary for CI job pages, and JUnit XML
 * with one test case per check (and one per gate), so CI shows a failing check the way it shows a failing test.
 * The JSON and CSV files hold every finding and figure line and are written a page at a time; the Markdown and JUnit
 * files are made from the counts and the first few findings.
 */
import { stringify } from "csv-stringify/sync"
import { Figure, Finding, type FindingsLedger } from "@handover/reconcile"
import type { GateResult } from "./Gates.ts"
import type * as Masking from "./Masking.ts"
import * as ReportData from "./ReportData.ts"
import type { Sink } from "./Sink.ts"
import * as Summary from "./Summary.ts"

type ReportData = ReportData.ReportData

export const findingColumns = [
  "fingerprint", "status", "severity", "check", "entity", "legacyKey", "targetKey", "field", "kind", "legacyValue", "targetValue", "rule", "explanation", "message"
] as const

export const figureColumns = ["figure", "dimension", "value", "measure", "unit", "source", "excluded", "explained", "expected", "target", "variance"] as const

/** The statuses in the order every report shows them. */
export const statuses = ["new", "open", "regressed", "accepted", "resolved"] as const satisfies ReadonlyArray<Finding.Status>

/** The statuses of findings still to be dealt with. */
export const standing = ["new", "open", "regressed"] as const satisfies ReadonlyArray<Finding.Status>

/** A file name from a check id: letters, digits, dots and dashes. */
export const fileName = (check: string) => check.replace(/[^A-Za-z0-9.-]+/g, "-")

const findingRow = (f: FindingsLedger.LedgerFinding) => findingColumns.map((c) => f[c] ?? "")

const figureRow = (l: Figure.Line) => [l.figure, l.dimension, l.value, l.measure, l.unit, l.source, l.excluded, l.explained, l.expected, l.target, l.variance]

/** A CSV file of findings, a page at a time: the header, then the rows of each page. */
export const writeFindingsCsv = async (sink: Sink, pages: AsyncIterable<ReportData.FindingPage>): Promise<void> => {
  await sink.write(stringify([[...findingColumns]]))
  for await (const page of pages) await sink.write(stringify(page.findings.map(findingRow)))
}

/** A CSV file of a worklist, a page at a time: its header, then the rows of each page. */
export const writeWorklistCsv = async (sink: Sink, header: ReadonlyArray<string>, pages: AsyncIterable<ReadonlyArray<ReadonlyArray<string | number | null>>>): Promise<void> => {
  await sink.write(stringify([[...header]]))
  for await (const page of pages) await sink.write(stringify(page.map((row) => row.map((v) => v ?? ""))))
}

/**
 * A CSV file of a return made from the target (the CLD return, say), a page at a time: its columns as the return
 * names them, each value masked as a value of its column is.
 */
export const writeReturnCsv = async (
  sink: Sink,
  columns: ReadonlyArray<string>,
  pages: AsyncIterable<ReadonlyArray<Readonly<Partial<Record<string, string | null>>>>>,
  masker: Masking.Masker
): Promise<void> => {
  await sink.write(stringify([[...columns]]))
  for await (const page of pages) await sink.write(stringify(page.map((row) => columns.map((c) => masker.value(c, row[c] ?? null) ?? ""))))
}

/** The CSV file of every figure line, a page at a time. */
export const writeFiguresCsv = async (sink: Sink, data: ReportData): Promise<void> => {
  await sink.write(stringify([[...figureColumns]]))
  for await (const page of data.pages.figures()) await sink.write(stringify(page.map(figureRow)))
}

export const entitiesCsv = (data: ReportData): string =>
  stringify(data.entities.map((e) => [e.entity, e.read, e.loaded, e.merged, e.quarantined, e.excluded, e.conserved ? "holds" : "BROKEN"]), {
    header: true,
    columns: ["entity", "read", "loaded", "merged", "quarantined", "excluded", "conservation"]
  })

/** JSON set inside the document at one level of indentation. */
const nested = (value: unknown) => JSON.stringify(value, null, 2).replaceAll("\n", "\n  ")

/** An array written item by item, each item's text made by `item`. */
const streamArray = async <A>(sink: Sink, pages: AsyncIterable<ReadonlyArray<A>>, item: (a: A) => string): Promise<void> => {
  await sink.write("[")
  let first = true
  for await (const page of pages) {
    const parts: Array<string> = []
    for (const a of page) {
      parts.push(`${first ? "" : ","}\n    ${item(a)}`)
      first = false
    }
    await sink.write(parts.join(""))
  }
  await sink.write(first ? "]" : "\n  ]")
}

/** The findings of every check, in check order, a page at a time. */
export async function* findingsByCheck(data: ReportData, query: ReportData.FindingQuery = {}): AsyncGenerator<ReportData.FindingPage> {
  for (const { check } of ReportData.checks(data)) yield* data.pages.findings({ ...query, checks: [check] })
}

async function* findingsOnly(pages: AsyncIterable<ReportData.FindingPage>): AsyncGenerator<ReadonlyArray<FindingsLedger.LedgerFinding>> {
  for await (const page of pages) yield page.findings
}

/**
 * `report.json`: one JSON document holding the run, its counts, every finding, every figure line and every triage
 * decision on them, written a page at a time.
 */
export const writeJson = async (sink: Sink, data: ReportData, gates: ReadonlyArray<GateResult>): Promise<void> => {
  const field = (name: string, value: unknown) => sink.write(`  ${JSON.stringify(name)}: ${nested(value)},\n`)
  await sink.write("{\n")
  await field("generatedAt", data.generatedAt)
  await field("reveal", data.reveal)
  await field("run", data.run)
  await field("previousRunId", data.previousRunId)
  await field("entities", data.entities)
  await sink.write(`  "findings": `)
  await streamArray(sink, findingsOnly(findingsByCheck(data)), (f) => JSON.stringify(f))
  await sink.write(`,\n  "figures": `)
  await streamArray(sink, data.pages.figures(), (l) => JSON.stringify(l))
  await sink.write(",\n")
  await field("trend", data.trend)
  await field("reasons", data.reasons)
  await field("reasonsLeftOut", data.reasonsLeftOut)
  await field("counts", data.counts)
  await sink.write(`  "decisions": {`)
  let first = true
  for await (const page of data.pages.decisions()) {
    const parts: Array<string> = []
    for (const [fingerprint, decision] of page) {
      parts.push(`${first ? "" : ","}\n    ${JSON.stringify(fingerprint)}: ${JSON.stringify(decision)}`)
      first = false
    }
    await sink.write(parts.join(""))
  }
  await sink.write(first ? "},\n" : "\n  },\n")
  await field("headline", Summary.headline(data))
  await sink.write(`  "gates": ${nested(gates)}\n}\n`)
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ")

export const markdown = (data: ReportData, gates: ReadonlyArray<GateResult>): string => {
  const headline = Summary.headline(data)
  const lines = [
    `# Rehearsal ${data.run.rehearsal}: run ${data.run.runId}`,
    "",
    headline.text,
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
    ...ReportData.checks(data).map(({ check, byStatus }) => `| ${check} | ${statuses.map((s) => byStatus[s]).join(" | ")} |`),
    "",
    "## Money",
    "",
    "| figure | measure | expected from legacy | in the target | variance |",
    "|---|---|--:|--:|--:|",
    ...data.figureTotals.filter((l) => l.dimension === Figure.total && l.unit === "pence")
      .map((l) => `| ${l.figure} | ${l.measure} | ${Figure.format(l.unit, l.expected)} | ${Figure.format(l.unit, l.target)} | ${Figure.format(l.unit, l.variance)} |`),
    ""
  ]
  return lines.join("\n")
}

const xml = (text: string) =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g, "\ufffd")
    .replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;").replaceAll("'", "&apos;")

/** The error findings of a check named in its JUnit failure. */
export const junitShown = 50

/** The first `limit` findings of a check still standing with error severity, read page by page until there are enough. */
const firstStandingErrors = async (data: ReportData, check: string, limit: number): Promise<ReadonlyArray<FindingsLedger.LedgerFinding>> => {
  const out: Array<FindingsLedger.LedgerFinding> = []
  if (limit === 0) return out
  for await (const page of data.pages.findings({ checks: [check], statuses: standing, pageSize: 1_000 })) {
    for (const f of page.findings) {
      if (f.severity !== "error") continue
      out.push(f)
      if (out.length >= limit) return out
    }
  }
  return out
}

/** JUnit XML: a test case per check, failing when it has error findings that are not accepted; a test case per gate. */
export const junit = async (data: ReportData, gates: ReadonlyArray<GateResult>): Promise<string> => {
  const cases: Array<{ xml: string; failed: boolean }> = []
  for (const { check } of ReportData.checks(data)) {
    const failing = ReportData.count(data, (c) => c.check === check && c.severity === "error" && Finding.isStanding(c.status))
    const shown = await firstStandingErrors(data, check, Math.min(failing, junitShown))
    const body = failing === 0
      ? ""
      : `<failure message="${xml(`${failing} error findings`)}">${xml(shown.map((f) => `${f.status} ${f.entity} ${f.legacyKey ?? ""} ${f.field ?? ""}: ${f.message}`).join("\n"))}</failure>`
    cases.push({ xml: `    <testcase classname="reconciliation" name="${xml(check)}">${body}</testcase>`, failed: failing > 0 })
  }
  const gateCases = gates.map((g) => ({
    xml: `    <testcase classname="gates" name="${xml(g.gate)}">${g.passed ? "" : `<failure message="${xml(g.detail)}"/>`}</testcase>`,
    failed: !g.passed
  }))
  const suite = (name: string, list: ReadonlyArray<{ xml: string; failed: boolean }>) =>
    `  <testsuite name="${xml(name)}" tests="${list.length}" failures="${list.filter((c) => c.failed).length}">\n${list.map((c) => c.xml).join("\n")}\n  </testsuite>`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="handover ${xml(data.run.rehearsal)} ${xml(data.run.runId)}">\n${suite("reconciliation", cases)}\n${suite("gates", gateCases)}\n</testsuites>\n`
}
