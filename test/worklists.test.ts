/**
 * The worklists across rehearsals: the items of the migration's own issues keep their fingerprints from one run to
 * the next, so that a row fixed at source shows as resolved in the next rehearsal, a row still held back as open, a
 * row newly held back as new, and a row broken again after its fix as regressed; a pair of possible duplicates decided
 * two different people is not queued again, one decided the same person merged; a row decided not to be migrated is
 * excluded by a rule citing it; a code value mapped by a data owner is no longer unmapped; and each run's items are exactly
 * the rows its control tables list. From the command: the worklists' files, their owners as `handover.config.ts`
 * names them, and the CLD return beside the reports.
 */
import { assert, it as plain, layer } from "@effect/vitest"
import { Counts, Rehearsal } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { Decisions, Finding, FindingsLedger, Reconcile, WorklistItems } from "@handover/reconcile"
import { ControlSchema, type Database, Table } from "@handover/sql"
import { LegacyTables, SwiftPipeline } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"
import * as CldRules from "@handover/swift-to-ias/reference/CldRules"

const legacySchema = "swift"
const targetSchema = "ias"
const controlSchema = ControlSchema.defaultSchema
const options = { rehearsal: "worklists", legacySchema, targetSchema, controlSchema, parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate } }

/** A rehearsal and its reconciliation: the run and its ledger, worklist items and findings alike. */
const rehearse = Effect.gen(function*() {
  const db = yield* TestDatabase.TestDatabase
  const run = yield* Rehearsal.run(SwiftPipeline.pipeline, { ...options, batchSize: 250, resume: false })
  for (const step of run.steps) assert.isTrue(Counts.holds(step.counts), `${step.entity}: ${Counts.format(step.counts)}`)
  yield* Reconcile.run(SwiftPipeline.pipeline, { ...options, runId: run.runId })
  const ledger = yield* FindingsLedger.findingsOf(db, controlSchema, run.runId)
  return { run, ledger }
})

/** The rows a run's quarantine holds, as `entity|legacy key|field|rule`. */
const quarantined = (db: Database.Database, runId: string) =>
  db.use("read the quarantine", async (d) =>
    new Set((await d.queryText(
      `SELECT entity, legacy_key, field_path, rule_id FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).quarantine)} WHERE run_id = ${d.dialect.placeholder(1)}`,
      [runId]
    )).map((r) => r.join("|"))))

const itemKey = (f: Finding.Finding) => `${f.entity}|${f.legacyKey}|${f.field}|${f.rule}`

