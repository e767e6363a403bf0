/**
 * The one interface every dialect implements: queries, transactions, text reads and bulk writes.
 */
import type { Kysely } from "kysely"
import { randomBytes } from "node:crypto"
import { appendAll } from "./Arrays.ts"
import { decodeBatches } from "./CopyText.ts"
import { keysetCondition, type KeysetPage, type SqlDialect } from "./SqlDialect.ts"
import type { Table } from "./Table.ts"

/** A value written to a database: dates and decimals travel as text in ISO and plain decimal form. */
export type SqlValue = string | number | bigint | boolean | null

/** A row read as text, one value per requested column. */
export type TextRow = ReadonlyArray<string | null>

/** Statements run inside one transaction. */
export interface Connection {
  /** Runs a statement with the dialect's placeholders and returns its rows. */
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
  /** Writes rows (values in the table's column order) the fastest way the dialect has: COPY, bulk load or batched INSERT. */
  readonly writeRows: (table: Table, rows: ReadonlyArray<ReadonlyArray<SqlValue>>) => Promise<void>
}

export interface Driver extends Connection {
  readonly dialect: SqlDialect
  /** Kysely over the same connections, for building and running ordinary statements. */
  readonly kysely: Kysely<any>
  /** Runs a query and returns every value as text, in the dialect's text form. */
  readonly queryText: (sql: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<TextRow>>
  /** Runs `f` in one transaction: committed when it resolves, rolled back when it rejects. */
  readonly transaction: <A>(f: (connection: Connection) => Promise<A>) => Promise<A>
  /** A keyset read as one `COPY (...) TO STDOUT` in text format, where the dialect has it. */
  readonly copyOut: ((page: KeysetPage) => AsyncIterable<Uint8Array>) | undefined
  /** Any query without parameters as one `COPY (...) TO STDOUT` in text format, where the dialect has it. */
  readonly copyQuery?: ((sql: string) => AsyncIterable<Uint8Array>) | undefined
  /**
   * Any query without parameters streamed in batches of text rows, where the driver streams rows but has no COPY
   * (SQL Server): memory holds about one batch, the server is paused while a batch waits.
   */
  readonly streamQuery?: ((sql: string, batchSize: number) => AsyncIterable<ReadonlyArray<TextRow>>) | undefined
  readonly close: () => Promise<void>
}

/** Values one IN list takes at once: well under SQL Server's 2,100 parameters a statement. */
export const inListSize = 1000

/**
 * Rows whose column is one of the given text values: `select` and `where` (placeholders numbered from 1 for
 * `params`) run once per part of the values small enough for the dialect, with the dialect's `oneOf` condition added.
 */
export const selectWhereOneOf = (
  driver: Pick<Driver, "dialect" | "queryText">,
  statement: { readonly select: string; readonly where: string; readonly params: ReadonlyArray<unknown>; readonly orderBy?: string },
  column: string,
  values: ReadonlyArray<string>
): Promise<Array<TextRow>> =>
  inParts(values, (part) => {
    const condition = driver.dialect.oneOf(column, part, statement.params.length + 1)
    const where = statement.where === "" ? condition.sql : `${statement.where} AND ${condition.sql}`
    const order = statement.orderBy === undefined ? "" : ` ORDER BY ${statement.orderBy}`
    return driver.queryText(`${statement.select} WHERE ${where}${order}`, [...statement.params, ...condition.params])
  }, driver.dialect.maxOneOf)

/**
 * The rows of a query without parameters in batches, every value as text: streamed through COPY where the dialect
 * has it, so that memory holds one batch; read whole and then handed out in batches elsewhere.
 */
export async function* queryBatches(driver: Driver, sql: string, batchSize: number): AsyncGenerator<ReadonlyArray<TextRow>> {
  if (driver.copyQuery !== undefined) {
    yield* decodeBatches(driver.copyQuery(sql), batchSize)
    return
  }
  if (driver.streamQuery !== undefined) {
    yield* driver.streamQuery(sql, batchSize)
    return
  }
  const rows = await driver.queryText(sql)
  for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize)
}

/** Whether the driver streams the rows of one query (`queryBatches` then holds a batch at a time, not every row). */
export const streams = (driver: Pick<Driver, "copyQuery" | "streamQuery">): boolean =>
  driver.copyQuery !== undefined || driver.streamQuery !== undefined

/** A query read in keyset pages: see `keysetPages`. */
export interface KeysetQuery {
  /**
   * Sort keys that together pick out one row: expressions over the FROM clause (`l.line_id`, quoted where need be).
   * Each is selected first, as text, ahead of `columns`.
   */
  readonly key: ReadonlyArray<string>
  /** Expressions selected after the key, each given back as the dialect reads it (cast to text where wanted). */
  readonly columns: ReadonlyArray<string>
  /** The FROM clause, joins included, without the word FROM. */
  readonly from: string
  /** A condition without the word WHERE, with placeholders numbered from 1 for `params`. */
  readonly where?: string
  readonly params?: ReadonlyArray<unknown>
  readonly pageSize: number
}

/**
 * The rows of a query of any shape (joins, conditions, parameters) in pages of at most `pageSize` rows, in key order,
 * each page read by its own statement that starts after the last key of the page before. Memory holds one page,
 * on every dialect (the embedded one cannot stream a result). Each row is the key values then the columns.
 */
