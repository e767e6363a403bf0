/**
 * The business checks and the CLD projection read the target in pages and hold one group at a time, and give exactly
 * what they gave when they read it whole: on migrated SWIFT estates with the planted defects (several seeds), every
 * check's findings are the same multiset as the earlier implementation's (kept in `oracle/` for this comparison), at
 * page sizes small enough that every person's and every provider's lines are split across keyset pages; and the CLD
 * return is the same multiset of rows. Lines added to the target by fast-check (ties, open ends, lines without a
 * component, re-keyed lines, provider transfers, rates of several years) hold the ordered passes to the same, and
 * rows of people the target has no person row for (ids sorting anywhere among the people's) hold the CLD return to
 * the same. Every read sorted into a scratch table drops it, whether read to the end or left after a page.
 */
import { assert, layer } from "@effect/vitest"
import { Databases, Rehearsal } from "@handover/core"
import type { Reconcile } from "@handover/reconcile"
import { type Database, type Driver, Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import * as BusinessChecks from "../src/checks/BusinessChecks.ts"
import * as CldProjection from "../src/CldProjection.ts"
import * as SwiftPipeline from "../src/SwiftPipeline.ts"
import * as TargetTables from "../src/TargetTables.ts"
import { SwiftDefects, SwiftEstate } from "../../../fixtures/src/index.ts"
import { TestDatabase } from "../../../packages/testkit/src/index.ts"
import * as Before from "./oracle/BusinessChecksBefore.ts"
import * as CldProjectionBefore from "./oracle/CldProjectionBefore.ts"
import { context, controlSchema, legacySchema, parameters, targetSchema } from "./support.ts"



const sortedJson = (items: ReadonlyArray<unknown>) => items.map((i) => JSON.stringify(i)).sort()

/** Each check's findings by the earlier implementation, read whole. */
const oracleFindings = async (c: Reconcile.CheckContext, only?: ReadonlyArray<string>) => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const check of Before.legacy) if (only === undefined || only.includes(check.id)) out[check.id] = sortedJson(await check.run(c))
  return out
}

/** Each check's findings, streamed at the page size; no page larger than it, and none empty. */
const streamedFindings = async (c: Reconcile.CheckContext, pageSize: number, only?: ReadonlyArray<string>) => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const check of BusinessChecks.checks({ pageSize })) {
    if (only !== undefined && !only.includes(check.id)) continue
    const findings: Array<unknown> = []
    for await (const page of check.run(c)) {
      assert.isAbove(page.length, 0, `${check.id}: an empty page`)
      // a page gathers whole groups, so it may pass the page size by the findings of one group
      assert.isAtMost(page.length, 2 * pageSize + 50, `${check.id}: a page of ${page.length} findings`)
      for (const f of page) findings.push(f)
    }
    out[check.id] = sortedJson(findings)
  }
  return out
}

const cldOptions = (runId: string, pageSize?: number): CldProjection.Options => ({
  runId,
  targetSchema,
  controlSchema,
  laCode: "999",
  periodStart: "2025-04-01",
  periodEnd: SwiftPipeline.defaultCutoverDate,
  pageSize
})

const streamedCld = async (driver: Driver.Driver, runId: string, pageSize: number) => {
  const rows: Array<CldProjection.ProjectedRow> = []
  let pages = 0
  for await (const page of CldProjection.project(driver, cldOptions(runId, pageSize))) {
    pages += 1
    for (const r of page) rows.push(r)
  }
  return { rows: sortedJson(rows), pages }
}

const migrate = (db: Database.Database, seed: number, clients: number) =>
  Effect.gen(function*() {
    yield* db.use("reset schemas", async (d) => {
      for (const schema of [legacySchema, targetSchema, controlSchema]) for (const statement of d.dialect.dropSchema(schema)) await d.query(statement)
    })
    yield* SwiftEstate.load(db, legacySchema, { seed, clients, rates: SwiftDefects.rates() })
    const run = yield* Rehearsal.run(SwiftPipeline.pipeline, {
      rehearsal: `checks-${seed}`,
      batchSize: 500,
      legacySchema,
      targetSchema,
      controlSchema,
      parameters
    })
    return run.runId
  })

