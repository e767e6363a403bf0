/**
 * SQL Server through `mssql` (tedious underneath): bulk load for writes, Kysely's MssqlDialect for built statements.
 */
import { Kysely, MssqlDialect } from "kysely"
import mssql from "mssql"
import * as Tarn from "tarn"
import * as Tedious from "tedious"
import { insertInChunks, type Connection, type Driver, type SqlValue } from "../Driver.ts"
import type { ColumnType, Table } from "../Table.ts"
import * as MssqlSql from "./MssqlSql.ts"

const dialect = MssqlSql.dialect

/** The bulk-load type of a column. */
export const bulkType = (type: ColumnType): mssql.ISqlType | (() => mssql.ISqlType) => {
  switch (type._tag) {
    case "text":
      return mssql.NVarChar(type.maxLength ?? mssql.MAX)
    case "int":
      return mssql.Int
    case "bigint":
      return mssql.BigInt
    case "decimal":
      return mssql.Decimal(type.precision, type.scale)
    case "date":
      return mssql.Date
    case "timestamp":
      return mssql.DateTimeOffset(3)
    case "boolean":
      return mssql.Bit
  }
}

/**
 * A decimal's text rounded to `scale` places as SQL Server rounds text it converts to a decimal: half away from zero.
 * The result is the whole number of units of the last place, `1.005` at scale 2 is 101.
 */
export const scaledDecimal = (text: string, scale: number): bigint => {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim())
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) throw new Error(`${JSON.stringify(text)} is not a decimal`)
  const fraction = m[3] ?? ""
  const kept = BigInt((m[2] || "0") + fraction.slice(0, scale).padEnd(scale, "0"))
  const magnitude = fraction.length > scale && fraction.charCodeAt(scale) >= 53 /* "5" */ ? kept + 1n : kept
  return m[1] === "-" ? -magnitude : magnitude
}

/**
 * The most significant digits tedious writes a decimal with exactly: it sends `Math.round(|value| × 10^scale)` in
 * floating point, which is exact for whole numbers below 10^15 reached from the nearest double.
 */
export const bulkDecimalDigits = 15

/**
 * An instant's text as a JS Date rounded to the millisecond, as SQL Server rounds text it converts to
 * `datetimeoffset(3)` (a Date would drop the rest of the fraction instead).
 */
export const millisecondInstant = (text: string): Date => {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim().replace(" ", "T"))
  if (m === null) return new Date(text)
  const fraction = m[2] ?? ""
  const whole = Date.parse(`${m[1]}.${fraction.slice(0, 3).padEnd(3, "0")}${m[3] ?? "Z"}`)
  return new Date(fraction.length > 3 && fraction.charCodeAt(3) >= 53 ? whole + 1 : whole)
}

/**
 * A value in the form tedious's bulk load takes for the column type, so that a bulk load stores what an INSERT of
 * the same value stores: decimals rounded half away from zero, whole numbers of any size exact, instants rounded to
 * the millisecond.
 */
export const bulkValue = (type: ColumnType, value: SqlValue): string | number | boolean | Date | null => {
  if (value === null) return null
  switch (type._tag) {
    case "date":
      return new Date(`${String(value)}T00:00:00Z`)
    case "timestamp":
      return millisecondInstant(String(value))
    case "decimal": {
      const scaled = scaledDecimal(typeof value === "string" ? value : String(value), type.scale)
      if (scaled >= 10n ** BigInt(bulkDecimalDigits) || scaled <= -(10n ** BigInt(bulkDecimalDigits))) {
        throw new Error(`${String(value)} has more digits than a bulk load writes exactly`)
      }
      return Number(scaled) / 10 ** type.scale
    }
    case "int":
      return Number(value)
    case "bigint":
      // as its digits: tedious reads a text with BigInt, exactly, where a number above 2^53 would have been rounded
      return BigInt(value as string | number | bigint).toString()
    case "boolean":
      return value === true || value === "t" || value === "true" || value === 1
    case "text":
      return String(value)
  }
}

/**
 * Whether a table's rows can go in by bulk load: its decimals no wider than tedious writes exactly, and its name one
 * that `mssql`'s bulk load can parse (it cannot take a closing bracket). Other tables take INSERT statements.
 */
export const bulkLoadable = (table: Table): boolean =>
  !table.name.includes("]") && !(table.schema ?? "").includes("]") &&
  table.columns.every((c) => c.type._tag !== "decimal" || c.type.precision <= bulkDecimalDigits)

/**
 * What a bulk load does as an INSERT does: constraints checked (and so left trusted), triggers fired, and a NULL
 * stored as NULL rather than as the column's default.
 */
