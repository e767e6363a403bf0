// Checks two rehearsals of the CI estate against the expected result: the counts of every entity, the gates, the
// findings per check and the ground truth of the injected defects; the second rehearsal finds nothing new.
import { readFileSync } from "node:fs"

const [expectedFile, firstFile, firstExit, secondFile, secondExit] = process.argv.slice(2)
const expected = JSON.parse(readFileSync(expectedFile, "utf8"))
const first = JSON.parse(readFileSync(firstFile, "utf8"))
const second = JSON.parse(readFileSync(secondFile, "utf8"))
const problems = []
// objects compare by their keys and values, whatever order the keys come in
const canonical = (value) =>
  Array.isArray(value) ? value.map(canonical)
  : value !== null && typeof value === "object"
    ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]))
    : value
const same = (what, actual, wanted) => {
  const [a, w] = [JSON.stringify(canonical(actual)), JSON.stringify(canonical(wanted))]
  if (a !== w) problems.push(`${what}: got ${a}, expected ${w}`)
}

same("entities", Object.fromEntries(first.run.steps.map((s) => [s.entity, s.counts])), expected.entities)
same("gates of the first rehearsal", Object.fromEntries(first.gates.map((g) => [g.gate, g.passed])), expected.gates)
same("exit code of the first rehearsal", Number(firstExit), Object.values(expected.gates).every(Boolean) ? 0 : 1)
same("findings by check", Object.fromEntries(first.findings.checks.map((c) => [c.check, c.findings])), expected.findingsByCheck)
same("ground truth", first.groundTruth, expected.groundTruth)
// the same estate again: the same findings, all of them open, none new, and the gates pass
same("new findings of the second rehearsal", second.findings.byStatus.new, 0)
same("open findings of the second rehearsal", second.findings.byStatus.open, first.findings.byStatus.new)
same("exit code of the second rehearsal", Number(secondExit), 0)
for (const s of second.run.steps) {
  if (s.counts.read !== s.counts.loaded + s.counts.merged + s.counts.quarantined + s.counts.excluded) problems.push(`conservation broken for ${s.entity}`)
}
if (problems.length > 0) {
  console.error(`the rehearsal differs from the expected result:\n  ${problems.join("\n  ")}`)
  process.exit(1)
}
console.log(`rehearsals as expected: ${first.run.steps.length} entities, gates ${JSON.stringify(expected.gates)}, ` +
  `${first.groundTruth.reported} of ${first.groundTruth.forReconciliation} injected defects reported, second rehearsal passes with ${second.findings.byStatus.open} open findings`)