// ---- lines added to a migrated target ------------------------------------------------------------------------

interface ExtraLine {
  readonly person: number
  readonly component: string | null
  readonly elementType: string | null
  readonly kind: string
  readonly provider: number | null
  readonly start: number
  readonly length: number | null
  readonly rate: string | null
}

/** Dates from a day count after 2023-03-25, so that some fall on 1 April and some run past the cut-over. */
const isoDay = (n: number) => new Date(Date.UTC(2023, 2, 25) + n * 86_400_000).toISOString().slice(0, 10)

const extraLine: fc.Arbitrary<ExtraLine> = fc.record({
  person: fc.nat(3),
  component: fc.constantFrom<string | null>("Home care", "Residential care", null),
  elementType: fc.constantFrom<string | null>("TRANSPORT", null),
  kind: fc.constantFrom("core", "core", "top_up"),
  provider: fc.option(fc.nat(3), { freq: 6 }),
  start: fc.oneof(fc.nat(1200), fc.constantFrom(7, 373, 373 + 365, 373 + 731)),
  length: fc.option(fc.oneof(fc.nat(400), fc.constantFrom(365, 364, 0)), { freq: 4 }),
  rate: fc.option(fc.constantFrom("100.00", "105.00", "110.25", "0.00", "98.50"), { freq: 6 })
})

/** Adds the lines (and four providers, two of them successors of the others) to the target; gives the keys used. */
const addLines = async (d: Driver.Driver, lines: ReadonlyArray<ExtraLine>) => {
  const t = (table: Table.Table) => Table.inSchema(table, targetSchema)
  const people = (await d.queryText(`SELECT person_id FROM ${d.dialect.qualify(t(TargetTables.person))} ORDER BY person_id`)).slice(0, 4).map((r) => String(r[0]))
  const [plan] = await d.queryText(`SELECT care_plan_id FROM ${d.dialect.qualify(t(TargetTables.carePlan))} ORDER BY care_plan_id`)
  const provider = (i: number) => `00000000-0000-4000-8000-00000000000${i}`
  await d.transaction(async (c) => {
    await c.writeRows(t(TargetTables.provider), [0, 1, 2, 3].map((i) =>
      TargetTables.provider.columns.map((col) =>
        ({
          provider_id: provider(i),
          legacy_provider_id: 900_000 + i,
          name: `Added ${i}`,
          provider_category: "domiciliary",
          status: "active",
          predecessor_provider_id: i >= 2 ? provider(i - 2) : null
        } as Record<string, Driver.SqlValue>)[col.name] ?? null
      )))
    const id = (i: number) => `00000000-0000-4000-9000-${String(i).padStart(12, "0")}`
    await c.writeRows(t(TargetTables.service), lines.map((l, i) =>
      TargetTables.service.columns.map((col) =>
        ({
          service_id: id(i),
          person_id: people[l.person % people.length]!,
          care_plan_id: String(plan![0]),
          event_reference: `SVC-X${i}`,
          service_component: l.component,
          provider_id: l.provider === null ? null : provider(l.provider),
          event_start_date: isoDay(l.start),
          event_end_date: l.length === null ? null : isoDay(l.start + l.length),
          suspended: false
        } as Record<string, Driver.SqlValue>)[col.name] ?? null
      )))
    await c.writeRows(t(TargetTables.carePackageLineItem), lines.map((l, i) =>
      TargetTables.carePackageLineItem.columns.map((col) =>
        ({
          cpli_id: id(i),
          service_id: id(i),
          person_id: people[l.person % people.length]!,
          provider_id: l.provider === null ? null : provider(l.provider),
          element_kind: l.kind,
          element_type: l.elementType,
          start_date: isoDay(l.start),
          end_date: l.length === null ? null : isoDay(l.start + l.length),
          unit_rate: l.rate,
          weekly_cost_gross: "0.00",
          status: "active"
        } as Record<string, Driver.SqlValue>)[col.name] ?? null
      )))
  })
  return async () => {
    const like = (column: string) => `${column} LIKE '00000000-0000-4000-%'`
    await d.query(`DELETE FROM ${d.dialect.qualify(t(TargetTables.carePackageLineItem))} WHERE ${like("cpli_id")}`)
    await d.query(`DELETE FROM ${d.dialect.qualify(t(TargetTables.service))} WHERE ${like("service_id")}`)
    await d.query(`DELETE FROM ${d.dialect.qualify(t(TargetTables.provider))} WHERE ${like("provider_id")}`)
  }
}

