/**
 * Decisions made in a workbook, brought back into the ledger: all of them in one transaction, or — when any row is
 * wrong — none, with every wrong row named by its sheet, its row and the reason. A row is wrong when its fingerprint
 * is no item of the workbook's run on that sheet, when one item is decided twice, when an `until` has passed, when a
 * `map to` is not a value of the code system's list, or when the workbook is of another rehearsal series (or of a run
 * never reconciled). Each decision applied is recorded with who imported it, when, and the file, sheet and row it
 * came from; a `map to` becomes the council's own code map for that value.
 */
import { ControlSchema, type Database, Driver } from "@handover/sql"
import { randomUUID } from "node:crypto"

/** Every decision a person may take on an item or a finding, as the ledger records it. */
export const decisions = ["accepted", "fix_at_source", "fix_in_mapping", "fix_by_supplier", "do_not_migrate", "same_person", "different_people", "map_to"] as const

export type Decision = (typeof decisions)[number]

/** One decided row of a workbook. */
export interface Row {
  readonly sheet: string
  readonly row: number
  /** The ledger check the sheet lists the items of. */
  readonly check: string
  readonly fingerprint: string
  readonly decision: Decision
  readonly mapTo: string | null
  readonly reason: string
  readonly by: string | null
  readonly until: string | null
}

export interface WrongRow {
  readonly sheet: string
  readonly row: number
  readonly reason: string
}

export interface Workbook {
  /** The file, as the person named it. */
  readonly file: string
  readonly rehearsal: string | null
  readonly runId: string | null
  readonly decided: ReadonlyArray<Row>
  /** The rows already found wrong by their shape. */
  readonly wrong: ReadonlyArray<WrongRow>
}

export interface Options {
  readonly controlSchema: string
  /** The rehearsal series decisions are imported into. */
  readonly rehearsal: string
  /** Who imports the file: the one who decided, where a row does not name one. */
  readonly importedBy: string
  /** `yyyy-mm-dd`: an `until` before it has passed. */
  readonly today: string
  /** The values a code system's legacy values may be mapped to; undefined where the pipeline gives no list. */
  readonly codeValues?: ((codeSystem: string) => ReadonlyArray<string> | undefined) | undefined
}

export type Outcome =
  | { readonly _tag: "Applied"; readonly importId: string; readonly decisions: number; readonly byDecision: Readonly<Record<string, number>> }
  | { readonly _tag: "Refused"; readonly wrong: ReadonlyArray<WrongRow> }

/** The items of a run the fingerprints name: their check, and for a code value, its code system and value. */
const itemsOf = async (d: Driver.Driver, controlSchema: string, runId: string, fingerprints: ReadonlyArray<string>) => {
  const t = ControlSchema.tables(controlSchema)
  const rows = await Driver.selectWhereOneOf(d, {
    select: `SELECT fingerprint, check_id, field, legacy_value FROM ${d.dialect.qualify(t.finding)}`,
    where: `run_id = ${d.dialect.placeholder(1)}`,
    params: [runId]
  }, "fingerprint", fingerprints)
  return new Map(rows.map((r) => [String(r[0]), { check: String(r[1]), field: r[2] ?? null, legacyValue: r[3] ?? null }] as const))
}