export const bulkOptions = { checkConstraints: true, fireTriggers: true, keepNulls: true } as const satisfies mssql.IBulkOptions

/** Rows below this count go in as INSERT statements: a bulk load has a fixed cost per call. */
const bulkThreshold = 50

/** An INSERT's parameter of a column type: text as text, for SQL Server to convert exactly as it converts a literal. */
const insertValue = (type: ColumnType, value: SqlValue): SqlValue =>
  value === null ? null : type._tag === "bigint" ? BigInt(value as string | number | bigint) : type._tag === "boolean" || type._tag === "int" ? value : String(value)

const bindAll = (request: mssql.Request, params: ReadonlyArray<unknown> | undefined) => {
  params?.forEach((value, i) => request.input(String(i + 1), value))
  return request
}

/** Binds each parameter of an INSERT of a table's rows as its column's value (parameters run row by row). */
const bindRows = (request: mssql.Request, table: Table, params: ReadonlyArray<unknown>) => {
  const width = table.columns.length
  params.forEach((value, i) => {
    const type = table.columns[i % width]!.type
    const bound = insertValue(type, value as SqlValue)
    if (type._tag === "bigint") request.input(String(i + 1), mssql.BigInt, bound)
    else if (typeof bound === "string") request.input(String(i + 1), mssql.NVarChar(mssql.MAX), bound)
    else request.input(String(i + 1), bound)
  })
  return request
}

const connectionOf = (newRequest: () => mssql.Request): Connection => {
  const query = async (sql: string, params?: ReadonlyArray<unknown>) =>
    (await bindAll(newRequest(), params).query(sql)).recordset ?? []
  return {
    query,
    writeRows: async (table, rows) => {
      if (rows.length === 0) return
      if (rows.length < bulkThreshold || !bulkLoadable(table)) {
        return insertInChunks(dialect, async (sql, params) => (await bindRows(newRequest(), table, params).query(sql)).recordset, table, rows, 2000, 1000)
      }
      const bulk = new mssql.Table(dialect.qualify(table))
      bulk.create = false
      for (const column of table.columns) {
        bulk.columns.add(column.name, bulkType(column.type), { nullable: column.nullable })
      }
      for (const row of rows) {
        bulk.rows.add(...row.map((v, i) => bulkValue(table.columns[i]!.type, v)))
      }
      await newRequest().bulk(bulk, bulkOptions)
    }
  }
}

/** What `mssql` says of a column of a result: its type (one of `mssql`'s type constructors) and scale. */
export interface ResultColumn {
  readonly type?: unknown
  readonly scale?: number | undefined
}

const decimalTypes: ReadonlySet<unknown> = new Set([mssql.Decimal, mssql.Numeric])
const moneyTypes: ReadonlySet<unknown> = new Set([mssql.Money, mssql.SmallMoney])

/**
 * A value as tedious gives it, back to the text a database prints for it, as the `Driver` contract says `queryText`
 * returns: a date as `yyyy-mm-dd`; an instant in UTC with all seven digits of its fraction (tedious keeps those past
 * the millisecond beside the Date); a decimal with its scale's digits (exact up to fifteen significant digits, as
 * tedious reads decimals into numbers: a column wider than that is converted to text in the SQL); a GUID in lower
 * case, as PostgreSQL prints it; a bit as `t` or `f`.
 */
