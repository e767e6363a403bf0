/**
 * The text formats of a report: JSON for machines, CSV per check, a Markdown summary for CI job pages, and JUnit XML
 * with one test case per check (and one per gate), so CI shows a failing check the way it shows a failing test.
 */
import { stringify } from "csv-stringify/sync"
import { Figure, Finding, type FindingsLedger } from "@handover/reconcile"
import type { GateResult } from "./Gates.ts"
import type { ReportData } from "./ReportData.ts"
import * as Summary from "./Summary.ts"

export const findingColumns = [
  "fingerprint", "status", "severity", "check", "entity", "legacyKey", "targetKey", "field", "kind", "legacyValue", "targetValue", "rule", "explanation", "message"
] as const

/** The statuses in the order every report shows them. */
export const statuses = ["new", "open", "regressed", "accepted", "resolved"] as const satisfies ReadonlyArray<Finding.Status>

/** The findings of a run by check, in check order. */
export const byCheck = (data: ReportData): ReadonlyArray<readonly [string, ReadonlyArray<FindingsLedger.LedgerFinding>]> => {
  const groups = new Map<string, Array<FindingsLedger.LedgerFinding>>()
  for (const f of data.findings) {
    const list = groups.get(f.check)
    if (list === undefined) groups.set(f.check, [f])
    else list.push(f)
  }
  return [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))
}

export const json = (data: ReportData, gates: ReadonlyArray<GateResult>): string =>
  JSON.stringify({ ...data, headline: Summary.headline(data), gates }, null, 2)

export const findingsCsv = (findings: ReadonlyArray<FindingsLedger.LedgerFinding>): string =>
  stringify(findings.map((f) => findingColumns.map((c) => f[c] ?? "")), { header: true, columns: [...findingColumns] })

export const figuresCsv = (data: ReportData): string =>
  stringify(
    data.figures.map((l) => [l.figure, l.dimension, l.value, l.measure, l.unit, l.source, l.excluded, l.explained, l.expected, l.target, l.variance]),
    { header: true, columns: ["figure", "dimension", "value", "measure", "unit", "source", "excluded", "explained", "expected", "target", "variance"] }
  )

export const entitiesCsv = (data: ReportData): string =>
  stringify(data.entities.map((e) => [e.entity, e.read, e.loaded, e.merged, e.quarantined, e.excluded, e.conserved ? "holds" : "BROKEN"]), {
    header: true,
    columns: ["entity", "read", "loaded", "merged", "quarantined", "excluded", "conservation"]
  })

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
  ]
  return lines.join("\n")
}

const xml = (text: string) =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g, "\ufffd")
    .replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;").replaceAll("'", "&apos;")

/** JUnit XML: a test case per check, failing when it has error findings that are not accepted; a test case per gate. */
export const junit = (data: ReportData, gates: ReadonlyArray<GateResult>): string => {
  const checks = byCheck(data)
  const cases = checks.map(([check, list]) => {
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