/** Checks a workbook's decisions against the ledger and applies them all in one transaction, or none. */
export const fromWorkbook = (target: Database.Database, workbook: Workbook, options: Options) =>
  target.use("import decisions", async (d): Promise<Outcome> => {
    const t = ControlSchema.tables(options.controlSchema)
    const p = d.dialect.placeholder
    const wrong: Array<WrongRow> = [...workbook.wrong]
    const whole = (reason: string) => wrong.push({ sheet: "Summary", row: 0, reason })
    if (workbook.rehearsal === null || workbook.runId === null) whole("the workbook does not say which rehearsal series and run it is of")
    else if (workbook.rehearsal !== options.rehearsal) whole(`a workbook of the rehearsal series ${JSON.stringify(workbook.rehearsal)}, not ${JSON.stringify(options.rehearsal)}`)
    else {
      const [reconciled] = await d.queryText(
        `SELECT COUNT(*) FROM ${d.dialect.qualify(t.reconciliation)} WHERE run_id = ${p(1)} AND rehearsal = ${p(2)}`,
        [workbook.runId, options.rehearsal]
      )
      if (Number(reconciled?.[0] ?? 0) === 0) whole(`run ${workbook.runId} has no reconciliation in the series ${JSON.stringify(options.rehearsal)}`)
    }
    const items = workbook.runId === null ? new Map() : await itemsOf(d, options.controlSchema, workbook.runId, [...new Set(workbook.decided.map((r) => r.fingerprint))])
    const first = new Map<string, Row>()
    for (const row of workbook.decided) {
      const refuse = (reason: string) => wrong.push({ sheet: row.sheet, row: row.row, reason })
      const item = items.get(row.fingerprint)
      if (item === undefined) refuse(`fingerprint ${row.fingerprint} is no item of run ${workbook.runId ?? "(none)"}`)
      else if (item.check !== row.check) refuse(`fingerprint ${row.fingerprint} is an item of ${item.check}, not of this sheet`)
      const earlier = first.get(row.fingerprint)
      if (earlier !== undefined) refuse(`fingerprint ${row.fingerprint} is decided twice (first on ${earlier.sheet} row ${earlier.row})`)
      else first.set(row.fingerprint, row)
      if (row.until !== null && row.until < options.today) refuse(`until: ${row.until} has passed`)
      if (row.decision === "map_to" && item !== undefined && row.mapTo !== null) {
        const list = item.field === null ? undefined : options.codeValues?.(item.field)
        if (list !== undefined && !list.includes(row.mapTo)) refuse(`map to: ${JSON.stringify(row.mapTo.slice(0, 60))} is not a value of ${item.field}`)
      }
    }
    if (wrong.length > 0) return { _tag: "Refused", wrong: wrong.sort((a, b) => (a.sheet === b.sheet ? a.row - b.row : a.sheet < b.sheet ? -1 : 1)) }

    const importId = randomUUID()
    const now = new Date().toISOString()
    const rows = [...first.values()]
    const byDecision: Record<string, number> = {}
    for (const r of rows) byDecision[r.decision] = (byDecision[r.decision] ?? 0) + 1
    await d.transaction(async (c) => {
      for (let i = 0; i < rows.length; i += Driver.inListSize) {
        const part = rows.slice(i, i + Driver.inListSize).map((r) => r.fingerprint)
        for (const table of [t.triage, t.triageSource]) {
          const condition = d.dialect.oneOf("fingerprint", part, 1)
          await c.query(`DELETE FROM ${d.dialect.qualify(table)} WHERE ${condition.sql}`, condition.params)
        }
      }
      await c.writeRows(t.decisionImport, [[importId, now, options.importedBy.slice(0, 100), workbook.file.slice(0, 400), options.rehearsal, workbook.runId, rows.length]])
      await c.writeRows(t.triage, rows.map((r) => [r.fingerprint, r.decision, r.reason, (r.by ?? options.importedBy).slice(0, 100), now, r.until]))
      await c.writeRows(t.triageSource, rows.map((r) => [r.fingerprint, importId, r.sheet.slice(0, 100), r.row]))
      // a value mapped: the council's code map for it, in place of any earlier decision on the same value
      const mapped = rows.filter((r) => r.decision === "map_to").map((r) => ({ r, item: items.get(r.fingerprint)! }))
      for (const { item } of mapped) {
        await c.query(
          `DELETE FROM ${d.dialect.qualify(t.councilCodeMap)} WHERE code_system = ${p(1)} AND legacy_value = ${p(2)}`,
          [item.field, item.legacyValue]
        )
      }
      await c.writeRows(t.councilCodeMap, mapped.map(({ r, item }) => [item.field, item.legacyValue, r.mapTo, r.fingerprint, (r.by ?? options.importedBy).slice(0, 100), now, importId]))
    })
    return { _tag: "Applied", importId, decisions: rows.length, byDecision }
  })