export const textOf = (value: unknown, column: ResultColumn | undefined): string | null => {
  if (value === null || value === undefined) return null
  const type = column?.type
  if (typeof value === "string") return type === mssql.UniqueIdentifier ? value.toLowerCase() : value
  if (typeof value === "boolean") return value ? "t" : "f"
  if (typeof value === "bigint") return value.toString()
  if (typeof value === "number") {
    if (moneyTypes.has(type)) return value.toFixed(4)
    if (decimalTypes.has(type) && column?.scale !== undefined) return value.toFixed(column.scale)
    return String(value)
  }
  if (value instanceof Date) {
    const iso = value.toISOString()
    if (type === mssql.Date) return iso.slice(0, 10)
    const beyondMillisecond = String(Math.round(((value as { nanosecondsDelta?: number }).nanosecondsDelta ?? 0) * 1e7)).padStart(4, "0")
    if (type === mssql.Time) return `${iso.slice(11, 23)}${beyondMillisecond}`
    // datetime and datetime2 carry no offset: read as UTC, as the canonical hash reads them
    return `${iso.slice(0, 23)}${beyondMillisecond}Z`
  }
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`
  return String(value)
}

/** What `streamRows` needs of an `mssql` request in stream mode: its events, and pausing and resuming its rows. */
export interface RowStream {
  on(event: "recordset", listener: (columns: ReadonlyArray<ResultColumn>) => void): unknown
  on(event: "row", listener: (row: ReadonlyArray<unknown>) => void): unknown
  on(event: "error", listener: (error: unknown) => void): unknown
  on(event: "done", listener: () => void): unknown
  pause(): unknown
  resume(): unknown
  cancel(): unknown
}

/**
 * The rows of a request in stream mode, in batches of text rows: the request is paused once a batch is waiting and
 * resumed when it is taken, so that memory holds about one batch; a reader that stops early cancels the query.
 */
export async function* streamRows(request: RowStream, start: () => void, batchSize: number): AsyncGenerator<ReadonlyArray<ReadonlyArray<string | null>>> {
  let columns: ReadonlyArray<ResultColumn> = []
  let waiting: Array<ReadonlyArray<string | null>> = []
  let finished = false
  let failure: { readonly error: unknown } | undefined
  let wake: (() => void) | undefined
  const signal = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  request.on("recordset", (c) => void (columns = c))
  request.on("row", (row) => {
    waiting.push(row.map((v, i) => textOf(v, columns[i])))
    if (waiting.length >= batchSize) {
      request.pause()
      signal()
    }
  })
  request.on("error", (error) => {
    failure ??= { error }
    signal()
  })
  request.on("done", () => {
    finished = true
    signal()
  })
  start()
  try {
    for (;;) {
      if (failure !== undefined) throw failure.error
      if (waiting.length >= batchSize || (finished && waiting.length > 0)) {
        const batch = waiting.slice(0, batchSize)
        waiting = waiting.slice(batchSize)
        if (!finished && waiting.length < batchSize) request.resume()
        yield batch
        continue
      }
      if (finished) return
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    if (!finished) request.cancel()
  }
}

export interface Options {
  readonly server: string
  readonly port: number
  readonly database: string
  readonly user: string
  readonly password: string
  readonly encrypt: boolean
  readonly trustServerCertificate: boolean
}

/** The `mssql` pool settings of a server: its connections, how many, and the name its sessions carry. */
export const poolConfig = (options: Options, pool: mssql.PoolOpts<mssql.Connection>, appName?: string): mssql.config => ({
  server: options.server,
  port: options.port,
  database: options.database,
  user: options.user,
  password: options.password,
  options: { encrypt: options.encrypt, trustServerCertificate: options.trustServerCertificate, ...(appName === undefined ? {} : { appName }) },
  pool
})

export const make = async (options: Options): Promise<Driver> => {
  const pool = new mssql.ConnectionPool(poolConfig(options, { min: 0, max: 4 }))
  pool.on("error", () => {})
  await pool.connect()
  const kysely = new Kysely<any>({
    dialect: new MssqlDialect({
      tarn: { ...Tarn, options: { min: 0, max: 2 } },
      tedious: {
        ...Tedious,
        connectionFactory: () =>
          new Tedious.Connection({
            server: options.server,
            authentication: { type: "default", options: { userName: options.user, password: options.password } },
            options: {
              port: options.port,
              database: options.database,
              encrypt: options.encrypt,
              trustServerCertificate: options.trustServerCertificate
            }
          })
      }
    })
  })
  return {
    dialect,
    kysely,
    ...connectionOf(() => new mssql.Request(pool)),
    queryText: async (sql, params) => {
      const request = bindAll(new mssql.Request(pool), params)
      request.arrayRowMode = true
      const result = await request.query(sql)
      const columns = ((result as { readonly columns?: ReadonlyArray<ReadonlyArray<ResultColumn>> }).columns ?? [])[0] ?? []
      return ((result.recordset ?? []) as unknown as ReadonlyArray<ReadonlyArray<unknown>>).map((row) => row.map((v, i) => textOf(v, columns[i])))
    },
    transaction: async (f) => {
      const transaction = new mssql.Transaction(pool)
      await transaction.begin()
      try {
        const result = await f(connectionOf(() => new mssql.Request(transaction)))
        await transaction.commit()
        return result
      } catch (error) {
        await transaction.rollback().catch(() => {})
        throw error
      }
    },
    copyOut: undefined,
    streamQuery: (sql, batchSize) => {
      const request = new mssql.Request(pool)
      request.stream = true
      request.arrayRowMode = true
      // with a callback: in stream mode an error comes as an event, then done
      return streamRows(request as unknown as RowStream, () => void request.query(sql, () => {}), batchSize)
    },
    close: async () => {
      await kysely.destroy()
      await pool.close()
    }
  }
}
