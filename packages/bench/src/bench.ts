/**
 * `pnpm bench`: Handover's speed and memory as ratios against the physical limit measured in the same run, on the
 * same data, on the machine's PostgreSQL server (machines here are noisy: only ratios taken together mean anything).
 *
 * For each estate size (100,000 and 1,000,000 clients; 10,000 with `--quick`):
 *   1. migration throughput of the client and package-line entities (extract, decode, transform, load; the work
 *      after a step, such as the likely-duplicate search, is timed apart) divided by
 *      the raw `COPY ... TO` piped into `COPY ... FROM` of the same rows into a table of the same shape;
 *   2. the whole rehearsal: wall time and rows per second over every entity;
 *   3. the table diff of the client table across two databases, 0.1 % of rows changed or missing, all columns, and of
 *      two identical copies, each divided by one in-database hash scan of both tables; and `handover diff`, the command
 *      a user runs, of the client table on PostgreSQL against its copy in an embedded PGlite folder (the same 0.1 %
 *      changed), divided by one hash scan of both;
 *   4. peak RSS of the migration and of the diff, each in a process of its own;
 *   5. CPU of the migration's process per row of each entity step, and of the database server's processes apart;
 *   6. the whole `handover rehearse` as a user runs it (`RehearseMeasure.ts`): the wall time of its phases (estate,
 *      migration, reconciliation, reports), the migration's rows per second, the peak RSS of the whole command under
 *      the heap cap users run it with, its exit code, and (reconciliation + reports) / migration;
 * and across sizes, 7. scaling: time at the larger size divided by time at the smaller (linear is the size ratio), and
 * the growth of each peak RSS.
 *
 * Prints a table and writes `bench/results/<date>.json`. `--quick` asserts nothing about time: it shows the
 * benchmark works. `--clients=N,M` measures other sizes; `--only=migration,diff,rehearse` (any of them) measures
 * only those.
 */
import { execFile } from "node:child_process"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
import { promisify } from "node:util"
import { Source } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { TableDiffSql } from "@handover/reconcile"
import { Arrays, Database, Table } from "@handover/sql"
import * as PostgresSql from "@handover/sql/postgres/PostgresSql"
import { LegacyTables } from "@handover/swift-to-ias"
import type { Step } from "./Child.ts"
import * as Phases from "./Phases.ts"
import * as RehearseMeasure from "./RehearseMeasure.ts"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import pg from "pg"
import { from as copyFrom, to as copyTo } from "pg-copy-streams"

const run = promisify(execFile)
const dialect = PostgresSql.make("postgres")
const root = path.resolve(import.meta.dirname, "..", "..", "..")
const args = process.argv.slice(2)
const quick = args.includes("--quick")
const clientsArg = args.find((a) => a.startsWith("--clients="))
const sizes = quick ? [10_000] : clientsArg !== undefined ? clientsArg.slice("--clients=".length).split(",").map(Number) : [100_000, 1_000_000]
const serverUrl = process.env.HANDOVER_BENCH_PG_URL ?? process.env.HANDOVER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const repeatsArg = args.find((a) => a.startsWith("--repeats="))
/** Medians of three runs, except at a million clients and more, where one migration takes long enough to be its own median. */
const repeatsFor = (clients: number) =>
  repeatsArg !== undefined ? Math.max(1, Number(repeatsArg.slice("--repeats=".length))) : quick || clients >= 1_000_000 ? 1 : 3
/**
 * The migration and the diff run under a V8 heap cap: what they hold is bounded (batches and pages, never tables), and
 * the cap makes the garbage collector keep the resident set near that instead of letting garbage grow it.
 */