/** The scratch tables of sorted reads left in the control schema. */
const scratchTables = (d: Driver.Driver) =>
  d.queryText(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${d.dialect.placeholder(1)} AND table_name LIKE 'sorted%'`, [controlSchema])

/**
 * Rows of people the target has no person row for (a service event, an address and a financial assessment each),
 * with ids that sort before every person, after every one, or between two: the CLD return leaves them out.
 */
const addStrays = async (d: Driver.Driver, where: ReadonlyArray<"first" | "last" | "between">) => {
  const t = (table: Table.Table) => Table.inSchema(table, targetSchema)
  const [first] = await d.queryText(`SELECT MIN(person_id) FROM ${d.dialect.qualify(t(TargetTables.person))}`)
  const [plan] = await d.queryText(`SELECT care_plan_id FROM ${d.dialect.qualify(t(TargetTables.carePlan))} ORDER BY care_plan_id`)
  // an id just after the first person's, before the second's: its last character raised past any hex digit
  const personOf = { first: "00000000-0000-0000-0000-000000000000", last: "ffffffff-ffff-ffff-ffff-fffffffffffz", between: `${String(first![0]).slice(0, 35)}z` }
  const id = (i: number) => `00000000-0000-4000-7000-${String(i).padStart(12, "0")}`
  const row = (table: Table.Table, values: Record<string, Driver.SqlValue>) => table.columns.map((c) => values[c.name] ?? null)
  await d.transaction(async (c) => {
    await c.writeRows(t(TargetTables.service), where.map((w, i) =>
      row(TargetTables.service, {
        service_id: id(i), person_id: personOf[w], care_plan_id: String(plan![0]), event_reference: `SVC-S${i}`, service_type: "Long Term Support",
        event_start_date: "2025-05-01", suspended: false
      })))
    await c.writeRows(t(TargetTables.address), where.map((w, i) =>
      row(TargetTables.address, { address_id: id(i), person_id: personOf[w], postcode: "ZZ1 1ZZ", postcode_status: "valid", is_primary: true })))
    await c.writeRows(t(TargetTables.financialAssessment), where.map((w, i) =>
      row(TargetTables.financialAssessment, { fa_id: id(i), person_id: personOf[w], capital_total: "99999.00", full_cost: true, deferred_payment: false })))
  })
  return async () => {
    for (const [table, key] of [[TargetTables.service, "service_id"], [TargetTables.address, "address_id"], [TargetTables.financialAssessment, "fa_id"]] as const) {
      await d.query(`DELETE FROM ${d.dialect.qualify(t(table))} WHERE ${key} LIKE '00000000-0000-4000-7000-%'`)
    }
  }
}

const orderedChecks = ["rule.overlapping-service", "rule.transfer-continuity", "rule.rate-for-year", "rule.financial-year-rekey"]

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "600 seconds", excludeTestServices: true })(`business checks streamed on ${dialect}`, (it) => {
    for (const seed of [5, 23, 71]) {
      it.effect(`seed ${seed}: the same findings and the same CLD return as read whole, at every page size`, () =>
        Effect.gen(function*() {
          const db = yield* Databases.TargetDatabase
          const runId = yield* migrate(db, seed, 300)
          yield* db.use("compare", async (d) => {
            const c = context(d, runId)
            const expected = await oracleFindings(c)
            // the estate plants defects most checks catch: the comparison is not of empty lists
            const caught = Object.entries(expected).filter(([, list]) => list.length > 0).map(([id]) => id)
            assert.isAtLeast(caught.length, 6, `checks with findings: ${caught.join(", ")}`)
            // the rates worked out in the database among them
            assert.include(caught, "rule.rate-for-year")
            for (const pageSize of [3, BusinessChecks.defaultPageSize]) {
              const actual = await streamedFindings(c, pageSize)
              for (const check of Before.legacy) assert.deepStrictEqual(actual[check.id], expected[check.id], `${check.id} at pages of ${pageSize}`)
            }

            const before = sortedJson(await CldProjectionBefore.project(d, cldOptions(runId)))
            assert.isAbove(before.length, 100)
            for (const pageSize of [7, CldProjection.defaultPageSize]) {
              const after = await streamedCld(d, runId, pageSize)
              assert.strictEqual(after.rows.length, before.length, `rows at pages of ${pageSize} people`)
              assert.deepStrictEqual(after.rows, before, `the CLD return at pages of ${pageSize} people`)
              if (pageSize === 7) assert.isAbove(after.pages, 10)
            }
            // a return left after its first page leaves no scratch table behind, nor does one read to the end
            const early = CldProjection.project(d, cldOptions(runId, 7))
            assert.isFalse((await early.next()).done)
            await early.return(undefined)
            assert.deepStrictEqual(await scratchTables(d), [])
          })
        }), 600_000)
    }

    it.effect("rows of people the target has no person row for: left out of the CLD return, wherever their ids sort", () =>
      Effect.gen(function*() {
        const db = yield* Databases.TargetDatabase
        const runId = yield* migrate(db, 11, 40)
        yield* db.use("compare strays", (d) =>
          fc.assert(
            fc.asyncProperty(
              fc.uniqueArray(fc.constantFrom("first" as const, "last" as const, "between" as const), { minLength: 1, maxLength: 3 }),
              fc.constantFrom(1, 2, 7),
              async (where, pageSize) => {
                const remove = await addStrays(d, where)
                try {
                  const before = sortedJson(await CldProjectionBefore.project(d, cldOptions(runId)))
                  const after = await streamedCld(d, runId, pageSize)
                  assert.isAbove(before.length, 10)
                  assert.deepStrictEqual(after.rows, before, `the CLD return at pages of ${pageSize} people, strays ${where.join(", ")}`)
                } finally {
                  await remove()
                }
                assert.deepStrictEqual(await scratchTables(d), [])
              }
            ),
            { numRuns: 6 }
          ))
      }), 600_000)

    it.effect("lines the estates may not have: the ordered passes give the findings they gave, their groups split across pages", () =>
      Effect.gen(function*() {
        const db = yield* Databases.TargetDatabase
        const runId = yield* migrate(db, 3, 60)
        yield* db.use("compare added lines", (d) =>
          fc.assert(
            fc.asyncProperty(fc.array(extraLine, { minLength: 1, maxLength: 40 }), fc.constantFrom(2, 5, 17), async (lines, pageSize) => {
              const remove = await addLines(d, lines)
              try {
                const c = context(d, runId)
                const expected = await oracleFindings(c, orderedChecks)
                const actual = await streamedFindings(c, pageSize, orderedChecks)
                for (const id of orderedChecks) assert.deepStrictEqual(actual[id], expected[id], `${id} at pages of ${pageSize}`)
              } finally {
                await remove()
              }
            }),
            { numRuns: dialect === "pglite" ? 15 : 10 }
          ))
      }), 600_000)
  })
}
