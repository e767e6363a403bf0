/**
 * The migration's own row-level issues as items of the ledger, beside the reconciliation's findings: each quarantined
 * row (to be fixed at source), each flag of severity warning or error (to be checked), each code value no code map
 * knows (to be mapped: one item per code system and value) and each pair of likely duplicates (to be decided). In the
 * ledger they get a fingerprint that never names the run, a status against the previous rehearsal of the series
 * (so that a row fixed at source shows as resolved) and the decisions of data owners.
 *
 * Each is read from the run's control tables in key order, a page at a time: memory holds one page however many
 * rows the migration held back or flagged.
 */
import { ControlSchema, Driver } from "@handover/sql"
import * as Finding from "./Finding.ts"

/** The check ids of the items, one per worklist. */
export const checks = {
  quarantine: "migration.quarantine",
  flag: "migration.flag",
  codeMapping: "migration.code-mapping",
  possibleDuplicate: "migration.possible-duplicate"
} as const

export interface Options {
  readonly runId: string
  readonly controlSchema: string
  readonly pageSize?: number
}

/** The value a quarantined row had in the field it was held back for, read from the row kept whole in the quarantine. */
export const valueOf = (rawRow: string | null, field: string | null): string | null => {
  if (rawRow === null || field === null) return null
  try {
    const row = JSON.parse(rawRow) as Record<string, unknown>
    const value = Object.hasOwn(row, field) ? row[field] : undefined
    return value === undefined || value === null ? null : String(value)
  } catch {
    return null
  }
}

/** Every item of a run's worklists, a page at a time, emitted as findings. */
export const run = async (driver: Driver.Driver, options: Options, emit: Finding.Emit): Promise<void> => {
  const t = ControlSchema.tables(options.controlSchema)
  const d = driver.dialect
  const q = (table: { readonly schema: string | undefined; readonly name: string }) => d.qualify(table)
  const pageSize = options.pageSize ?? 5_000
  const read = (query: Omit<Driver.KeysetQuery, "pageSize" | "params">) =>
    Driver.keysetPages(driver, { ...query, where: `run_id = ${d.placeholder(1)}${query.where === undefined ? "" : ` AND ${query.where}`}`, params: [options.runId], pageSize })

  for await (const page of read({ key: ["entity", "legacy_key"], columns: ["field_path", "reason", "rule_id", "raw_row", "stage"], from: q(t.quarantine) })) {
    await emit(page.map(([entity, legacyKey, field, reason, rule, raw, stage]) =>
      Finding.make({
        check: checks.quarantine,
        entity: String(entity),
        legacyKey: legacyKey ?? null,
        field: field ?? null,
        kind: "quarantined",
        severity: "error",
        legacyValue: valueOf(raw ?? null, field ?? null),
        rule: rule ?? null,
        message: `held back (${stage === "decode" ? "the row could not be read" : "by the mapping"}): ${reason}`
      })
    ))
  }

  for await (const page of read({ key: ["entity", "legacy_key", "seq"], columns: ["field_path", "rule_id", "severity", "message"], from: q(t.flag), where: "severity IN ('warning', 'error')" })) {
    await emit(page.map(([entity, legacyKey, , field, rule, severity, message]) =>
      Finding.make({
        check: checks.flag,
        entity: String(entity),
        legacyKey: legacyKey ?? null,
        field: field ?? null,
        kind: "flagged",
        severity: severity === "error" ? "error" : "warning",
        rule: rule ?? null,
        message: String(message)
      })
    ))
  }

  for await (const page of read({ key: ["code_system", "legacy_value"], columns: ["entities", "rows_flagged", "rows_quarantined"], from: q(t.unmappedCode) })) {
    await emit(page.map(([system, value, entities, flagged, quarantined]) => {
      const rows = Number(flagged ?? 0) + Number(quarantined ?? 0)
      return Finding.make({
        check: checks.codeMapping,
        // the first entity whose rows carry it: whose owner knows what the value meant
        entity: String(entities ?? "").split(", ")[0] || "code",
        legacyKey: value ?? null,
        field: system ?? null,
        kind: "unmapped-code",
        severity: Number(quarantined ?? 0) > 0 ? "error" : "warning",
        legacyValue: value ?? null,
        // the rows that carry it, as a count
        targetValue: String(rows),
        message: `${system} value ${JSON.stringify(value)} is on no code map: ${rows} rows of ${entities} carry it ` +
          `(${Number(flagged ?? 0)} migrated with a flag, ${Number(quarantined ?? 0)} held back)`
      })
    }))
  }

  for await (
    const page of read({ key: ["entity", "legacy_key", "candidate_legacy_key"], columns: ["rule_id", "reason"], from: q(t.reviewItem) })
  ) {
    await emit(page.map(([entity, legacyKey, candidate, rule, reason]) =>
      Finding.make({
        check: checks.possibleDuplicate,
        entity: String(entity),
        legacyKey: legacyKey ?? null,
        kind: "possible-duplicate",
        severity: "warning",
        // the other record of the pair
        legacyValue: candidate ?? null,
        rule: rule ?? null,
        message: `may be the same as ${entity} ${candidate}: ${reason}`
      })
    ))
  }
}