const heapCapMb = 192
const parts = ["migration", "diff", "rehearse"] as const
type Part = (typeof parts)[number]
const onlyArg = args.find((a) => a.startsWith("--only="))
const only = onlyArg === undefined ? undefined : onlyArg.slice("--only=".length).split(",")
const unknownPart = only?.find((p) => !(parts as ReadonlyArray<string>).includes(p))
if (unknownPart !== undefined) {
  process.stderr.write(`bench: --only takes ${parts.join(", ")} (comma separated), not ${unknownPart}\n`)
  process.exit(2)
}
const wants = (part: Part) => only === undefined || only.includes(part)

const urlOf = (database: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const withClient = async <A>(url: string, f: (c: pg.Client) => Promise<A>): Promise<A> => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await f(c)
  } finally {
    await c.end()
  }
}

const ensureDatabase = async (name: string): Promise<boolean> =>
  withClient(serverUrl, async (c) => {
    const found = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (found.rowCount === 0) await c.query(`CREATE DATABASE ${name}`)
    return found.rowCount === 0
  })

const dropDatabase = (name: string) => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))

/** The legacy estate of a size, generated once and kept between benchmark runs. */
const estate = async (clients: number) => {
  const name = `handover_bench_legacy_${clients}`
  const created = await ensureDatabase(name)
  const complete = !created && await withClient(urlOf(name), async (c) => {
    const r = await c.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'bench_estate_complete'")
    return Number(r.rows[0].n) > 0
  })
  if (!complete) {
    process.stderr.write(`generating an estate of ${clients.toLocaleString("en-GB")} clients in ${name}\n`)
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const db = yield* Database.openUrl(urlOf(name))
      yield* SwiftEstate.load(db, undefined, { seed: 1, clients, rates: SwiftDefects.rates({}, false) })
    })))
    await withClient(urlOf(name), (c) => c.query("CREATE TABLE bench_estate_complete (done boolean)"))
  }
  // rows just loaded are written again by whatever reads them first (their hint bits are set as they are read), and
  // the server's autovacuum comes to vacuum and analyse them while the benchmark runs: a vacuum now takes both out of
  // the measures, and costs little on an estate vacuumed before (the pages it skips are marked all-visible)
  await withClient(urlOf(name), (c) => c.query("VACUUM (FREEZE, ANALYZE)"))
  return name
}

/** The limit: the legacy table's rows COPY-piped into a table of the same shape in the target database. */
const copyPipe = async (legacyUrl: string, targetUrl: string, table: Table.Table): Promise<{ rows: number; ms: number }> => {
  const placed = Table.inSchema(table, "bench_limit")
  await withClient(targetUrl, async (c) => {
    await c.query("CREATE SCHEMA IF NOT EXISTS bench_limit")
    await c.query(`DROP TABLE IF EXISTS ${dialect.qualify(placed)}`)
    await c.query(dialect.createTable(placed))
  })
  const source = new pg.Client({ connectionString: legacyUrl })
  const sink = new pg.Client({ connectionString: targetUrl })
  await source.connect()
  await sink.connect()
  try {
    const t0 = performance.now()
    await pipeline(
      source.query(copyTo(`COPY ${dialect.qualify(table)} TO STDOUT`)),
      sink.query(copyFrom(`COPY ${dialect.qualify(placed)} FROM STDIN`))
    )
    const ms = performance.now() - t0
    const rows = Number((await sink.query(`SELECT COUNT(*) AS n FROM ${dialect.qualify(placed)}`)).rows[0].n)
    return { rows, ms }
  } finally {
    await source.end()
    await sink.end()
  }
}

/** One in-database hash scan of both tables (the table diff's own canonical row hash, one segment), in parallel. */
const hashScan = async (legacyUrl: string, table: Table.Table, targetUrl: string, targetTable: Table.Table): Promise<number> => {
  const scan = (url: string, t: Table.Table) =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const db = yield* Database.openUrl(url)
      return yield* db.use("hash scan", (d) => d.queryText(TableDiffSql.segmentChecksums(TableDiffSql.target(t, d.dialect), [])))
    })))
  const t0 = performance.now()
  await Promise.all([scan(legacyUrl, table), scan(targetUrl, targetTable)])
  return performance.now() - t0
}

