/**
 * The diff of one table on two databases (legacy and target, of the same shape, any dialects): every row missing
 * from the target, every row only in the target, and every column that differs, as findings.
 *
 * How: first the canonical form is proved on both databases (the diff refuses to run otherwise). The key space is
 * cut into segments of about equal size at key quantiles taken in one ordered pass over the keys. Each database
 * computes every segment's row count and checksum in one scan, both at once (from four segments on, a sample of them
 * first: when most of the sample differs, the checksums of the rest would differ too and are skipped). For runs of
 * segments that differ, both databases stream (key, row hash) pairs in key order, page by page, and the pairs are
 * merge-joined: scattered differences cost about one scan of each side. Rows whose hashes differ are fetched from
 * both sides in batches and compared column by column. Memory holds two pages of pairs per side (one being merged,
 * one on its way), a batch of keys and a batch of findings, never a table.
 *
 * PostgreSQL's COPY is not used for the pairs: the driver's COPY reads named columns only, and the pairs are
 * expressions; keyset pages of 10,000 pairs, the next one read while the last is merged, come close.
 *
 * Both databases order keys the same way (`CanonicalHash.compareKeys`: text by code point); the merge checks that
 * each side's keys do arrive in that order and fails rather than report differences that are not there.
 */
import { Arrays, Database, Driver, type Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as CanonicalHash from "./CanonicalHash.ts"
import * as Finding from "./Finding.ts"
import * as TableDiffSql from "./TableDiffSql.ts"

export class TableDiffError extends Schema.TaggedError<TableDiffError>()("TableDiffError", {
  table: Schema.String,
  message: Schema.String
}) {}

/** One side of the diff: a table on a database. */
export interface Side {
  readonly database: Database.Database
  readonly table: Table.Table
  /** A condition in the side's own SQL that picks the rows compared (all rows when none). */
  readonly where?: string | undefined
}

export interface Options {
  readonly legacy: Side
  readonly target: Side
  /** The entity the findings name; by default the legacy table's name. */
  readonly entity?: string | undefined
  /** Rows of each side the canonical form is proved on (default 1,000). */
  readonly proofSampleSize?: number | undefined
  /** About how many rows a segment holds (default 10,000). */
  readonly segmentRows?: number | undefined
  /** At most this many segments (default 256, at most 1,024). */
  readonly maxSegments?: number | undefined
  /** (key, hash) pairs read a page (default 10,000). */
  readonly pageSize?: number | undefined
  /** Differing rows fetched a batch (default 500). */
  readonly fetchBatchSize?: number | undefined
}

export interface Summary {
  readonly legacyRows: number
  readonly targetRows: number
  readonly segments: number
  /** Segments whose checksums were compared: all, or a sample when that showed differences everywhere. */
  readonly segmentsCompared: number
  /** Compared segments whose checksums differ. */
  readonly differingSegments: number
  /** (key, hash) pairs streamed from each side. */
  readonly pairsRead: { readonly legacy: number; readonly target: number }
  /** Whole rows fetched from each side to compare their columns. */
  readonly rowsFetched: { readonly legacy: number; readonly target: number }
  readonly missing: number
  readonly extra: number
  /** Rows present on both sides whose hashes differ. */
  readonly different: number
  readonly findings: number
}

export interface Result {
  readonly summary: Summary
  readonly findings: ReadonlyArray<Finding.Finding>
}

export const check = "table-diff"

const findingsBatch = 1000

/** From this many segments on, a sample of them is compared first: a third of them, at most eight. */
const sampleFrom = 4
const sampledSegments = (segments: number) => Math.min(8, Math.ceil(segments / 3))

interface Checksum {
  readonly count: number
  readonly sum: string
}

const tableName = (table: Table.Table) => table.schema === undefined ? table.name : `${table.schema}.${table.name}`

/** The two tables must have the same columns (names, order, logical types) and the same key. */
const shapeProblem = (legacy: Table.Table, target: Table.Table): string | undefined => {
  if (legacy.primaryKey.length === 0) return `${tableName(legacy)} has no primary key`
  if (JSON.stringify(legacy.primaryKey) !== JSON.stringify(target.primaryKey)) {
    return `the keys differ: ${legacy.primaryKey.join(", ")} against ${target.primaryKey.join(", ")}`
  }
  const describe = (t: Table.Table) => t.columns.map((c) => `${c.name} ${c.type._tag}`).join(", ")
  if (describe(legacy) !== describe(target)) return `the columns differ: (${describe(legacy)}) against (${describe(target)})`
  return undefined
}

/** The side's table with the byte-ordered text columns of PostgreSQL found, so that their indexes serve the key order. */
const sideTarget = (side: Side) => {
  const dialect = side.database.dialect
  if (dialect.name === "mssql") return Effect.succeed(TableDiffSql.target(side.table, dialect, new Set(), side.where))
  return side.database.use(
    `read the collations of ${side.table.name}`,
    (d) => d.queryText(TableDiffSql.postgresBinaryCollatedColumns, [dialect.qualify(side.table)])
  ).pipe(
    Effect.map((rows) => new Set(rows.map((r) => String(r[0])))),
    // a server too old for the query: COLLATE "C" everywhere is always right
    Effect.orElseSucceed(() => new Set<string>()),
    Effect.map((binary) => TableDiffSql.target(side.table, dialect, binary, side.where))
  )
}

/** A row of a pairs page: the key's canonical values, then the row hash. */
type Pair = Driver.TextRow

const text = (value: unknown): string | null => value === null || value === undefined ? null : String(value)

/** The key of a pair (or of a row whose first values are its key). */
const keyOf = (row: Driver.TextRow, width: number): TableDiffSql.Key => row.slice(0, width).map((v) => text(v) ?? "")

/**
 * Reads (key, hash) pairs of one range page by page; `done` once a page comes back short. The next page is asked for
 * as soon as a page arrives, in a fiber of the given scope, so that the database works while the pairs are merged.
 */
const pairReader = (side: Side, t: TableDiffSql.Target, range: TableDiffSql.KeyRange, pageSize: number, scope: Scope.Scope) => {
  const driver = side.database.driver
  return TableDiffSql.orderIsSorted(t) && Driver.streams(driver)
    ? streamedPairReader(side, driver, TableDiffSql.pairsPage(t, range, undefined, Infinity), pageSize, scope)
    : pagedPairReader(side, t, range, pageSize, scope)
}

/**
 * Reads the (key, hash) pairs of one range in one query, streamed a page at a time: for a key order no index serves,
 * which each keyset page would sort again. Closed with the scope if the merge stops early.
 */
const streamedPairReader = (side: Side, driver: Driver.Driver, sql: string, pageSize: number, scope: Scope.Scope) => {
  const state = { done: false }
  let pages: AsyncIterator<ReadonlyArray<Pair>> | undefined
  const next = Effect.gen(function*() {
    if (pages === undefined) {
      const opened = Driver.queryBatches(driver, sql, pageSize)[Symbol.asyncIterator]()
      pages = opened
      yield* Scope.addFinalizer(scope, Effect.promise(async () => void (await opened.return?.(undefined))))
    }
    const iterator = pages
    const page = yield* Effect.tryPromise({
      try: () => iterator.next(),
      catch: (cause) =>
        new Database.DatabaseError({
          operation: `read key hashes of ${side.table.name}`,
          database: side.database.display,
          message: `reading key hashes of ${side.table.name} from ${side.database.display} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
    if (page.done === true) {
      state.done = true
      return []
    }
    return page.value
  })
  return { state, next }
}

/** Reads the pairs of one range in keyset pages, each by the key's index. */
const pagedPairReader = (side: Side, t: TableDiffSql.Target, range: TableDiffSql.KeyRange, pageSize: number, scope: Scope.Scope) => {
  const width = side.table.primaryKey.length
  const fetch = (after: TableDiffSql.Key | undefined) =>
    side.database.use(`read key hashes of ${side.table.name}`, (d) => d.queryText(TableDiffSql.pairsPage(t, range, after, pageSize)))
  const state = { done: false }
  let prefetched: Fiber.Fiber<ReadonlyArray<Pair>, Database.DatabaseError> | undefined
  const next = Effect.gen(function*() {
    const pairs = prefetched === undefined ? yield* fetch(undefined) : yield* Fiber.join(prefetched)
    prefetched = undefined
    const last = pairs.at(-1)
    if (pairs.length < pageSize || last === undefined) state.done = true
    else prefetched = yield* Effect.forkIn(fetch(keyOf(last, width)), scope)
    return pairs
  })
  return { state, next }
}

/**
 * Runs the diff, handing findings to `onFindings` a batch at a time (so that a caller may write them away as they
 * come), and returns the summary.
 */
export const run = <E, R>(
  options: Options,
  onFindings: (findings: ReadonlyArray<Finding.Finding>) => Effect.Effect<void, E, R>
) =>
  Effect.gen(function*() {
    const { legacy, target } = options
    const entity = options.entity ?? legacy.table.name
    const problem = shapeProblem(legacy.table, target.table)
    if (problem !== undefined) return yield* new TableDiffError({ table: tableName(legacy.table), message: problem })
    const segmentRows = Math.max(1, options.segmentRows ?? 10_000)
    // SQL Server nests CASE at most 10 deep, which is the depth of the segment tree of 1,024 segments
    const maxSegments = Math.min(1024, Math.max(1, options.maxSegments ?? 256))
    const pageSize = Math.max(1, options.pageSize ?? 10_000)
    const fetchBatchSize = Math.max(1, options.fetchBatchSize ?? 500)
    const keyColumns = CanonicalHash.keyColumns(legacy.table)
    const keyTypes = keyColumns.map((c) => c.type)
    const width = keyColumns.length
    const keyPositions = legacy.table.primaryKey.map((k) => legacy.table.columns.findIndex((c) => c.name === k))
    const both = <A, E1, R1, E2, R2>(l: Effect.Effect<A, E1, R1>, t: Effect.Effect<A, E2, R2>) => Effect.all([l, t], { concurrency: 2 })

    // the canonical form must hold on both databases before any hash is trusted
    const sampleSize = options.proofSampleSize ?? 1000
    yield* both(
      CanonicalHash.proveCanonicalForm(legacy.database, legacy.table, sampleSize),
      CanonicalHash.proveCanonicalForm(target.database, target.table, sampleSize)
    )
    const [lt, tt] = yield* both(sideTarget(legacy), sideTarget(target))

    // segments: evenly spaced key quantiles of the larger side
    const count = (side: Side, t: TableDiffSql.Target) =>
      side.database.use(`count ${side.table.name}`, (d) => d.queryText(TableDiffSql.countRows(t))).pipe(
        Effect.map((rows) => Number(text(rows[0]?.[0]) ?? 0))
      )
    const [legacyCount, targetCount] = yield* both(count(legacy, lt), count(target, tt))
    const rows = Math.max(legacyCount, targetCount)
    const wanted = rows <= segmentRows ? 1 : Math.min(maxSegments, Math.ceil(rows / segmentRows))
    const [sampled, sampledTarget] = legacyCount >= targetCount ? [legacy, lt] as const : [target, tt] as const
    const starts: ReadonlyArray<TableDiffSql.Key> = wanted === 1 ? [] : yield* sampled.database.use(
      `read key quantiles of ${sampled.table.name}`,
      (d) => d.queryText(TableDiffSql.quantileKeys(sampledTarget, Math.ceil(rows / wanted)))
    ).pipe(Effect.map((keys) => keys.map((k) => k.map((v) => text(v) ?? ""))))
    const segments = starts.length + 1

    // checksums of segments, both databases at once
    const checksums = (side: Side, t: TableDiffSql.Target, only: ReadonlyArray<number> | undefined) =>
      side.database.use(`checksum ${side.table.name}`, (d) => d.queryText(TableDiffSql.segmentChecksums(t, starts, only))).pipe(
        Effect.map((result) => {
          const bySegment = new Map<number, Checksum>()
          for (const r of result) bySegment.set(Number(text(r[0])), { count: Number(text(r[1])), sum: BigInt(text(r[2]) ?? "0").toString() })
          return bySegment
        })
      )
    const legacySums = new Map<number, Checksum>()
    const targetSums = new Map<number, Checksum>()
    const compare = (only: ReadonlyArray<number> | undefined) =>
      both(checksums(legacy, lt, only), checksums(target, tt, only)).pipe(
        Effect.map(([l, t]) => {
          l.forEach((v, k) => legacySums.set(k, v))
          t.forEach((v, k) => targetSums.set(k, v))
        })
      )
    const differs = (i: number) => {
      const l = legacySums.get(i)
      const t = targetSums.get(i)
      return l?.count !== t?.count || l?.sum !== t?.sum
    }
    // with many segments, a few spread over the key space first: when most of those differ, differences are
    // everywhere, and streaming every pair at once costs less than checksumming the rest first
    let compared: ReadonlyArray<number> = Array.from({ length: segments }, (_, i) => i)
    let widespread = false
    if (segments >= sampleFrom) {
      const size = sampledSegments(segments)
      const sample = Array.from({ length: size }, (_, i) => Math.floor((i * segments) / size))
      yield* compare(sample)
      widespread = sample.filter(differs).length * 2 > sample.length
      if (widespread) compared = sample
      else yield* compare(compared.filter((i) => !sample.includes(i)))
    } else {
      yield* compare(undefined)
    }
    const differingSegments = compared.filter(differs).length
    const ranges: Array<TableDiffSql.KeyRange> = []
    if (widespread) ranges.push({ from: undefined, to: undefined })
    else {
      for (let i = 0; i < segments; i++) {
        if (!differs(i)) continue
        let j = i
        while (j + 1 < segments && differs(j + 1)) j++
        ranges.push({ from: i === 0 ? undefined : starts[i - 1], to: j + 1 < segments ? starts[j] : undefined })
        i = j
      }
    }

    // merge-join the (key, hash) pairs of the differing ranges
    let pending: Array<Finding.Finding> = []
    let differing: Array<TableDiffSql.Key> = []
    const tally = { missing: 0, extra: 0, different: 0, findings: 0, pairsLegacy: 0, pairsTarget: 0, fetchedLegacy: 0, fetchedTarget: 0 }
    const keyTextOf = (key: TableDiffSql.Key) => CanonicalHash.keyText(key)
    const emit = (finding: Finding.Finding) => {
      pending.push(finding)
      tally.findings++
    }
    const missing = (key: TableDiffSql.Key) => {
      tally.missing++
      emit(Finding.make({
        check,
        entity,
        kind: "missing",
        severity: "error",
        legacyKey: keyTextOf(key),
        message: `${entity} ${keyTextOf(key)} is in the legacy table ${tableName(legacy.table)} ` +
          `but not in the target table ${tableName(target.table)}`
      }))
    }
    const extra = (key: TableDiffSql.Key) => {
      tally.extra++
      emit(Finding.make({
        check,
        entity,
        kind: "extra",
        severity: "error",
        targetKey: keyTextOf(key),
        message: `${entity} ${keyTextOf(key)} is in the target table ${tableName(target.table)} ` +
          `but not in the legacy table ${tableName(legacy.table)}`
      }))
    }

    const fetchRows = (side: Side, t: TableDiffSql.Target, keys: ReadonlyArray<TableDiffSql.Key>) =>
      side.database.use(`read differing rows of ${side.table.name}`, (d) => d.queryText(TableDiffSql.rowsByKey(t, keys))).pipe(
        Effect.map((result) => {
          const byKey = new Map<string, ReadonlyArray<string | null>>()
          for (const r of result) {
            const values = r.map(text)
            byKey.set(keyTextOf(keyPositions.map((p) => values[p] ?? "")), values)
          }
          return byKey
        })
      )

    /** Fetches the rows of the keys whose hashes differ and reports each differing column. */
    const resolveDiffering = Effect.suspend(() => {
      if (differing.length === 0) return Effect.void
      const keys = differing
      differing = []
      return both(fetchRows(legacy, lt, keys), fetchRows(target, tt, keys)).pipe(
        Effect.map(([legacyRows, targetRows]) => {
          tally.fetchedLegacy += legacyRows.size
          tally.fetchedTarget += targetRows.size
          for (const key of keys) {
            const k = keyTextOf(key)
            const l = legacyRows.get(k)
            const t = targetRows.get(k)
            let reported = false
            for (const [i, column] of legacy.table.columns.entries()) {
              if (l === undefined || t === undefined) break
              const lv = l[i] ?? null
              const tv = t[i] ?? null
              if (lv === tv) continue
              reported = true
              emit(Finding.make({
                check,
                entity,
                kind: "different",
                severity: "error",
                legacyKey: k,
                targetKey: k,
                field: column.name,
                legacyValue: lv,
                targetValue: tv,
                message: `${entity} ${k}: ${column.name} differs between the legacy and the target table`
              }))
            }
            if (!reported) {
              emit(Finding.make({
                check,
                entity,
                kind: "different",
                severity: "error",
                legacyKey: k,
                targetKey: k,
                message: l === undefined || t === undefined
                  ? `${entity} ${k} changed while the diff ran`
                  : `${entity} ${k}: the row hashes differ but no column does`
              }))
            }
          }
        })
      )
    })

    const flush = (final: boolean) =>
      Effect.gen(function*() {
        if (differing.length >= fetchBatchSize || (final && differing.length > 0)) yield* resolveDiffering
        if (pending.length >= findingsBatch || (final && pending.length > 0)) {
          const batch = pending
          pending = []
          yield* onFindings(batch)
        }
      })

    const outOfOrder = (side: Side, previous: TableDiffSql.Key, next: TableDiffSql.Key) =>
      new TableDiffError({
        table: tableName(side.table),
        message: `${side.database.dialect.name} (${side.database.display}) returned the key ${keyTextOf(next)} after ${
          keyTextOf(previous)
        }: its key order is not the diff's, so a merge would report false differences`
      })

    /** Takes a page into a side's buffer, checking that its keys rise. */
    const accept = (side: Side, last: { pair: Pair | undefined }, pairs: ReadonlyArray<Pair>) =>
      Effect.suspend(() => {
        for (const pair of pairs) {
          if (last.pair !== undefined && CanonicalHash.compareKeys(keyTypes, last.pair, pair) >= 0) {
            return Effect.fail(outOfOrder(side, keyOf(last.pair, width), keyOf(pair, width)))
          }
          last.pair = pair
        }
        return Effect.succeed(pairs)
      })

    const mergeRange = (range: TableDiffSql.KeyRange) =>
      Effect.gen(function*() {
        const scope = yield* Effect.scope
        const left = pairReader(legacy, lt, range, pageSize, scope)
        const right = pairReader(target, tt, range, pageSize, scope)
        const lastLeft = { pair: undefined as Pair | undefined }
        const lastRight = { pair: undefined as Pair | undefined }
        let l: ReadonlyArray<Pair> = []
        let r: ReadonlyArray<Pair> = []
        let li = 0
        let ri = 0
        for (;;) {
          const needLeft = li >= l.length && !left.state.done
          const needRight = ri >= r.length && !right.state.done
          if (needLeft || needRight) {
            const [nl, nr] = yield* both(
              needLeft ? left.next.pipe(Effect.flatMap((p) => accept(legacy, lastLeft, p))) : Effect.succeed(undefined),
              needRight ? right.next.pipe(Effect.flatMap((p) => accept(target, lastRight, p))) : Effect.succeed(undefined)
            )
            if (nl !== undefined) {
              l = nl
              li = 0
              tally.pairsLegacy += nl.length
            }
            if (nr !== undefined) {
              r = nr
              ri = 0
              tally.pairsTarget += nr.length
            }
            continue
          }
          const leftOver = li >= l.length
          const rightOver = ri >= r.length
          if (leftOver && rightOver) break
          if (leftOver) {
            while (ri < r.length) extra(keyOf(r[ri++]!, width))
          } else if (rightOver) {
            while (li < l.length) missing(keyOf(l[li++]!, width))
          } else {
            while (li < l.length && ri < r.length) {
              const a = l[li]!
              const b = r[ri]!
              const c = CanonicalHash.compareKeys(keyTypes, a, b)
              if (c < 0) {
                missing(keyOf(a, width))
                li++
              } else if (c > 0) {
                extra(keyOf(b, width))
                ri++
              } else {
                if (a[width] !== b[width]) {
                  tally.different++
                  differing.push(keyOf(a, width))
                }
                li++
                ri++
              }
            }
          }
          yield* flush(false)
        }
      })

    for (const range of ranges) yield* Effect.scoped(mergeRange(range))
    yield* flush(true)

    return {
      legacyRows: legacyCount,
      targetRows: targetCount,
      segments,
      segmentsCompared: compared.length,
      differingSegments,
      pairsRead: { legacy: tally.pairsLegacy, target: tally.pairsTarget },
      rowsFetched: { legacy: tally.fetchedLegacy, target: tally.fetchedTarget },
      missing: tally.missing,
      extra: tally.extra,
      different: tally.different,
      findings: tally.findings
    } satisfies Summary
  })

/** Runs the diff and collects its findings (which a table with many differences makes many: see `run`). */
export const diff = (options: Options) =>
  Effect.gen(function*() {
    const findings: Array<Finding.Finding> = []
    const summary = yield* run(options, (batch) => Effect.sync(() => Arrays.appendAll(findings, batch)))
    return { summary, findings } satisfies Result
  })
