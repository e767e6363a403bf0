/**
 * The SWIFT migration end to end, on every test database: a 2,000-client estate with injected defects is generated
 * and migrated; the conservation law holds for every entity; every injected defect is caught at its legacy row by one
 * of its kind's catchers (the quarantine, flag, exclusion, merge, review item or finding of its rule and field), but
 * for the few listed below with the reason each is accepted, and every finding but those listed has an injected cause;
 * unmapped codes are reported; and a second migration of the same estate gives the same target.
 */
import { assert, layer } from "@effect/vitest"
import { Counts, Rehearsal } from "@handover/core"
import { SwiftCatchers, SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { ControlSchema, Table } from "@handover/sql"
import { BusinessChecks, CldProjection, HeadlineFigures, Rules, SwiftPipeline, TargetTables } from "@handover/swift-to-ias"
import * as CldRules from "@handover/swift-to-ias/reference/CldRules"
import { Figure, Finding, FindingsLedger, Reconcile, WorklistItems } from "@handover/reconcile"
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

/**
 * The injected defects of the 2,000-client estate of seed 11 that no catcher of their kind records at their row, by
 * kind: on a row the migration held back for another reason, or missed. Each is accepted for the reason given.
 */
const uncaught = {
  // line 1515 of a client whose date of birth reads 1932-13-18 (a free_text_date): the client is quarantined, and
  // with it the package and this line, before the line's end date is looked at
  deceased_open_service: { heldBack: 1, missed: 0 },
  // line 473 is the only line of its provider and service, and line 989 a direct payment with no provider: the
  // rate-for-year check has no other rate of the provider to compare either with
  wrong_uplift: { heldBack: 0, missed: 2 },
  // invoice 2092's only line pays for package line 1424, quarantined for ending before it starts (an end_before_start):
  // the line is quarantined with it, and nothing in the target ties the invoice to the client who died
  payment_after_death: { heldBack: 0, missed: 1 }
}

/**
 * The findings of the same estate that catch no injected defect at their row. The rate-for-year check reports both
 * lines of a provider's service that has two when one has a wrong_uplift: the median of two rates falls between them
 * and nothing tells which one is right.
 */
const uncaused = [
  // the other line of the provider and nursing service of line 1332, a wrong_uplift
  "rule.rate-for-year unit_rate package line/313",
  // the other line of the provider and residential service of line 1329, a wrong_uplift
  "rule.rate-for-year unit_rate package line/671"
]

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

        // every kind of the catalogue is injected, and caught by the rules and checks the catalogue names
        assert.deepStrictEqual(SwiftDefects.kinds.filter((k) => !manifest.some((d) => d.kind === k.name)).map((k) => k.name), [])
        const known = new Set([...Object.values(Rules).flatMap((group) => Object.values(group).map((r) => r.id)), ...BusinessChecks.all.map((c) => c.id)])
        assert.deepStrictEqual(SwiftDefects.kinds.flatMap((k) => k.catchers.filter((c) => !known.has(c.rule)).map((c) => `${k.name}: ${c.rule}`)), [])
        const records = yield* db.use("read the run's records", (d) => SwiftCatchers.records(d, controlSchema, first.runId))
        const q = (name: string) => db.dialect.qualify({ schema: controlSchema, name })
        const p = db.dialect.placeholder(1)

        // the injected invalid codes are in the report of unmapped values
        const unmapped = yield* db.use("read unmapped codes", (d) =>
          d.queryText(`SELECT code_system, legacy_value, rows_flagged, rows_quarantined FROM ${q("unmapped_code")} WHERE run_id = ${p}`, [first.runId]))
        if (manifest.some((d) => d.kind === "invalid_code")) assert.isAbove(unmapped.length, 0)

        // the CLD projection: every row no migration flag touches passes the CLD validation rules
        const summary = new Map<string, number>()
        const clean = yield* db.use("project CLD", async (d) => {
          let rows = 0
          for await (const page of CldProjection.project(d, {
            runId: first.runId,
            targetSchema,
            controlSchema,
            laCode: "999",
            periodStart: "2025-04-01",
            periodEnd: SwiftPipeline.defaultCutoverDate
          })) {
            for (const r of page) {
              if (r.flagged) continue
              rows += 1
              for (const v of CldRules.validate(r.row)) {
                const b = `${r.row.Event_Type} ${v.rule} ${v.field}: ${v.message}`.replace(/".*"/, "…")
                summary.set(b, (summary.get(b) ?? 0) + 1)
              }
            }
          }
          return rows
        })
        assert.isAbove(clean, 100)
        assert.deepStrictEqual(Object.fromEntries(summary), {}, "CLD rules broken by rows with no migration flag")

        // an untouched migration: the record-level check re-runs every mapping and finds the target as it says
        const reconciled = yield* Reconcile.run(SwiftPipeline.pipeline, {
          rehearsal: "swift",
          legacySchema,
          targetSchema,
          controlSchema,
          parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
        })
        const ledger = yield* FindingsLedger.findingsOf(db, controlSchema, reconciled.runId)
        assert.strictEqual(reconciled.findings, ledger.length)
        const untouched = ledger.filter((f) => !Finding.isWorklistItem(f))
        assert.deepStrictEqual(untouched.map((f) => f.message).slice(0, 10), [])
        // beside them, one worklist item for each row held back, each flag to check (warnings and errors), each
        // unmapped code value and each possible duplicate pair: as many as the control tables hold
        const controlCounts = yield* db.use("count the control tables", async (d) => {
          const t = ControlSchema.tables(controlSchema)
          const count = async (table: Table.Table, where = "") =>
            Number((await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)}${where}`, [reconciled.runId]))[0]![0])
          const counts: Record<string, number> = {
            [WorklistItems.checks.quarantine]: await count(t.quarantine),
            [WorklistItems.checks.flag]: await count(t.flag, " AND severity IN ('warning', 'error')"),
            [WorklistItems.checks.codeMapping]: await count(t.unmappedCode),
            [WorklistItems.checks.possibleDuplicate]: await count(t.reviewItem)
          }
          return counts
        })
        const itemCounts = Object.fromEntries(Object.keys(controlCounts).map((check) => [check, ledger.filter((f) => f.check === check).length]))
        assert.deepStrictEqual(itemCounts, controlCounts)
        for (const check of Object.keys(controlCounts)) assert.isAbove(controlCounts[check]!, 0, `${check}: the estate plants what it lists`)
        assert.strictEqual(ledger.length - untouched.length, Object.values(controlCounts).reduce((a, b) => a + b, 0))

        // with the migration's own checks and the headline figures
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
        const checkedFindings = yield* FindingsLedger.findingsOf(db, controlSchema, checked.runId)
        const checkedFigures = yield* Figure.lines(db, controlSchema, checked.runId)
        const figureFindings = checkedFindings.filter((f) => f.check.startsWith("figure."))
        assert.deepStrictEqual(figureFindings.map((f) => f.message).slice(0, 5), [])
        assert.isAbove(checkedFigures.length, 100)
        assert.strictEqual(checked.figureLines, checkedFigures.length)
        const total = (figure: string, measure: string) => checkedFigures.find((l) => l.figure === figure && l.dimension === "all" && l.measure === measure)!
        const commitment = total("figure.weekly-commitment", "gross weekly cost")
        assert.isAbove(commitment.target, 0)
        assert.strictEqual(commitment.source - commitment.excluded + commitment.explained, commitment.target)
        assert.isAbove(total("figure.people", "people after merging").target, 0)
        // each injected defect caught by one of its kind's catchers at its row, but for those accepted above; every
        // finding but those listed above caught an injected defect at its row
        const truth = SwiftCatchers.compare(manifest, records, checkedFindings.filter((f) => f.status !== "resolved" && !Finding.isWorklistItem(f)))
        const notCaught = truth.defects.filter((d) => d.outcome !== "caught").map((d) => `${d.defect.kind} ${d.outcome} ${d.defect.entity}/${d.defect.legacyKey}`)
        assert.deepStrictEqual(SwiftCatchers.uncaughtByKind(truth), uncaught, notCaught.join("; "))
        assert.deepStrictEqual(truth.uncaused.map((f) => `${f.check} ${f.field} ${f.entity}/${f.legacyKey}`).sort(), uncaused)
        assert.deepStrictEqual(SwiftCatchers.summary(truth), {
          injected: 1_066,
          forReconciliation: 134,
          reported: 131,
          heldBack: 0,
          missed: { wrong_uplift: 2, payment_after_death: 1 },
          findings: 141,
          withoutInjectedCause: 2
        })
        // the same ground truth a page of defects at a time, whatever the pages (a row's defects split across two)
        async function* pagesOf<A>(items: ReadonlyArray<A>, size: number) {
          for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
        }
        for (const [given, read] of [[1_066, 20_000], [97, 13], [5, 1], [400, 250]] as const) {
          const paged = yield* db.use("ground truth in pages", (d) =>
            SwiftCatchers.groundTruth(d, controlSchema, checked.runId, pagesOf(manifest, given), { pageSize: read }))
          assert.deepStrictEqual(paged, SwiftCatchers.summary(truth), `defects given ${given} and read ${read} at a time`)
        }

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
        const moneyFindings = (yield* FindingsLedger.findingsOf(db, controlSchema, tampered.runId)).filter((f) => f.check.startsWith("figure.") && f.status !== "resolved")
        const commitmentTotal = moneyFindings.find((f) => f.check === "figure.weekly-commitment" && f.field === "gross weekly cost by all: all")
        assert.isDefined(commitmentTotal)
        assert.include(commitmentTotal!.message, "-£0.01 unexplained")
        assert.include(commitmentTotal!.message, `${changed.lineKey} → ${changed.serviceId}`)
        const invoiceTotal = moneyFindings.find((f) => f.check === "figure.debtor-invoices" && f.field === "invoices by all: all")
        assert.isDefined(invoiceTotal)
        assert.include(invoiceTotal!.message, `${changed.invoiceKey} → `)
        // nothing else moved: every figure finding is about the two rows changed
        for (const f of moneyFindings) assert.oneOf(f.check, ["figure.weekly-commitment", "figure.debtor-invoices"], f.message)
      }), 600_000)
  })
}