const child = async (nodeFlags: ReadonlyArray<string>, ...argv: ReadonlyArray<string>) => {
  const node = path.join(root, "node_modules", ".bin", "node")
  const { stdout } = await run(node, [...nodeFlags, path.join(root, "packages", "bench", "src", "Child.ts"), ...argv], { maxBuffer: 1 << 26, cwd: root })
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>
}

interface Migration {
  readonly steps: ReadonlyArray<Step>
  readonly ms: number
  readonly maxRssMb: number
}

interface Diff {
  readonly ms: number
  readonly maxRssMb: number
  readonly findings: number
}

const measure = async (clients: number) => {
  let migration: Awaited<ReturnType<typeof measureMigration>> | undefined
  let diff: Awaited<ReturnType<typeof measureDiff>> | undefined
  if (wants("migration") || wants("diff")) {
    const legacyName = await estate(clients)
    const targetName = `handover_bench_target_${clients}`
    if (wants("migration")) await dropDatabase(targetName)
    await ensureDatabase(targetName)
    const legacyUrl = urlOf(legacyName)
    const targetUrl = urlOf(targetName)
    if (wants("migration")) migration = await measureMigration(legacyUrl, targetUrl, clients)
    if (wants("diff")) diff = await measureDiff(legacyUrl, targetUrl)
  }
  const rehearse = wants("rehearse") ? await measureRehearse(clients) : undefined
  return { clients, migration, diff, rehearse }
}

/**
 * 6. `handover rehearse` on databases of its own, dropped and made fresh: the legacy one empty, so the command
 * generates its estate. A benchmark measuring the same size elsewhere waits for this one (an advisory lock of the
 * server), so the two never drop each other's databases.
 */
const measureRehearse = async (clients: number) => {
  const legacyName = `handover_bench_rehearse_${clients}_legacy`
  const targetName = `handover_bench_rehearse_${clients}_target`
  return withClient(serverUrl, async (lock) => {
    const key = `handover bench rehearse ${clients}`
    const free = (await lock.query("SELECT pg_try_advisory_lock(hashtext($1)) AS free", [key])).rows[0].free === true
    if (!free) {
      process.stderr.write(`waiting for another benchmark's rehearse measure of ${clients.toLocaleString("en-GB")} clients\n`)
      await lock.query("SELECT pg_advisory_lock(hashtext($1))", [key])
    }
    await dropDatabase(legacyName)
    await dropDatabase(targetName)
    await ensureDatabase(legacyName)
    await ensureDatabase(targetName)
    process.stderr.write(`handover rehearse of ${clients.toLocaleString("en-GB")} clients on ${legacyName} and ${targetName}\n`)
    const result = await RehearseMeasure.measure({
      root,
      clients,
      seed: 1,
      legacyUrl: urlOf(legacyName),
      targetUrl: urlOf(targetName),
      legacyDatabase: legacyName,
      targetDatabase: targetName
    })
    if (!result.completed) {
      process.stderr.write(
        `handover rehearse of ${clients.toLocaleString("en-GB")} clients did not complete: exit code ${result.exitCode ?? "none"}` +
          `${result.signal === null ? "" : ` (${result.signal})`}; last line of standard error: ${result.lastStderrLine || "(none)"}; log in ${result.log}\n`
      )
    }
    return result
  })
}