export async function* keysetPages(driver: Pick<Driver, "dialect" | "queryText">, query: KeysetQuery): AsyncGenerator<ReadonlyArray<TextRow>> {
  const d = driver.dialect
  const params = query.params ?? []
  let after: ReadonlyArray<string> | undefined
  for (;;) {
    const condition = after === undefined ? undefined : keysetCondition(query.key, (k) => k, d.placeholder, after, params.length + 1)
    const where = [query.where === undefined ? undefined : `(${query.where})`, condition === undefined ? undefined : `(${condition.sql})`]
      .filter((c) => c !== undefined)
    const sql = `SELECT ${d.top(query.pageSize)}${[...query.key, ...query.columns].join(", ")} FROM ${query.from}` +
      (where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`) +
      ` ORDER BY ${query.key.join(", ")}${d.limit(query.pageSize)}`
    const rows = await driver.queryText(sql, condition === undefined ? params : [...params, ...condition.params])
    if (rows.length === 0) return
    yield rows
    if (rows.length < query.pageSize) return
    const last = rows[rows.length - 1]!
    if (last.slice(0, query.key.length).some((v) => v === null)) throw new Error(`a keyset read met a null key in ${query.from}`)
    after = last.slice(0, query.key.length) as ReadonlyArray<string>
  }
}

/**
 * A name for a scratch table of a command's own in `schema`: dropped by the command when done, and by
 * `dropSortedLeftovers` when a killed command left it.
 */
export const scratchTable = (schema: string): { readonly schema: string; readonly name: string } => ({ schema, name: `sorted_${randomBytes(8).toString("hex")}` })

/**
 * The rows of a query in pages, in key order, for a key the database has no index on (a join sorted by person and
 * service, say): the query runs once, its rows numbered in key order into a scratch table of its own in
 * `scratchSchema`, which is then read in keyset pages by that number and dropped. Keyset pages straight off such a
 * query would sort every row again for every page. Each row is the key values then the columns, as `keysetPages`.
 */
export async function* sortedPages(
  driver: Pick<Driver, "dialect" | "queryText" | "query">,
  query: KeysetQuery & { readonly scratchSchema: string }
): AsyncGenerator<ReadonlyArray<TextRow>> {
  const d = driver.dialect
  const table = scratchTable(query.scratchSchema)
  const selected = [...query.key, ...query.columns]
  const select = `SELECT ROW_NUMBER() OVER (ORDER BY ${query.key.join(", ")}) AS ${d.quoteIdentifier("n")}, ` +
    `${selected.map((c, i) => `${c} AS ${d.quoteIdentifier(`c${i}`)}`).join(", ")} FROM ${query.from}` +
    (query.where === undefined ? "" : ` WHERE ${query.where}`)
  const statements = d.materialise(table, select)
  try {
    for (const [i, statement] of statements.entries()) await driver.query(statement, i === 0 ? query.params ?? [] : [])
    for await (
      const page of keysetPages(driver, {
        key: [d.quoteIdentifier("n")],
        columns: selected.map((_, i) => d.quoteIdentifier(`c${i}`)),
        from: d.qualify(table),
        pageSize: query.pageSize
      })
    ) yield page.map((r) => r.slice(1))
  } finally {
    await driver.query(d.dropTable(table))
  }
}

/**
 * Drops the scratch tables of `sortedPages` reads that a killed command left in a schema. Only while the command holds
 * the database: another command's reads would lose their tables.
 */
export const dropSortedLeftovers = async (driver: Pick<Driver, "dialect" | "queryText" | "query">, scratchSchema: string): Promise<number> => {
  const rows = await driver.queryText(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${driver.dialect.placeholder(1)}`, [scratchSchema])
  const leftovers = rows.map(([name]) => name ?? "").filter((name) => /^sorted_[0-9a-f]{16}$/.test(name))
  for (const name of leftovers) await driver.query(driver.dialect.dropTable({ schema: scratchSchema, name }))
  return leftovers.length
}

/** Runs a query over values in parts small enough for one IN list each, and collects what every part returns. */
export const inParts = async <A, B>(
  values: ReadonlyArray<A>,
  query: (part: ReadonlyArray<A>) => Promise<ReadonlyArray<B>>,
  size = inListSize
): Promise<Array<B>> => {
  const out: Array<B> = []
  for (let i = 0; i < values.length; i += size) appendAll(out, await query(values.slice(i, i + size)))
  return out
}

/** A multi-row INSERT of at most `maxParams` parameters a statement, for dialects with no faster path. */
export const insertInChunks = async (
  dialect: SqlDialect,
  run: (sql: string, params: ReadonlyArray<unknown>) => Promise<unknown>,
  table: Table,
  rows: ReadonlyArray<ReadonlyArray<SqlValue>>,
  maxParams: number,
  maxRows: number
): Promise<void> => {
  const width = table.columns.length
  const perStatement = Math.max(1, Math.min(maxRows, Math.floor(maxParams / width)))
  const head = `INSERT INTO ${dialect.qualify(table)} (${table.columns.map((c) => dialect.quoteIdentifier(c.name)).join(", ")}) VALUES `
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement)
    const params: Array<unknown> = []
    const tuples = chunk.map((row) =>
      `(${row.map((v) => {
        params.push(v)
        return dialect.placeholder(params.length)
      }).join(", ")})`
    )
    await run(head + tuples.join(", "), params)
  }
}
