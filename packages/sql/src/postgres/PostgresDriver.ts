/**
 * PostgreSQL through `pg`: COPY in both directions, raw text reads without pg's type parsing.
 */
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"
import { from as copyFrom, to as copyTo } from "pg-copy-streams"
import { pipeline } from "node:stream/promises"
import { Readable } from "node:stream"
import { encodeRows } from "../CopyText.ts"
import type { Connection, Driver, TextRow } from "../Driver.ts"
import type { Table } from "../Table.ts"
import * as PostgresSql from "./PostgresSql.ts"

/** Every value as the text PostgreSQL sent: no Date, number or boolean parsing. */
const rawTypes = { getTypeParser: () => (value: string) => value }

const copyIn = async (client: pg.PoolClient, table: Table, rows: ReadonlyArray<ReadonlyArray<unknown>>) => {
  if (rows.length === 0) return
  const dialect = PostgresSql.make("postgres")
  const columns = table.columns.map((c) => dialect.quoteIdentifier(c.name)).join(", ")
  const stream = client.query(copyFrom(`COPY ${dialect.qualify(table)} (${columns}) FROM STDIN`))
  await pipeline(Readable.from([encodeRows(rows as never)]), stream)
}

const connectionOf = (client: pg.PoolClient): Connection => ({
  query: async (sql, params) => (await client.query(sql, params as Array<unknown>)).rows,
  writeRows: (table, rows) => copyIn(client, table, rows)
})

export interface Options {
  readonly connectionString: string
  readonly maxConnections?: number
  /** How long to wait for a connection (a new one, or a free one of the pool) before failing; 60 seconds by default. */
  readonly connectionTimeoutMillis?: number
}

export const make = (options: Options): Driver => {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 4,
    // a server that drops packets instead of refusing would otherwise leave a connection attempt waiting for the OS
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 60_000
  })
  // an idle client whose server went away must not crash the process
  pool.on("error", () => {})
  // nor a client in use between two statements (the server ended its connection, the network dropped): the error
  // reaches the next statement on it instead, and the client is discarded when it is released
  const lost = new WeakMap<pg.PoolClient, Error>()
  pool.on("connect", (client) => client.on("error", (error) => lost.set(client as pg.PoolClient, error)))
  const dialect = PostgresSql.make("postgres")
  const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
  /** Runs `f` on a client of its own; a client whose connection failed goes back to the pool only to be discarded. */
  const withClient = async <A>(f: (client: pg.PoolClient, discard: (error: Error) => void) => Promise<A>): Promise<A> => {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      return await f(client, (error) => (broken = error))
    } finally {
      client.release(broken ?? lost.get(client))
    }
  }
  const copyQuery = (sql: string): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]: async function*() {
      const client = await pool.connect()
      let completed = false
      try {
        const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`))
        for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk
        completed = true
      } finally {
        // a COPY abandoned half way leaves the connection unusable: discard it
        client.release(completed ? undefined : true)
      }
    }
  })
  return {
    dialect,
    kysely,
    query: async (sql, params) => (await pool.query(sql, params as Array<unknown>)).rows,
    writeRows: (table, rows) => withClient((client) => copyIn(client, table, rows)),
    queryText: async (sql, params) => {
      const result = await pool.query({ text: sql, values: params as Array<unknown>, rowMode: "array", types: rawTypes })
      return result.rows as ReadonlyArray<TextRow>
    },
    transaction: (f) =>
      withClient(async (client, discard) => {
        await client.query("BEGIN")
        try {
          const result = await f(connectionOf(client))
          await client.query("COMMIT")
          return result
        } catch (error) {
          // a connection that cannot even roll back is gone: the server rolls the transaction back without it
          await client.query("ROLLBACK").catch(discard)
          throw error
        }
      }),
    copyOut: (page) => copyQuery(PostgresSql.keysetSelect(page, true).sql),
    copyQuery,
    // Kysely ends the pool only if it used it; a driver that answered only its first query still holds a client
    close: async () => {
      await kysely.destroy()
      if (!pool.ending) await pool.end()
    }
  }
}
