/**
 * `handover verify` as a person runs it: the legacy database and the supplier's are read through a PostgreSQL role
 * that may only read them, so any write to either would fail the command; the cross-reference comes from a CSV file;
 * the mapping, the copy of the delivery and the findings go to an embedded control database. The findings name the
 * faults the simulator injected, and the supplier's tables are as they were. A control database that is the
 * supplier's is refused in one line.
 */
import { assert, it } from "@effect/vitest"
import { Rehearsal, Databases } from "@handover/core"
import { SupplierDelivery, SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { Verify } from "@handover/reconcile"
import { Database } from "@handover/sql"
import { SwiftPipeline } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import ExcelJS from "exceljs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"

it.effect("verifies through a role that can only read, and writes nothing to the supplier's database", () =>
  Effect.gen(function*() {
    const fresh = yield* TestDatabase.freshPostgres
    const folder = yield* Effect.acquireRelease(Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-verify-"))), (f) => Effect.promise(() => rm(f, { recursive: true, force: true })))
    const db = yield* Database.openUrl(fresh.url)
    yield* SwiftEstate.load(db, undefined, { seed: 29, clients: 300, rates: SwiftDefects.rates() })
    const load = yield* Rehearsal.run(SwiftPipeline.pipeline, { rehearsal: "handover", targetSchema: "ias", parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate } }).pipe(
      Effect.provideService(Databases.LegacyDatabase, db),
      Effect.provideService(Databases.TargetDatabase, db)
    )
    const delivery = yield* SupplierDelivery.deliver(db, { runId: load.runId, targetSchema: "ias", supplierSchema: "supplier", seed: 3, faults: { xref_unknown_entity: 1, people_merged: 1, money_rounded: 1 } })
    // the cross-reference as a supplier sends it: a CSV file
    const xrefFile = path.join(folder, "xref.csv")
    const xref = yield* db.use("read the cross-reference", (d) => d.queryText(`SELECT entity, legacy_key, target_key FROM supplier.supplier_xref ORDER BY 1, 2, 3`))
    yield* Effect.promise(() => writeFile(xrefFile, `entity,legacy_key,target_key\n${xref.map((r) => r.map((v) => `"${String(v).replaceAll("\"", "\"\"")}"`).join(",")).join("\n")}\n`))
    // a role that may only read
    const role = `reader_${randomBytes(4).toString("hex")}`
    const admin = yield* Database.openUrl(TestDatabase.postgresAdminUrl())
    yield* admin.use("make a role that can only read", (d) => d.query(`CREATE ROLE ${role} LOGIN`))
    yield* Effect.addFinalizer(() => admin.use("drop the role", (d) => d.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`)).pipe(Effect.ignore))
    yield* db.use("grant reading", async (d) => {
      for (const schema of ["public", "supplier"]) {
        await d.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`)
        await d.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`)
      }
    })
    const readerUrl = new URL(fresh.url)
    readerUrl.username = role
    const fingerprint = (d: Database.Database["driver"]) =>
      d.queryText(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM supplier.las_person t`).then((r) => String(r[0]![0]))
    const before = yield* db.use("fingerprint the supplier's people", fingerprint)

    const done = yield* Effect.promise(() =>
      handover([
        "verify", "--legacy", readerUrl.href, "--supplier", readerUrl.href, "--target-schema", "supplier", "--xref", xrefFile,
        "--control", `pglite://${path.join(folder, "control")}`, "--rehearsal", "trial 1", "--gates", "report", "--json"
      ], folder)
    )
    assert.strictEqual(done.code, 0, done.stderr)
    const findings = done.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { check: string; entity: string; legacyKey: string | null; field: string | null })
    for (const fault of delivery.faults.filter((f) => f.legacyKey !== null)) {
      assert.isTrue(findings.some((f) => f.entity === fault.entity && f.legacyKey === fault.legacyKey), `${fault.kind} of ${fault.entity} ${fault.legacyKey}`)
    }
    assert.isTrue(findings.some((f) => f.check === Verify.checks.xref && f.entity === "care episode"))
    assert.strictEqual(yield* db.use("fingerprint the supplier's people again", fingerprint), before)
    // the workbook's sheet for the supplier holds what is the supplier's to correct: the cross-reference's faults,
    // the merge, and the headline figure of the invoices their rounding moved, to the penny
    const workbook = new ExcelJS.Workbook()
    yield* Effect.promise(() => workbook.xlsx.readFile(path.join(folder, ".handover", "reports", "report.xlsx")))
    const sheet = workbook.getWorksheet("Issues for the supplier")
    assert.isDefined(sheet)
    const header = (sheet!.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
    const checks = new Set<string>()
    sheet!.eachRow((row, n) => void (n > 1 && checks.add(row.getCell(header.indexOf("check")).text)))
    for (const check of [Verify.checks.xref, Verify.checks.merge, Verify.checks.figure("figure.debtor-invoices")]) {
      assert.isTrue(checks.has(check), `${check} on the supplier's sheet: ${[...checks].join(", ")}`)
    }

    // a cross-reference without its columns: refused before the mapping runs, in one line
    const badXref = path.join(folder, "bad.csv")
    yield* Effect.promise(() => writeFile(badXref, "entity,legacy,target\nclient,1,LL-1\n"))
    const bad = yield* Effect.promise(() =>
      handover(["verify", "--legacy", readerUrl.href, "--supplier", readerUrl.href, "--target-schema", "supplier", "--xref", badXref, "--control", `pglite://${path.join(folder, "control")}`], folder)
    )
    assert.strictEqual(bad.code, 2, bad.stderr)
    assert.match(bad.stderr.trim(), /^handover: the cross-reference .*bad\.csv has no legacy_key, target_key column/)
    assert.strictEqual(bad.stderr.trim().split("\n").length, 1)

    // the supplier's database as the control database: refused before anything is opened
    const refused = yield* Effect.promise(() =>
      handover(["verify", "--legacy", readerUrl.href, "--supplier", readerUrl.href, "--xref", xrefFile, "--control", readerUrl.href], folder)
    )
    assert.strictEqual(refused.code, 2)
    assert.match(refused.stderr.trim(), /^handover: the control database must not be the supplier's/)
    assert.strictEqual(refused.stderr.trim().split("\n").length, 1)
  }).pipe(Effect.scoped), { timeout: 600_000 })