/** 1, 2 and 4: the limit for the two measured entities, then the whole migration (each repeated; medians). */
const measureMigration = async (legacyUrl: string, targetUrl: string, clients: number) => {
  // 1. the limit for the two measured entities, then the migration (each repeated; medians)
  const repeats = repeatsFor(clients)
  const limits: Record<string, { rows: number; ms: number }> = {}
  for (const table of [LegacyTables.client, LegacyTables.packageLine]) {
    const runs = []
    for (let i = 0; i < repeats; i++) runs.push(await copyPipe(legacyUrl, targetUrl, table))
    limits[table.name] = { rows: runs[0]!.rows, ms: median(runs.map((r) => r.ms)) }
  }
  const migrations: Array<Migration> = []
  for (let i = 0; i < repeats; i++) migrations.push(await child([`--max-old-space-size=${heapCapMb}`, `--max-semi-space-size=${RehearseMeasure.semiSpaceMb}`], "migrate", legacyUrl, targetUrl) as unknown as Migration)
  const stepMs = (entity: string) => median(migrations.map((m) => m.steps.find((s) => s.entity === entity)!.ms))
  /** The load of a step (extract, decode, transform, load, and the conservation check), without the work after it. */
  const loadMs = (entity: string) => median(migrations.map((m) => {
    const s = m.steps.find((x) => x.entity === entity)!
    return s.ms - s.afterMs
  }))
  const stepRows = (entity: string) => migrations[0]!.steps.find((s) => s.entity === entity)!.rows
  /** 5. Microseconds of CPU per row read (median over the repeats), or null for a step that read none. */
  const perRow = (entity: string, us: (s: Step) => number | null) => {
    const values = migrations.map((m) => {
      const s = m.steps.find((x) => x.entity === entity)!
      const v = us(s)
      return s.rows > 0 && v !== null ? v / s.rows : null
    })
    return values.some((v) => v === null) ? null : median(values as Array<number>)
  }
  const entityRatio = (entity: string, table: string) => {
    const migration = stepRows(entity) / (loadMs(entity) / 1000)
    const limit = limits[table]!.rows / (limits[table]!.ms / 1000)
    return { rowsPerSecond: Math.round(migration), limitRowsPerSecond: Math.round(limit), ratio: migration / limit }
  }
  const totalRows = migrations[0]!.steps.reduce((s, x) => s + x.rows, 0)
  const wallMs = median(migrations.map((m) => m.ms))
  return {
    client: entityRatio("client", "lg_client"),
    packageLine: entityRatio("package line", "lg_package_line"),
    wallSeconds: wallMs / 1000,
    rows: totalRows,
    rowsPerSecond: Math.round(totalRows / (wallMs / 1000)),
    peakRssMb: Arrays.max(migrations.map((m) => m.maxRssMb)),
    heapCapMb,
    repeats,
    steps: migrations[0]!.steps.map((s) => ({
      entity: s.entity,
      rows: s.rows,
      seconds: stepMs(s.entity) / 1000,
      afterSeconds: s.afterMs / 1000,
      cpuUsPerRow: perRow(s.entity, (x) => x.cpuUs),
      afterCpuUsPerRow: perRow(s.entity, (x) => x.afterCpuUs),
      serverCpuUsPerRow: perRow(s.entity, (x) => x.serverCpuUs)
    }))
  }
}

/**
 * 3, as a user runs it: `handover diff` of the client table on PostgreSQL against the changed copy, copied into an
 * embedded PGlite folder a batch at a time, timed against one hash scan of both.
 */
