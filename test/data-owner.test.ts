/**
 * A data owner's round of the loop, as the council runs it: a rehearsal writes its worklists; a data owner decides every
 * possible duplicate pair in the workbook (the same person where the pair shares no record with another pair decided
 * so, different people otherwise), maps every unmapped code value to a value of its list, fixes some rows held back at
 * source in the legacy system and decides others not to be migrated; the workbook comes back with `handover triage
 * --import`; and the next rehearsal's counts change by exactly those decisions and fixes, and nothing else: the merges
 * on the client step, the fixed rows loaded and the rows decided away excluded on their own step, every other step's
 * counts as they were, no row flagged for a code value mapped, nothing left on the review queue, and every item decided
 * or fixed resolved.
 *
 * `HANDOVER_DATA_OWNER_CLIENTS` sets the estate's size (1,000 clients by default; the default estate is 10,000), and
 * then the figures of the round are printed.
 */
import { assert, it } from "@effect/vitest"
import { FindingsLedger, WorklistItems } from "@handover/reconcile"
import { type ReportData, Worklists } from "@handover/report"
import { ControlSchema, Database, Table } from "@handover/sql"
import { LegacyTables, SwiftPipeline } from "@handover/swift-to-ias"
import * as Effect from "effect/Effect"
import ExcelJS from "exceljs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"

const clients = Number(process.env.HANDOVER_DATA_OWNER_CLIENTS ?? 1_000)
const seed = 11
const t = ControlSchema.tables(ControlSchema.defaultSchema)

type EntityCounts = ReportData.EntityCounts

/** A rehearsal of the estate as a user runs it, with its reports; its run and each step's counts from `report.json`. */
const rehearse = async (cwd: string) => {
  const done = await handover(["rehearse", "--clients", String(clients), "--seed", String(seed), "--progress", "none", "--gates", "report"], cwd)
  assert.strictEqual(done.code, 0, done.stderr)
  const report = JSON.parse(await readFile(path.join(cwd, ".handover", "reports", "report.json"), "utf8")) as {
    readonly run: { readonly runId: string }
    readonly entities: ReadonlyArray<EntityCounts>
  }
  return { runId: report.run.runId, counts: new Map(report.entities.map((e) => [e.entity, e] as const)) }
}

/** A query on one of the rehearsal's embedded databases, between commands. */
const query = (cwd: string, database: "legacy" | "target", sql: (d: Database.Database["driver"]) => Promise<ReadonlyArray<ReadonlyArray<string | null>>>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(`pglite://${path.join(cwd, ".handover", database)}`)
    return yield* db.use("look at the rehearsal's database", sql)
  })))

