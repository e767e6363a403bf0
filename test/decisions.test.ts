/**
 * Decisions come back from the workbook: decisions a person writes into the worklists of a rehearsal's `report.xlsx`,
 * or beside the findings on a check's sheet, are, once imported, exactly the decisions the control schema holds, with the sheet and row each came from; the same
 * workbook opened and saved again by LibreOffice imports the same decisions; and a workbook with any wrong row —
 * an unknown or repeated fingerprint, a decision the sheet does not allow, a day that has passed, a 1 MB cell, another
 * rehearsal series — is refused whole, each wrong row named by its sheet and row, nothing applied. Formulas, moved
 * columns and extra sheets are read, not crashed on.
 */
import { assert, layer } from "@effect/vitest"
import { Rehearsal } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { Decisions, FindingsLedger, Reconcile } from "@handover/reconcile"
import { DecisionSheets, Gates, Masking, ReportData, Reports, Worklists } from "@handover/report"
import { ControlSchema, type Database } from "@handover/sql"
import { BusinessChecks, SwiftPipeline } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import ExcelJS from "exceljs"
import fc from "fast-check"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"

const runs = Math.max(3, Math.floor(Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) / 4))
const legacySchema = "swift"
const targetSchema = "ias"
const controlSchema = ControlSchema.defaultSchema
const rehearsal = "decisions"
const options = { rehearsal, legacySchema, targetSchema, controlSchema, parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate } }
const today = new Date().toISOString().slice(0, 10)
const soffice = "/usr/bin/soffice"

/** A decision written into a worklist row. */
interface Written {
  readonly fingerprint: string
  readonly sheet: string
  readonly decision: string
  readonly mapTo: string | null
  readonly reason: string
  readonly by: string | null
  readonly until: string | null
}

/** Writes decisions into the rows of their items in a copy of the workbook. */
const writeDecisions = async (from: string, to: string, decisions: ReadonlyArray<Written>, edit?: (book: ExcelJS.Workbook) => void) => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(from)
  for (const d of decisions) {
    const sheet = book.getWorksheet(d.sheet)!
    const header = (sheet.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
    let row: ExcelJS.Row | undefined
    sheet.eachRow((r, n) => {
      if (n > 1 && r.getCell(header.indexOf("fingerprint")).value === d.fingerprint) row = r
    })
    const set = (column: string, value: ExcelJS.CellValue) => (row!.getCell(header.indexOf(column)).value = value)
    set("decision", d.decision)
    set("reason", d.reason)
    set("by", d.by)
    set("until", d.until === null ? null : new Date(`${d.until}T00:00:00Z`))
    if (header.includes("map to")) set("map to", d.mapTo)
  }
  edit?.(book)
  await book.xlsx.writeFile(to)
}

/** The decisions in force, with where each came from, as `Written`. */
const inForce = (db: Database.Database) =>
  db.use("read the decisions", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    const rows = await d.queryText(
      `SELECT t.fingerprint, s.sheet, t.decision, c.target_value, t.reason, t.decided_by, t.expires_on FROM ${d.dialect.qualify(t.triage)} t ` +
        `JOIN ${d.dialect.qualify(t.triageSource)} s ON s.fingerprint = t.fingerprint ` +
        `LEFT JOIN ${d.dialect.qualify(t.councilCodeMap)} c ON c.fingerprint = t.fingerprint ORDER BY t.fingerprint`
    )
    return rows.map((r) => JSON.stringify(r))
  })

const clearDecisions = (db: Database.Database) =>
  db.use("clear the decisions", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    for (const table of [t.triage, t.triageSource, t.councilCodeMap, t.decisionImport]) await d.query(`DELETE FROM ${d.dialect.qualify(table)}`)
  })

const importFile = (db: Database.Database, file: string, series = rehearsal) =>
  Effect.gen(function*() {
    const read = yield* Effect.promise(() => DecisionSheets.read(file))
    assert.strictEqual(read.pipeline, SwiftPipeline.pipeline.name)
    return yield* Decisions.fromWorkbook(db, { file: path.basename(file), ...read }, {
      controlSchema,
      rehearsal: series,
      importedBy: "the test",
      today,
      codeValues: SwiftPipeline.pipeline.codeValues
    })
  })