const measureDiffCommand = async (legacyUrl: string, targetUrl: string, changed: Table.Table) => {
  const folder = await mkdtemp(path.join(os.tmpdir(), "handover-bench-diff-"))
  const pgliteUrl = `pglite://${path.join(folder, "db")}`
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const source = yield* Database.openUrl(targetUrl)
      const sink = yield* Database.openUrl(pgliteUrl)
      yield* sink.use("make the copy", async (d) => {
        await d.query(d.dialect.createSchema("bench_limit"))
        await d.query(d.dialect.createTable(changed))
      })
      yield* Source.batches(source, { table: changed, columns: changed.columns.map((c) => c.name), key: changed.primaryKey, after: undefined, batchSize: 20_000, mode: "auto" }).pipe(
        Stream.runForEach((rows) => sink.use("copy the client table", (d) => d.transaction((c) => c.writeRows(changed, rows))))
      )
    })))
    const scan = await hashScan(legacyUrl, LegacyTables.client, pgliteUrl, changed)
    const node = path.join(root, "node_modules", ".bin", "node")
    const t0 = performance.now()
    const done = await run(node, [path.join(root, "packages", "cli", "src", "bin.ts"), "diff", "--left", legacyUrl, "--right", pgliteUrl, "--table", "lg_client", "--right-table", "bench_limit.lg_client", "--json"], {
      maxBuffer: 1 << 28,
      cwd: folder
    }).then((r) => ({ code: 0, stdout: r.stdout }), (e: { code?: number; stdout?: string }) => ({ code: e.code ?? null, stdout: e.stdout ?? "" }))
    const ms = performance.now() - t0
    return { seconds: ms / 1000, ratio: ms / scan, hashScanSeconds: scan / 1000, exitCode: done.code, found: done.stdout.split("\n").filter((l) => l.startsWith("{")).length }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** 3 and 4: the table diff of the client table against a copy in the target database. */
const measureDiff = async (legacyUrl: string, targetUrl: string) => {
  // 3. the table diff: an identical copy, then 0.1 % of rows changed or missing, spread evenly
  const copy = Table.inSchema({ ...LegacyTables.client, name: "lg_client" }, "bench_limit")
  const { rows } = await copyPipe(legacyUrl, targetUrl, LegacyTables.client)
  const identicalScan = await hashScan(legacyUrl, LegacyTables.client, targetUrl, copy)
  const identical = await child([`--max-old-space-size=${heapCapMb}`, `--max-semi-space-size=${RehearseMeasure.semiSpaceMb}`], "diff", legacyUrl, "lg_client", targetUrl, "bench_limit.lg_client") as unknown as Diff
  const changed = await withClient(targetUrl, async (c) => {
    const deleted = await c.query("DELETE FROM bench_limit.lg_client WHERE client_no % 2000 = 0")
    const updated = await c.query("UPDATE bench_limit.lg_client SET surname = surname || 'x' WHERE client_no % 2000 = 1000")
    return (deleted.rowCount ?? 0) + (updated.rowCount ?? 0)
  })
  const scatteredScan = await hashScan(legacyUrl, LegacyTables.client, targetUrl, copy)
  const scattered = await child([`--max-old-space-size=${heapCapMb}`, `--max-semi-space-size=${RehearseMeasure.semiSpaceMb}`], "diff", legacyUrl, "lg_client", targetUrl, "bench_limit.lg_client") as unknown as Diff

  const command = await measureDiffCommand(legacyUrl, targetUrl, copy)

  return {
      rows,
      changed,
      found: scattered.findings,
      command,
      scatteredSeconds: scattered.ms / 1000,
      scatteredRatio: scattered.ms / scatteredScan,
      identicalSeconds: identical.ms / 1000,
      identicalRatio: identical.ms / identicalScan,
      hashScanSeconds: identicalScan / 1000,
      peakRssMb: Math.max(scattered.maxRssMb, identical.maxRssMb),
      heapCapMb
  }
}