/** A count of a control table's rows for a run. */
const countOf = (cwd: string, table: typeof t.flag, runId: string, where = "") =>
  query(cwd, "target", (d) => d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)}${where}`, [runId]))
    .then((r) => Number(r[0]![0]))

/** A worklist sheet's rows, each by its header's names, with the row itself to write decisions into. */
const sheetRows = (workbook: ExcelJS.Workbook, name: string) => {
  const sheet = workbook.getWorksheet(name)
  assert.isDefined(sheet, name)
  const headers = (sheet!.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
  const rows: Array<{ readonly cells: Readonly<Record<string, string>>; readonly set: (header: string, value: string) => void }> = []
  sheet!.eachRow((row, n) => {
    if (n === 1) return
    const cells: Record<string, string> = {}
    headers.forEach((h, i) => (cells[h] = row.getCell(i).text))
    rows.push({ cells, set: (header, value) => (row.getCell(headers.indexOf(header)).value = value) })
  })
  return rows
}

it("a data owner's decisions and fixes change the next rehearsal's counts by exactly what was decided", { timeout: 1_800_000 }, async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-data-owner-"))
  try {
    const first = await rehearse(cwd)
    const file = path.join(cwd, ".handover", "reports", "report.xlsx")
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.readFile(file)

    // every possible duplicate pair decided: the same person where neither record is in a pair decided so already
    const pairs = sheetRows(workbook, "Possible duplicates")
    assert.isAbove(pairs.length, 0, "pairs to decide")
    const merging = new Set<string>()
    const samePerson: Array<readonly [string, string]> = []
    for (const pair of pairs) {
      const [a, b] = [pair.cells["legacy key"]!, pair.cells["other legacy key"]!]
      const same = !merging.has(a) && !merging.has(b) && samePerson.length <= pairs.length / 2
      if (same) {
        merging.add(a).add(b)
        samePerson.push([a, b])
      }
      pair.set("decision", Worklists.decisionWords(same ? "same_person" : "different_people"))
      pair.set("reason", same ? "the same person: one GP, one address" : "twins at one address")
      pair.set("by", "a service manager")
    }

    // every unmapped code value mapped to the first value of its list
    const codes = sheetRows(workbook, "Code mapping")
    assert.isAbove(codes.length, 0, "codes to map")
    const mappedRows = codes.reduce((n, c) => n + Number(c.cells["rows"]), 0)
    const mappedTo = new Map<string, string>()
    for (const code of codes) {
      const list = SwiftPipeline.pipeline.codeValues!(code.cells["code system"]!)
      assert.isDefined(list, code.cells["code system"])
      code.set("decision", Worklists.decisionWords("map_to"))
      code.set("map to", list![0]!)
      mappedTo.set(code.cells["fingerprint"]!, list![0]!)
      code.set("reason", "the old code's meaning, from the service's records")
      code.set("by", "the performance team")
    }

    // contributions held back for an amount written as text: half fixed at source, half decided not to be migrated
    const held = sheetRows(workbook, "Fix at source").filter((r) => r.cells["entity"] === "contribution" && r.cells["field"] === "weekly_amount_text")
    assert.isAtLeast(held.length, 2, "contributions held back for their amount")
    const fixed = held.filter((_, i) => i % 2 === 0)
    const dropped = held.filter((_, i) => i % 2 === 1)
    for (const row of fixed) {
      row.set("decision", Worklists.decisionWords("fix_at_source"))
      row.set("reason", "amount re-keyed from the award letter")
    }
    for (const row of dropped) {
      row.set("decision", Worklists.decisionWords("do_not_migrate"))
      row.set("reason", "a test record")
    }
    await workbook.xlsx.writeFile(file)
    const imported = await handover(["triage", "--import", file, "--by", "a data owner"], cwd)
    assert.strictEqual(imported.code, 0, imported.stderr)
    const decided = pairs.length + codes.length + held.length
    assert.include(imported.stdout, String(decided))

    const contribution = Table.inSchema(LegacyTables.contribution, "public")
    await query(cwd, "legacy", async (d) => {
      for (const row of fixed) {
        await d.query(`UPDATE ${d.dialect.qualify(contribution)} SET weekly_amount_text = '12.50' WHERE contrib_id = ${d.dialect.placeholder(1)}`, [Number(row.cells["legacy key"])])
      }
      return []
    })

    const second = await rehearse(cwd)
    // the counts: the merges on the client step, the contributions fixed loaded and those decided away excluded
    const expected = new Map([...first.counts].map(([entity, c]) => [entity, { ...c }]))
    const change = (entity: string, by: Partial<Pick<EntityCounts, "loaded" | "merged" | "quarantined" | "excluded">>) => {
      const c = expected.get(entity)! as unknown as Record<string, number>
      for (const [k, v] of Object.entries(by)) c[k] = c[k]! + v
    }
    change("client", { loaded: -samePerson.length, merged: samePerson.length })
    change("contribution", { loaded: fixed.length, quarantined: -held.length, excluded: dropped.length })
    for (const [entity, counts] of expected) assert.deepStrictEqual(second.counts.get(entity), counts, entity)

    // no row flagged, no value unmapped, for a code mapped; nothing left to review
    // the flags of the first run for a row carrying a value unmapped, and those of them raised again in the second
    const codeFlags = (again: boolean) =>
      query(cwd, "target", (d) =>
        d.queryText(
          `SELECT COUNT(*) FROM ${d.dialect.qualify(t.flag)} f1 JOIN ${d.dialect.qualify(t.codeIssue)} c ` +
            `ON c.run_id = f1.run_id AND c.entity = f1.entity AND c.legacy_key = f1.legacy_key AND strpos(f1.message, '"' || trim(c.legacy_value) || '"') > 0 ` +
            (again
              ? `JOIN ${d.dialect.qualify(t.flag)} f2 ON f2.run_id = $2 AND f2.entity = f1.entity AND f2.legacy_key = f1.legacy_key ` +
                `AND f2.rule_id = f1.rule_id AND f2.field_path = f1.field_path `
              : "") +
            `WHERE f1.run_id = $1${again ? "" : " AND $2 <> ''"}`,
          [first.runId, second.runId]
        )).then((r) => Number(r[0]![0]))
    assert.strictEqual(await codeFlags(false), mappedRows, "a row flagged for each row carrying a value unmapped")
    assert.strictEqual(await codeFlags(true), 0, "no row flagged again for a value mapped")
    assert.strictEqual(await countOf(cwd, t.codeIssue, second.runId), 0)
    assert.strictEqual(await countOf(cwd, t.reviewItem, second.runId), 0)
    const exclusions = await countOf(cwd, t.exclusion, second.runId, ` AND rule_id = 'decision.do-not-migrate'`)
    assert.strictEqual(exclusions, dropped.length)
    const merges = await countOf(cwd, t.xref, second.runId, ` AND rule_id = 'decision.same-person'`)
    assert.strictEqual(merges, samePerson.length)

    // every item decided or fixed resolved in the next rehearsal, and no new item in their worklists
    const ledger = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const db = yield* Database.openUrl(`pglite://${path.join(cwd, ".handover", "target")}`)
      return yield* FindingsLedger.findingsOf(db, ControlSchema.defaultSchema, second.runId)
    })))
    const status = new Map(ledger.map((f) => [f.fingerprint, f.status] as const))
    for (const row of [...pairs, ...codes, ...held]) assert.strictEqual(status.get(row.cells["fingerprint"]!), "resolved", row.cells["fingerprint"])
    for (const check of [WorklistItems.checks.possibleDuplicate, WorklistItems.checks.codeMapping]) {
      assert.deepStrictEqual(ledger.filter((f) => f.check === check && f.status !== "resolved").map((f) => f.fingerprint), [], check)
    }

    // the next rehearsal's workbook carries the decisions in force, values mapped to included, and comes back unchanged
    const next = new ExcelJS.Workbook()
    await next.xlsx.readFile(file)
    const carried = new Map(sheetRows(next, "Code mapping").map((r) => [r.cells["fingerprint"]!, r.cells["map to"]] as const))
    for (const [fingerprint, value] of mappedTo) assert.strictEqual(carried.get(fingerprint), value, fingerprint)
    const again = await handover(["triage", "--import", file, "--by", "a data owner"], cwd)
    assert.strictEqual(again.code, 0, again.stderr)

    if (process.env.HANDOVER_DATA_OWNER_CLIENTS !== undefined) {
      console.info(JSON.stringify({
        clients,
        pairs: pairs.length,
        samePerson: samePerson.length,
        codes: codes.length,
        mappedRows,
        fixed: fixed.length,
        dropped: dropped.length,
        flags: await query(cwd, "target", (d) =>
          d.queryText(
            `SELECT rule_id, SUM(CASE WHEN run_id = $1 THEN 1 ELSE 0 END), SUM(CASE WHEN run_id = $2 THEN 1 ELSE 0 END) FROM ${d.dialect.qualify(t.flag)} ` +
              `GROUP BY rule_id HAVING SUM(CASE WHEN run_id = $1 THEN 1 ELSE -1 END) <> 0 ORDER BY rule_id`,
            [first.runId, second.runId]
          )),
        counts: [...second.counts].filter(([e, c]) => JSON.stringify(c) !== JSON.stringify(first.counts.get(e))).map(([e, c]) => ({ entity: e, before: first.counts.get(e), after: c }))
      }))
    }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
})
