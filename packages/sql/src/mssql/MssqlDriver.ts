/**
 * SQL Server through `mssql` (tedious underneath): bulk load for writes, Kysely's MssqlDialect for built statements.
 */
import { Kysely, MssqlDialect } from "kysely"
import mssql from "mssql"
import * as Tarn from "tarn"
import * as Tedious from "tedious"
import { insertInChunks, type Connection, type Driver, type SqlValue, type TextRow } from "../Driver.ts"
import type { ColumnType } from "../Table.ts"
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

/** A value in the form tedious's bulk load takes for the column type. */
export const bulkValue = (type: ColumnType, value: SqlValue): string | number | boolean | Date | null => {
  if (value === null) return null
  switch (type._tag) {
    case "date":
      return new Date(`${String(value)}T00:00:00Z`)
    case "timestamp":
      return new Date(String(value))
    case "decimal": {
      if (type.precision > 15) throw new Error(`decimal(${type.precision}) is too wide for an exact bulk load`)
      return Number(value)
    }
    case "int":
    case "bigint":
      return typeof value === "bigint" ? Number(value) : (value as number)
    case "boolean":
      return value === true || value === "t" || value === "true" || value === 1
    case "text":
      return String(value)
  }
}

/** Rows below this count go in as INSERT statements: a bulk load has a fixed cost per call. */
const bulkThreshold = 50

const bindAll = (request: mssql.Request, params: ReadonlyArray<unknown> | undefined) => {
  params?.forEach((value, i) => request.input(String(i + 1), value))
  return request
}

const connectionOf = (newRequest: () => mssql.Request): Connection => {
  const query = async (sql: string, params?: ReadonlyArray<unknown>) =>
    (await bindAll(newRequest(), params).query(sql)).recordset ?? []
  return {
    query,
    writeRows: async (table, rows) => {
      if (rows.length === 0) return
      if (rows.length < bulkThreshold) {
        return insertInChunks(dialect, query, table, rows, 2000, 1000)
      }
      const bulk = new mssql.Table(dialect.qualify(table))
      bulk.create = false
      for (const column of table.columns) {
        bulk.columns.add(column.name, bulkType(column.type), { nullable: column.nullable })
      }
      for (const row of rows) {
        bulk.rows.add(...row.map((v, i) => bulkValue(table.columns[i]!.type, v)))
      }
      await newRequest().bulk(bulk)
    }
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
      return (result.recordset ?? []) as unknown as ReadonlyArray<TextRow>
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
    close: async () => {
      await kysely.destroy()
      await pool.close()
    }
  }
}