const main = async () => {
  const results: Array<Awaited<ReturnType<typeof measure>>> = []
  for (const clients of sizes) results.push(await measure(clients))
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` }
  const first = results[0]
  const last = results.at(-1)
  const ratioOf = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b)
  const growthOf = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : Phases.memoryGrowth(a, b))
  const scaling = results.length < 2 || first === undefined || last === undefined ? null : {
    sizeRatio: last.clients / first.clients,
    migration: ratioOf(last.migration?.wallSeconds, first.migration?.wallSeconds),
    diff: ratioOf(last.diff?.scatteredSeconds, first.diff?.scatteredSeconds),
    rehearse: ratioOf(last.rehearse?.wallSeconds, first.rehearse?.wallSeconds),
    migrationMemoryGrowth: growthOf(first.migration?.peakRssMb, last.migration?.peakRssMb),
    diffMemoryGrowth: growthOf(first.diff?.peakRssMb, last.diff?.peakRssMb),
    rehearseMemoryGrowth: growthOf(first.rehearse?.peakRssMb, last.rehearse?.peakRssMb)
  }
  const lines = ["measure                                   " + results.map((r) => `${r.clients.toLocaleString("en-GB").padStart(12)} clients`).join("") + "   target"]
  const row = (label: string, values: ReadonlyArray<string>, target: string) => lines.push(label.padEnd(42) + values.map((v) => v.padStart(20)).join("") + `   ${target}`)
  const f = (n: number | null | undefined, d = 2) => (n === null || n === undefined ? "-" : n.toFixed(d))
  const m = <A>(g: (migration: NonNullable<(typeof results)[number]["migration"]>) => A) =>
    results.map((r) => (r.migration === undefined ? undefined : g(r.migration)))
  const d = <A>(g: (diff: NonNullable<(typeof results)[number]["diff"]>) => A) => results.map((r) => (r.diff === undefined ? undefined : g(r.diff)))
  const h = <A>(g: (rehearse: RehearseMeasure.Result) => A) => results.map((r) => (r.rehearse === undefined ? undefined : g(r.rehearse)))
  if (results.some((r) => r.migration !== undefined)) {
    row("client migration / COPY pipe", m((x) => x.client.ratio).map((v) => f(v)), ">= 0.25")
    row("package line migration / COPY pipe", m((x) => x.packageLine.ratio).map((v) => f(v)), ">= 0.15")
    row("whole migration, seconds", m((x) => x.wallSeconds).map((v) => f(v, 1)), "")
    row("whole migration, rows per second", m((x) => x.rowsPerSecond.toLocaleString("en-GB")).map((v) => v ?? "-"), "")
    // 5. CPU per row of every step: this process, then the database server's processes for the two databases
    const entities = results.find((r) => r.migration !== undefined)!.migration!.steps.map((s) => s.entity)
    lines.push("CPU µs per row read, node / database server")
    for (const entity of entities) {
      const step = m((x) => x.steps.find((s) => s.entity === entity))
      row(`  ${entity}`, step.map((s) => (s === undefined ? "-" : `${f(s.cpuUsPerRow, 1)} / ${f(s.serverCpuUsPerRow, 1)}`)), "")
    }
    row(`peak RSS migration (heap cap ${heapCapMb} MB), MB`, m((x) => x.peakRssMb).map((v) => f(v, 0)), "< 300")
  }
  if (results.some((r) => r.diff !== undefined)) {
    row("diff 0.1 % scattered / hash scan", d((x) => f(x.scatteredRatio)).map((v) => v ?? "-"), "< 3")
    row("diff identical / hash scan", d((x) => f(x.identicalRatio)).map((v) => v ?? "-"), "< 2")
    row("diff rows changed or missing / found", d((x) => `${x.changed} / ${x.found}`).map((v) => v ?? "-"), "equal")
    row("handover diff PostgreSQL-PGlite / hash scan", d((x) => f(x.command.ratio)).map((v) => v ?? "-"), "< 2")
    row("handover diff PostgreSQL-PGlite, seconds", d((x) => f(x.command.seconds, 1)).map((v) => v ?? "-"), "")
    row("handover diff differences found, exit", d((x) => `${x.command.found}, ${x.command.exitCode}`).map((v) => v ?? "-"), "changed rows, 1")
    row(`peak RSS diff (heap cap ${heapCapMb} MB), MB`, d((x) => f(x.peakRssMb, 0)).map((v) => v ?? "-"), "< 300")
  }
  if (results.some((r) => r.rehearse !== undefined)) {
    const cap = RehearseMeasure.heapCapMb
    row(`handover rehearse (heap cap ${cap} MB), exit`, h((x) => x.exitCode === null ? `failed (${x.signal ?? "no exit"})` : x.completed ? String(x.exitCode) : `${x.exitCode} failed`).map((v) => v ?? "-"), "0 or 1 (gate failed)")
    row("  phases measured from", h((x) => x.phaseSource ?? "-").map((v) => v ?? "-"), "")
    row("  estate, seconds", h((x) => f(x.phases?.estate, 1)).map((v) => v ?? "-"), "")
    row("  migration, seconds", h((x) => f(x.phases?.migration, 1)).map((v) => v ?? "-"), "")
    row("  reconciliation, seconds", h((x) => f(x.phases?.reconciliation, 1)).map((v) => v ?? "-"), "")
    row("  reports, seconds", h((x) => f(x.phases?.reports, 1)).map((v) => v ?? "-"), "")
    // a command that stopped early ran its reconciliation and reports only until it stopped
    const stopped = (x: RehearseMeasure.Result, v: string) => (x.completed || v === "-" ? v : `${v} (stopped)`)
    row("  reconciliation + reports, seconds", h((x) => stopped(x, f(x.phases?.afterMigration, 1))).map((v) => v ?? "-"), "")
    row("  whole command, seconds", h((x) => f(x.wallSeconds, 1)).map((v) => v ?? "-"), "")
    row("  migration, rows per second", h((x) => x.migrationRowsPerSecond?.toLocaleString("en-GB") ?? "-").map((v) => v ?? "-"), "")
    row("  (reconciliation + reports) / migration", h((x) => stopped(x, f(x.afterMigrationRatio))).map((v) => v ?? "-"), `<= ${Phases.targets.afterMigrationRatio}`)
    row(`  peak RSS, MB`, h((x) => f(x.peakRssMb, 0)).map((v) => v ?? "-"), `<= ${Phases.targets.peakRssMb} at 1,000,000; <= +${Phases.targets.memoryGrowth * 100} % of 100,000`)
    row("  database server CPU, seconds", h((x) => f(x.serverCpuSeconds, 1)).map((v) => v ?? "-"), "")
  }
  if (scaling !== null) {
    const pct = (x: number | null) => (x === null ? "-" : `${f(x * 100, 0)} %`)
    lines.push(`scaling ${scaling.sizeRatio}x clients: migration ${f(scaling.migration)}x, diff ${f(scaling.diff)}x, rehearse ${f(scaling.rehearse)}x (linear ${scaling.sizeRatio}); ` +
      `memory growth migration ${pct(scaling.migrationMemoryGrowth)}, diff ${pct(scaling.diffMemoryGrowth)}, rehearse ${pct(scaling.rehearseMemoryGrowth)} (target <= 20 %)`)
  }
  for (const r of results) {
    const x = r.rehearse
    if (x === undefined) continue
    lines.push(
      `handover rehearse, ${r.clients.toLocaleString("en-GB")} clients: ${x.completed ? "completed" : "FAILED"}, exit code ${x.exitCode ?? "none"}` +
        `${x.signal === null ? "" : ` (${x.signal})`}; peak RSS by ${x.rssMethod}; last line of standard error: ${x.lastStderrLine || "(none)"}`
    )
    if (x.phaseSource === "progress lines") lines.push(`  (the command printed no phases: measured from its progress lines, reconciliation and reports together)`)
  }
  process.stdout.write(`${lines.join("\n")}\n`)
  const directory = path.join(root, "bench", "results", quick ? "tmp" : "")
  await mkdir(directory, { recursive: true })
  const file = path.join(directory, `${new Date().toISOString().slice(0, 10)}${quick ? "-quick" : ""}${only === undefined ? "" : `-${only.join("-")}`}.json`)
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), machine, quick, only: only ?? null, results, scaling }, null, 2) + "\n")
  process.stdout.write(`written ${path.relative(root, file)}\n`)
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
})