const expectedOf = (written: ReadonlyArray<Written>) =>
  [...written].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)).map((w) =>
    JSON.stringify([w.fingerprint, w.sheet, DecisionSheets.decisionOf(w.decision), w.mapTo, w.reason, w.by ?? "the test", w.until])
  )

/** The workbook saved again by LibreOffice, as a person's copy of Calc would. */
const resaved = (file: string, folder: string) => {
  assert.isTrue(existsSync(soffice), `LibreOffice (${soffice}) is needed: apt-get install -y libreoffice-calc`)
  execFileSync(soffice, ["--headless", `-env:UserInstallation=file://${folder}/profile`, "--convert-to", "xlsx", "--outdir", path.join(folder, "resaved"), file], { stdio: "ignore", timeout: 120_000 })
  return path.join(folder, "resaved", path.basename(file))
}

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "600 seconds", excludeTestServices: true })(`decisions from the workbook on ${dialect}`, (it) => {
    it.effect("round trip, LibreOffice's copy, and hostile workbooks refused whole", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
        yield* SwiftEstate.load(db, legacySchema, { seed: 11, clients: 1_000, rates: SwiftDefects.rates() })
        const run = yield* Rehearsal.run(SwiftPipeline.pipeline, { ...options, batchSize: 500 })
        yield* Reconcile.run(SwiftPipeline.pipeline, { ...options, runId: run.runId, checks: BusinessChecks.all })
        const folder = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-decisions-")))
        yield* body(db, run.runId, folder).pipe(Effect.ensuring(Effect.promise(() => rm(folder, { recursive: true, force: true }))))
      }))
  })
}