/** Sets a legacy client's date of birth. */
const setBirth = (db: Database.Database, clientNo: string, dob: string) =>
  db.use("change a legacy client", (d) =>
    d.query(
      `UPDATE ${d.dialect.qualify(Table.inSchema(LegacyTables.client, legacySchema))} SET dob_text = ${d.dialect.placeholder(1)} WHERE client_no = ${d.dialect.placeholder(2)}`,
      [dob, clientNo]
    ))

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`worklists across rehearsals on ${dialect}`, (it) => {
    it.effect("a row fixed at source is resolved, one still held back open, one broken again regressed", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
        yield* SwiftEstate.load(db, legacySchema, { seed: 17, clients: 1_000, rates: SwiftDefects.rates() })

        const first = yield* rehearse
        const items = (ledger: ReadonlyArray<FindingsLedger.LedgerFinding>, check: string) => ledger.filter((f) => f.check === check)
        const firstHeld = items(first.ledger, WorklistItems.checks.quarantine)
        assert.deepStrictEqual(new Set(firstHeld.map(itemKey)), yield* quarantined(db, first.run.runId), "one item a row held back")
        assert.isTrue(first.ledger.filter(Finding.isWorklistItem).every((f) => f.status === "new"), "the first rehearsal's items are new")

        // clients held back for their date of birth, fixed at source
        const births = firstHeld.filter((f) => f.entity === "client" && f.field === "dob_text")
        assert.isAtLeast(births.length, 3, "the estate holds clients back for their dates of birth")
        const fixed = births.slice(0, 2)
        for (const f of fixed) yield* setBirth(db, f.legacyKey!, "1950-06-15")
        const clientsHeldBefore = first.run.steps.find((s) => s.entity === "client")!.counts.quarantined

        // a pair of possible duplicates decided two different people: never queued again
        // and a client held back decided not to be migrated: excluded by a rule citing the decision
        const code = items(first.ledger, WorklistItems.checks.codeMapping).find((f) => SwiftPipeline.pipeline.codeValues!(f.field ?? "") !== undefined)!
        assert.isDefined(code, "a code value to map")
        const mapTo = SwiftPipeline.pipeline.codeValues!(code.field!)![0]!
        const [pair, same] = items(first.ledger, WorklistItems.checks.possibleDuplicate) as [FindingsLedger.LedgerFinding, FindingsLedger.LedgerFinding]
        assert.isDefined(same, "two pairs of possible duplicates")
        const dropped = births[2]!
        const decided = yield* Decisions.fromWorkbook(db, {
          file: "decided.xlsx",
          rehearsal: options.rehearsal,
          runId: first.run.runId,
          decided: [
            { sheet: "Possible duplicates", row: 2, check: pair.check, fingerprint: pair.fingerprint, decision: "different_people", mapTo: null, reason: "twins", by: "a data owner", until: null },
            { sheet: "Fix at source", row: 3, check: dropped.check, fingerprint: dropped.fingerprint, decision: "do_not_migrate", mapTo: null, reason: "a test record", by: "a data owner", until: null },
            { sheet: "Possible duplicates", row: 3, check: same.check, fingerprint: same.fingerprint, decision: "same_person", mapTo: null, reason: "same GP", by: "a data owner", until: null },
            { sheet: "Code mapping", row: 2, check: code.check, fingerprint: code.fingerprint, decision: "map_to", mapTo, reason: "an old code", by: "a data owner", until: null }
          ],
          wrong: []
        }, { controlSchema, rehearsal: options.rehearsal, importedBy: "the test", today: "2026-01-01" })
        assert.strictEqual(decided._tag, "Applied")
        const clientsExcludedBefore = first.run.steps.find((s) => s.entity === "client")!.counts.excluded
        const clientsMergedBefore = first.run.steps.find((s) => s.entity === "client")!.counts.merged

        const second = yield* rehearse
        const secondHeld = yield* quarantined(db, second.run.runId)
        const clients = second.run.steps.find((s) => s.entity === "client")!.counts
        assert.strictEqual(clients.quarantined, clientsHeldBefore - fixed.length - 1)
        assert.strictEqual(clients.excluded, clientsExcludedBefore + 1)
        const exclusion = yield* db.use("read the exclusion", (d) =>
          d.queryText(`SELECT rule_id FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).exclusion)} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'client' AND legacy_key = ${d.dialect.placeholder(2)}`, [second.run.runId, dropped.legacyKey]))
        assert.deepStrictEqual(exclusion.map((r) => r[0]), ["decision.do-not-migrate"])
        // the pair decided the same person: one merged into the other, both in the xref under one person
        assert.strictEqual(clients.merged, clientsMergedBefore + 1)
        const xref = yield* db.use("read the xref", (d) =>
          d.queryText(
            `SELECT legacy_key, outcome, target_key, rule_id FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).xref)} ` +
              `WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'client' AND legacy_key IN (${d.dialect.placeholder(2)}, ${d.dialect.placeholder(3)}) ORDER BY outcome`,
            [second.run.runId, same.legacyKey, same.legacyValue]
          ))
        assert.deepStrictEqual(xref.map((r) => [r[0], r[1], r[3]]), [[same.legacyValue, "loaded", null], [same.legacyKey, "merged", "decision.same-person"]])
        assert.strictEqual(xref[0]![2], xref[1]![2], "one person")
        assert.deepStrictEqual(second.ledger.filter((f) => !Finding.isWorklistItem(f) && f.entity === "client" && f.legacyKey === same.legacyKey).map((f) => f.message), [])
        // the reconciliation re-runs the mapping with the same decisions: nothing reported of the row
        assert.deepStrictEqual(second.ledger.filter((f) => !Finding.isWorklistItem(f) && f.legacyKey === dropped.legacyKey && f.entity === "client").map((f) => f.message), [])
        const status = new Map(items(second.ledger, WorklistItems.checks.quarantine).map((f) => [itemKey(f), f.status] as const))
        for (const f of fixed) assert.strictEqual(status.get(itemKey(f)), "resolved", `client ${f.legacyKey}, fixed at source`)
        // every item by the rows of the two runs: held back in both open, in the first only resolved, in the second only new
        const firstKeys = new Set(firstHeld.map(itemKey))
        for (const key of firstKeys) assert.strictEqual(status.get(key), secondHeld.has(key) ? "open" : "resolved", key)
        assert.strictEqual(status.get(itemKey(dropped)), "resolved", "the client decided not to be migrated")
        for (const key of secondHeld) if (!firstKeys.has(key)) assert.strictEqual(status.get(key), "new", key)
        assert.isAbove([...status.values()].filter((s) => s === "open").length, 10)
        const pairs = new Map(items(second.ledger, WorklistItems.checks.possibleDuplicate).map((f) => [f.fingerprint, f.status] as const))
        assert.strictEqual(pairs.get(pair.fingerprint), "resolved", "the pair decided different people")
        assert.strictEqual(pairs.get(same.fingerprint), "resolved", "the pair decided the same person")
        // the code value mapped by the council's code map: no row carries it unmapped any more
        assert.strictEqual(second.ledger.find((f) => f.fingerprint === code.fingerprint)?.status, "resolved", "the code value mapped")
        const unmapped = yield* db.use("read the unmapped codes", (d) =>
          d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).codeIssue)} WHERE run_id = ${d.dialect.placeholder(1)} AND code_system = ${d.dialect.placeholder(2)} AND legacy_value = ${d.dialect.placeholder(3)}`,
            [second.run.runId, code.field, code.legacyValue]))
        assert.strictEqual(Number(unmapped[0]![0]), 0)
        assert.isTrue([...pairs].some(([f, st]) => f !== pair.fingerprint && st === "open"), "the other pairs stay on the queue")
        const queued = yield* db.use("read the review queue", (d) =>
          d.queryText(`SELECT legacy_key, candidate_legacy_key FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).reviewItem)} WHERE run_id = ${d.dialect.placeholder(1)}`, [second.run.runId]))
        assert.notDeepInclude(queued.map((q) => [...q]), [pair.legacyKey, pair.legacyValue])

        // one fix undone: its item comes back as regressed
        yield* setBirth(db, fixed[0]!.legacyKey!, "1943-13-21")
        const third = yield* rehearse
        const again = third.ledger.find((f) => f.check === WorklistItems.checks.quarantine && f.entity === "client" && f.legacyKey === fixed[0]!.legacyKey)
        assert.strictEqual(again?.status, "regressed")
        assert.strictEqual(third.ledger.find((f) => f.fingerprint === again!.fingerprint && f !== again), undefined)
        const other = third.ledger.find((f) => f.check === WorklistItems.checks.quarantine && f.legacyKey === fixed[1]!.legacyKey && f.entity === "client")
        assert.strictEqual(other, undefined, "an item resolved in the run before is not carried again")
        assert.isUndefined(third.ledger.find((f) => f.fingerprint === pair.fingerprint), "the pair decided different people is gone")
      }))
  })
}

plain("the command writes a file per worklist, each item's owner as handover.config.ts names it, and the CLD return", { timeout: 300_000 }, async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-worklists-"))
  try {
    await writeFile(path.join(cwd, "handover.config.ts"), `export default { owners: [
  { name: "Adult social care records", entities: ["client", "address"], figures: [] },
  { name: "Finance team", entities: ["debtor invoice", "debtor receipt"], figures: [] }
] }\n`)
    const url = `pglite://${path.join(cwd, "db")}`
    const done = await handover(["rehearse", "--legacy", url, "--target", url, "--clients", "300", "--seed", "5", "--progress", "none", "--gates", "report"], cwd)
    assert.strictEqual(done.code, 0, done.stderr)
    const reports = path.join(cwd, ".handover", "reports")
    const csv = await readdir(path.join(reports, "csv"))
    for (const id of ["fix-at-source", "check", "code-mapping", "possible-duplicates"]) assert.include(csv, `worklist-${id}.csv`)
    assert.notInclude(csv, "findings-migration.quarantine.csv", "the worklists' items are not listed again as findings")
    const rows = (await readFile(path.join(reports, "csv", "worklist-fix-at-source.csv"), "utf8")).trimEnd().split("\n").map((l) => l.split(","))
    const header = rows[0]!
    assert.deepStrictEqual(header.slice(0, 3), ["fingerprint", "status", "owner"])
    assert.deepStrictEqual(header.slice(-4), ["decision", "reason", "by", "until"])
    const owners = new Map<string, Set<string>>()
    for (const r of rows.slice(1)) owners.set(r[3]!, (owners.get(r[3]!) ?? new Set()).add(r[2]!))
    assert.deepStrictEqual(owners.get("client") ?? owners.get("address"), new Set(["Adult social care records"]))
    // an entity no owner of the file names is the migration team's
    const unowned = [...owners].filter(([entity]) => !["client", "address", "debtor invoice", "debtor receipt"].includes(entity))
    assert.isAbove(unowned.length, 0)
    for (const [entity, names] of unowned) assert.deepStrictEqual(names, new Set(["Migration team"]), entity)
    // the CLD return: the national field names, a row per event, masked
    const cld = (await readFile(path.join(reports, "cld-return.csv"), "utf8")).trimEnd().split("\n")
    assert.strictEqual(cld[0], CldRules.cldColumns.join(","))
    assert.isAbove(cld.length, 300)
    const nhs = CldRules.cldColumns.indexOf("NHS_Number")
    for (const line of cld.slice(1, 50)) {
      const value = line.split(",")[nhs]!
      if (value !== "") assert.match(value, /^\*{6}\d{4}$/, "an NHS number masked")
    }
    assert.include(done.stdout, "cld-return.csv")
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
})
