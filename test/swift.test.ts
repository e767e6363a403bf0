/**
 * The SWIFT migration end to end, on every test database: a 2,000-client estate with injected defects is generated
 * and migrated; the conservation law holds for every entity; every defect the migration itself should catch is
 * quarantined, flagged, excluded, merged or queued for review at its legacy row; unmapped codes are reported; and a
 * second migration of the same estate gives the same target.
 */
import { assert, layer } from "@effect/vitest"
import { Counts, Rehearsal } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { ControlSchema, Table } from "@handover/sql"
import { BusinessChecks, CldProjection, HeadlineFigures, SwiftPipeline, TargetTables } from "@handover/swift-to-ias"
import * as CldRules from "@handover/swift-to-ias/reference/CldRules"
import { Reconcile } from "@handover/reconcile"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"

const legacySchema = "swift"
const targetSchema = "ias"
const controlSchema = ControlSchema.defaultSchema

const options = (rehearsal: string): Rehearsal.Options => ({
  rehearsal,
  batchSize: 500,
  legacySchema,
  targetSchema,
  controlSchema,
  parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
})

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`SWIFT migration on ${dialect}`, (it) => {
    it.effect("migrates a defect-rich estate: conservation, every defect caught, unmapped codes reported, same target twice", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
        const manifest = yield* SwiftEstate.load(db, legacySchema, { seed: 11, clients: 2_000, rates: SwiftDefects.rates() })
        const first = yield* Rehearsal.run(SwiftPipeline.pipeline, options("swift"))
        for (const step of first.steps) assert.isTrue(Counts.holds(step.counts), `${step.entity}: ${Counts.format(step.counts)}`)
        assert.strictEqual(first.steps.length, SwiftPipeline.pipeline.steps.length)

        // every defect the migration should catch has a record at its legacy row
        const caught = new Set<string>()
        const q = (name: string) => db.dialect.qualify({ schema: controlSchema, name })
        const p = db.dialect.placeholder(1)
        for (const sql of [
          `SELECT entity, legacy_key FROM ${q("quarantine")} WHERE run_id = ${p}`,
          `SELECT entity, legacy_key FROM ${q("flag")} WHERE run_id = ${p}`,
          `SELECT entity, legacy_key FROM ${q("exclusion")} WHERE run_id = ${p}`,
          `SELECT entity, legacy_key FROM ${q("xref")} WHERE run_id = ${p} AND outcome = 'merged'`,
          `SELECT entity, legacy_key FROM ${q("review_item")} WHERE run_id = ${p}`
        ]) {
          for (const [entity, key] of yield* db.use("read findings", (d) => d.queryText(sql, [first.runId]))) caught.add(`${entity}/${key}`)
        }
        const missed = manifest.filter((d) => SwiftDefects.byName.get(d.kind)?.caughtBy === "migration" && !caught.has(`${d.entity}/${d.legacyKey}`))
        const byKind = new Map<string, number>()
        for (const d of missed) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1)
        assert.deepStrictEqual(Object.fromEntries(byKind), {}, "injected defects the migration did not catch, by kind")
        // likely duplicates are caught by the review queue itself, not by some other flag on the same row
        const queued = new Set(
          (yield* db.use("read review queue", (d) =>
            d.queryText(`SELECT legacy_key, candidate_legacy_key FROM ${q("review_item")} WHERE run_id = ${p}`, [first.runId]))).flat()
        )
        const fuzzy = manifest.filter((d) => d.kind === "fuzzy_duplicate")
        assert.isAbove(fuzzy.length, 0)
        assert.deepStrictEqual(fuzzy.filter((d) => !queued.has(d.legacyKey)).map((d) => d.legacyKey), [])
        assert.isAbove(manifest.length, 100)

        // the injected invalid codes are in the report of unmapped values
        const unmapped = yield* db.use("read unmapped codes", (d) =>
          d.queryText(`SELECT code_system, legacy_value, rows_flagged, rows_quarantined FROM ${q("unmapped_code")} WHERE run_id = ${p}`, [first.runId]))
        if (manifest.some((d) => d.kind === "invalid_code")) assert.isAbove(unmapped.length, 0)

        // the CLD projection: every row no migration flag touches passes the CLD validation rules
        const projected = yield* db.use("project CLD", (d) =>
          CldProjection.project(d, {
            runId: first.runId,
            targetSchema,
            controlSchema,
            laCode: "999",
            periodStart: "2025-04-01",
            periodEnd: SwiftPipeline.defaultCutoverDate
          }))
        const clean = projected.filter((r) => !r.flagged)
        assert.isAbove(clean.length, 100)
        const broken = clean.flatMap((r) => CldRules.validate(r.row).map((v) => `${r.row.Event_Type} ${v.rule} ${v.field}: ${v.message}`))
        const summary = new Map<string, number>()
        for (const b of broken) summary.set(b.replace(/".*"/, "…"), (summary.get(b.replace(/".*"/, "…")) ?? 0) + 1)
        assert.deepStrictEqual(Object.fromEntries(summary), {}, "CLD rules broken by rows with no migration flag")

        // an untouched migration: the record-level check re-runs every mapping and finds the target as it says
        const reconciled = yield* Reconcile.run(SwiftPipeline.pipeline, {
          rehearsal: "swift",
          legacySchema,
          targetSchema,
          controlSchema,
          parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
        })
        assert.deepStrictEqual(reconciled.findings.map((f) => f.message).slice(0, 10), [])

        // with the migration's own checks: every defect the catalogue leaves to reconciliation is reported at its row
        const checked = yield* Reconcile.run(SwiftPipeline.pipeline, {
          rehearsal: "swift",
          legacySchema,
          targetSchema,
          controlSchema,
          parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate },
          checks: BusinessChecks.all,
          figures: HeadlineFigures.all
        })
        // every headline figure reconciles to the penny and to the person: each variance is explained by a
        // quarantine, an exclusion or a flagged rule
        const figureFindings = checked.findings.filter((f) => f.check.startsWith("figure."))
        assert.deepStrictEqual(figureFindings.map((f) => f.message).slice(0, 5), [])
        assert.isAbove(checked.figures.length, 100)
        const total = (figure: string, measure: string) => checked.figures.find((l) => l.figure === figure && l.dimension === "all" && l.measure === measure)!
        const commitment = total("figure.weekly-commitment", "gross weekly cost")
        assert.isAbove(commitment.target, 0)
        assert.strictEqual(commitment.source - commitment.excluded + commitment.explained, commitment.target)
        assert.isAbove(total("figure.people", "people after merging").target, 0)
        const reported = new Set(checked.findings.map((f) => `${f.entity}/${f.legacyKey}`))
        const unreported = manifest.filter((d) => SwiftDefects.byName.get(d.kind)?.caughtBy === "reconciliation" && !reported.has(`${d.entity}/${d.legacyKey}`))
        if (process.env.HANDOVER_DEBUG_UNREPORTED) {
          for (const d of unreported) {
            const rows = yield* db.use("debug", (dd) => dd.queryText(`SELECT 'q', reason FROM ${q("quarantine")} WHERE run_id = ${p} AND entity = ${dd.dialect.placeholder(2)} AND legacy_key = ${dd.dialect.placeholder(3)} UNION ALL SELECT 'x', outcome || ' ' || target_key FROM ${q("xref")} WHERE run_id = ${p} AND entity = ${dd.dialect.placeholder(2)} AND legacy_key = ${dd.dialect.placeholder(3)} UNION ALL SELECT 'e', reason FROM ${q("exclusion")} WHERE run_id = ${p} AND entity = ${dd.dialect.placeholder(2)} AND legacy_key = ${dd.dialect.placeholder(3)}`, [first.runId, d.entity, d.legacyKey]))
            console.log("UNREPORTED", d.kind, d.entity, d.legacyKey, JSON.stringify(rows))
          }
        }
        const unreportedByKind = new Map<string, number>()
        for (const d of unreported) unreportedByKind.set(d.kind, (unreportedByKind.get(d.kind) ?? 0) + 1)
        const forReconciliation = manifest.filter((d) => SwiftDefects.byName.get(d.kind)?.caughtBy === "reconciliation")
        console.log(`reconciliation reported ${forReconciliation.length - unreported.length} of ${forReconciliation.length} injected defects; not reported: ${JSON.stringify(Object.fromEntries(unreportedByKind))}`)
        // a rate on the only line of its provider and service, or a payment after death recorded against a merged
        // record, leaves nothing to compare with: at most one in twenty may go unreported
        assert.isAtMost(unreported.length, Math.floor(forReconciliation.length / 20), JSON.stringify(Object.fromEntries(unreportedByKind)))
        for (const kind of ["overlapping_service", "transfer_gap_overlap", "financial_year_rekey", "gross_net_inconsistent", "late_invoice", "receipt_exceeds_invoice"]) {
          assert.strictEqual(unreportedByKind.get(kind) ?? 0, 0, kind)
        }
        const injected = new Set(manifest.map((d) => `${d.entity}/${d.legacyKey}`))
        const uncaused = checked.findings.filter((f) => !injected.has(`${f.entity}/${f.legacyKey}`))
        console.log(`reconciliation: ${checked.findings.length} findings, ${uncaused.length} with no injected defect at their row`)

        // a second rehearsal of the same estate gives the same target
        const snapshot = Effect.gen(function*() {
          const out: Record<string, ReadonlyArray<string>> = {}
          for (const table of TargetTables.all) {
            const placed = Table.inSchema(table, targetSchema)
            const rows = yield* db.use("snapshot", (d) =>
              d.queryText(`SELECT * FROM ${d.dialect.qualify(placed)} ORDER BY ${table.primaryKey.map((k) => d.dialect.quoteIdentifier(k)).join(", ")}`))
            out[table.name] = rows.map((r) => JSON.stringify(r))
          }
          return out
        })
        const before = yield* snapshot
        const second = yield* Rehearsal.run(SwiftPipeline.pipeline, options("swift"))
        assert.notStrictEqual(second.runId, first.runId)
        assert.deepStrictEqual(second.steps, first.steps)
        assert.deepStrictEqual(yield* snapshot, before)

        // money changed in the target after the load shows in the figures, at the rows changed
        const cpli = Table.inSchema(TargetTables.carePackageLineItem, targetSchema)
        const arInvoice = Table.inSchema(TargetTables.arInvoice, targetSchema)
        const changed = yield* db.use("tamper", async (d) => {
          const [line] = await d.queryText(
            `SELECT c.cpli_id, c.service_id, x.legacy_key FROM ${d.dialect.qualify(cpli)} c JOIN ${q("xref")} x ON x.target_key = c.service_id AND x.run_id = ${p} ` +
              `WHERE c.end_date IS NULL AND c.weekly_cost_gross > 10 ORDER BY c.cpli_id`,
            [second.runId]
          )
          const [invoice] = await d.queryText(
            `SELECT i.ar_invoice_id, x.legacy_key FROM ${d.dialect.qualify(arInvoice)} i JOIN ${q("xref")} x ON x.target_key = i.ar_invoice_id AND x.run_id = ${p} ORDER BY i.ar_invoice_id`,
            [second.runId]
          )
          await d.query(`UPDATE ${d.dialect.qualify(cpli)} SET weekly_cost_gross = weekly_cost_gross - 0.01 WHERE cpli_id = ${d.dialect.placeholder(1)}`, [line![0]])
          await d.query(`DELETE FROM ${d.dialect.qualify(arInvoice)} WHERE ar_invoice_id = ${d.dialect.placeholder(1)}`, [invoice![0]])
          return { lineKey: String(line![2]), serviceId: String(line![1]), invoiceKey: String(invoice![1]) }
        })
        const tampered = yield* Reconcile.run(SwiftPipeline.pipeline, {
          rehearsal: "swift",
          legacySchema,
          targetSchema,
          controlSchema,
          parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate },
          figures: HeadlineFigures.all
        })
        const moneyFindings = tampered.findings.filter((f) => f.check.startsWith("figure.") && f.status !== "resolved")
        const commitmentTotal = moneyFindings.find((f) => f.check === "figure.weekly-commitment" && f.field === "gross weekly cost by all: all")
        assert.isDefined(commitmentTotal)
        assert.include(commitmentTotal!.message, "-£0.01 unexplained")
        assert.include(commitmentTotal!.message, `${changed.lineKey} → ${changed.serviceId}`)
        const invoiceTotal = moneyFindings.find((f) => f.check === "figure.debtor-invoices" && f.field === "invoices by all: all")
        assert.isDefined(invoiceTotal)
        assert.include(invoiceTotal!.message, `${changed.invoiceKey} → `)
        // nothing else moved: every figure finding is about the two rows changed
        for (const f of moneyFindings) assert.oneOf(f.check, ["figure.weekly-commitment", "figure.debtor-invoices"], f.message)
      }))
  })
}