const body = (db: Database.Database, runId: string, folder: string) =>
  Effect.gen(function*() {
    const data = yield* ReportData.load(db, { runId, masker: Masking.make("masked") })
    yield* Reports.writeAll(path.join(folder, "reports"), data, Gates.evaluate(data), { owners: [], codeValues: SwiftPipeline.pipeline.codeValues })
    const workbook = path.join(folder, "reports", "report.xlsx")
    const ledger = yield* FindingsLedger.findingsOf(db, controlSchema, runId)
    const items = Worklists.worklists.map((w) => ({ worklist: { title: w.title, decisions: w.decisions }, items: ledger.filter((f) => f.check === w.check) }))
    for (const { worklist, items: list } of items) assert.isAbove(list.length, 1, `${worklist.title}: items to decide`)
    // and the findings of the business rules, on their checks' sheets
    for (const check of ["rule.late-client-invoice", "rule.financial-year-rekey"]) {
      const findings = ledger.filter((f) => f.check === check)
      assert.isAbove(findings.length, 1, `${check}: findings to decide`)
      items.push({ worklist: { title: check, decisions: Worklists.findingDecisions }, items: findings })
    }

    // round trip: any decisions written in, imported, are exactly the decisions held
    // a value to map to from the code system's own list
    const listOf = (f: FindingsLedger.LedgerFinding) => SwiftPipeline.pipeline.codeValues!(f.field ?? "") ?? []
    const decisionArb = fc.constantFrom(...items).chain(({ worklist, items: list }) =>
      fc.constantFrom(...list).chain((item) =>
        fc.record({
          fingerprint: fc.constant(item.fingerprint),
          sheet: fc.constant(worklist.title),
          decision: fc.constantFrom(...worklist.decisions.filter((d) => d !== "map to" || listOf(item).length > 0)),
          reason: fc.string({ maxLength: 60 }).map((s) => s.replace(/[\u0000-\u001f]/g, " ").trim()),
          by: fc.option(fc.constantFrom("A. Manager", "Finance officer", "Ségolène O'Neil"), { nil: null }),
          until: fc.option(fc.integer({ min: 0, max: 900 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)), { nil: null }),
          mapTo: listOf(item).length > 0 ? fc.constantFrom(...listOf(item)) : fc.constant(null)
        }).map((w): Written => ({ ...w, mapTo: w.decision === "map to" ? w.mapTo : null }))
      )
    )
    // the value to map to, picked from a drop-down list of the code system's values on the Lists sheet
    yield* Effect.promise(async () => {
      const book = new ExcelJS.Workbook()
      await book.xlsx.readFile(workbook)
      const sheet = book.getWorksheet("Code mapping")!
      const header = (sheet.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
      const letter = String.fromCharCode(64 + header.indexOf("map to"))
      const model = (sheet as unknown as { readonly dataValidations: { readonly model: Record<string, ExcelJS.DataValidation> } }).dataValidations.model
      const lists = book.getWorksheet("Lists")!
      let listed = 0
      sheet.eachRow((row, n) => {
        if (n === 1) return
        const system = String(row.getCell(header.indexOf("code system")).value)
        const range = model[`${letter}${n}`]?.formulae[0] as string | undefined
        const values = SwiftPipeline.pipeline.codeValues!(system)
        if (values === undefined) return assert.isUndefined(range, system)
        const [, column] = /^Lists!\$([A-Z]+)\$2:/.exec(range ?? "") ?? []
        const col = lists.getColumn(column!)
        assert.deepStrictEqual(col.values.slice(2, values.length + 2), [...values], system)
        listed++
      })
      assert.isAbove(listed, 0)
    })
    let lastFile = ""
    let lastExpected: ReadonlyArray<string> = []
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.uniqueArray(decisionArb, { selector: (w) => w.fingerprint, minLength: 1, maxLength: 12 }), async (written) => {
          await Effect.runPromise(clearDecisions(db))
          const file = path.join(folder, `decided-${Date.now()}.xlsx`)
          await writeDecisions(workbook, file, written)
          const outcome = await Effect.runPromise(importFile(db, file))
          assert.strictEqual(outcome._tag, "Applied", JSON.stringify(outcome))
          assert.deepStrictEqual(await Effect.runPromise(inForce(db)), expectedOf(written))
          lastFile = file
          lastExpected = expectedOf(written)
        }),
        { numRuns: runs }
      )
    )

    // the last workbook, saved again by LibreOffice: the same decisions
    yield* clearDecisions(db)
    const copy = resaved(lastFile, folder)
    const again = yield* importFile(db, copy)
    assert.strictEqual(again._tag, "Applied", JSON.stringify(again))
    assert.deepStrictEqual(yield* inForce(db), lastExpected)

    // a hostile workbook: every wrong row named, nothing applied
    const [check, duplicates] = [items.find((i) => i.worklist.title === "Check")!, items.find((i) => i.worklist.title === "Possible duplicates")!]
    const fine: Written = { fingerprint: check.items[0]!.fingerprint, sheet: "Check", decision: "accepted", mapTo: null, reason: "known", by: null, until: null }
    const hostile = path.join(folder, "hostile.xlsx")
    const rowOf = (sheet: ExcelJS.Worksheet, fingerprint: string) => {
      let found = 0
      sheet.eachRow((r, n) => {
        if (r.getCell(1).value === fingerprint) found = n
      })
      return found
    }
    const rows: Record<string, number> = {}
    yield* Effect.promise(() =>
      writeDecisions(workbook, hostile, [fine], (book) => {
        const sheet = book.getWorksheet("Check")!
        const header = (sheet.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
        const set = (n: number, column: string, value: ExcelJS.CellValue) => (sheet.getRow(n).getCell(header.indexOf(column)).value = value)
        // an unknown fingerprint
        rows.unknown = rowOf(sheet, check.items[1]!.fingerprint)
        set(rows.unknown, "fingerprint", "0123456789abcdef0123456789abcdef")
        set(rows.unknown, "decision", "accepted")
        // the fine row's item decided again further down
        rows.repeated = rowOf(sheet, check.items[2]!.fingerprint)
        set(rows.repeated, "fingerprint", fine.fingerprint)
        set(rows.repeated, "decision", "fix at source")
        // a decision the sheet does not allow, through a formula
        rows.wrong = rowOf(sheet, check.items[3]!.fingerprint)
        set(rows.wrong, "decision", { formula: "\"same \"&\"person\"", result: "same person" })
        // a day that has passed
        rows.past = rowOf(sheet, check.items[4]!.fingerprint)
        set(rows.past, "decision", "accepted")
        set(rows.past, "until", new Date("2020-01-31T00:00:00Z"))
        // a 1 MB reason
        rows.huge = rowOf(sheet, check.items[5]!.fingerprint)
        set(rows.huge, "decision", "fix at source")
        set(rows.huge, "reason", "x".repeat(1 << 20))
        // an item of another sheet
        rows.elsewhere = rowOf(sheet, check.items[6]!.fingerprint)
        set(rows.elsewhere, "fingerprint", duplicates.items[0]!.fingerprint)
        set(rows.elsewhere, "decision", "accepted")
        // a value to map to that is not on its code system's list
        const codes = book.getWorksheet("Code mapping")!
        const codeHeader = (codes.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
        codes.eachRow((r, n) => {
          const system = String(r.getCell(codeHeader.indexOf("code system")).value)
          if (n > 1 && rows.unlisted === undefined && SwiftPipeline.pipeline.codeValues!(system) !== undefined) rows.unlisted = n
        })
        codes.getRow(rows.unlisted!).getCell(codeHeader.indexOf("decision")).value = "map to"
        codes.getRow(rows.unlisted!).getCell(codeHeader.indexOf("map to")).value = "A value of no list"
        // an extra sheet of the person's own, and merged cells: read past
        book.addWorksheet("My notes").addRow(["fingerprint", "decision"]).commit()
        book.getWorksheet("My notes")!.addRow([fine.fingerprint, "same person"])
        book.getWorksheet("Check")!.mergeCells(`A${check.items.length + 3}:C${check.items.length + 3}`)
      }))
    yield* clearDecisions(db)
    const digest = yield* Rehearsal.decisionsDigest(db, controlSchema)
    const refused = yield* importFile(db, hostile)
    assert.strictEqual(refused._tag, "Refused")
    const named = refused._tag === "Refused" ? refused.wrong.map((w) => `${w.sheet} ${w.row}`) : []
    for (const [what, n] of Object.entries(rows)) assert.include(named, `${what === "unlisted" ? "Code mapping" : "Check"} ${n}`, `the ${what} row is named`)
    assert.strictEqual(named.length, Object.keys(rows).length, JSON.stringify(refused))
    assert.deepStrictEqual(yield* inForce(db), [], "nothing applied")
    assert.strictEqual(yield* Rehearsal.decisionsDigest(db, controlSchema), digest, "the decisions a run is made with are as they were")

    // the same decisions in a workbook of another rehearsal series: refused whole
    const fineFile = path.join(folder, "fine.xlsx")
    yield* Effect.promise(() => writeDecisions(workbook, fineFile, [fine]))
    const elsewhere = yield* importFile(db, fineFile, "another-series")
    assert.strictEqual(elsewhere._tag, "Refused")
    assert.deepStrictEqual(yield* inForce(db), [])
    // and in its own series, with its columns moved: applied
    const moved = path.join(folder, "moved.xlsx")
    yield* Effect.promise(async () => {
      const book = new ExcelJS.Workbook()
      await book.xlsx.readFile(fineFile)
      const sheet = book.getWorksheet("Check")!
      sheet.spliceColumns(1, 0, ["notes", ...Array.from({ length: sheet.rowCount - 1 }, () => "a column of mine")])
      await book.xlsx.writeFile(moved)
    })
    const applied = yield* importFile(db, moved)
    assert.strictEqual(applied._tag, "Applied", JSON.stringify(applied))
    assert.deepStrictEqual(yield* inForce(db), expectedOf([fine]))
    // a decision made: the next rehearsal is made with other decisions, and starts a new run rather than resuming one
    assert.notStrictEqual(yield* Rehearsal.decisionsDigest(db, controlSchema), digest)
  })
