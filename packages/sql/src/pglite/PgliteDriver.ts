/**
 * Embedded PostgreSQL (PGlite): file-backed, one connection, COPY through its in-memory `/dev/blob` device.
 */
import { PGlite, type Transaction } from "@electric-sql/pglite"
import { Kysely, PGliteDialect } from "kysely"
import { mkdir } from "node:fs/promises"
import { encodeRows } from "../CopyText.ts"
import type { Connection, Driver, SqlValue, TextRow } from "../Driver.ts"
import * as PgliteDirectory from "./PgliteDirectory.ts"
import * as PostgresSql from "../postgres/PostgresSql.ts"
import type { Table } from "../Table.ts"

const dialect = PostgresSql.make("pglite")

type Queryable = Pick<Transaction, "query">

const copyIn = async (db: Queryable, table: Table, rows: ReadonlyArray<ReadonlyArray<SqlValue>>) => {
  if (rows.length === 0) return
  const columns = table.columns.map((c) => dialect.quoteIdentifier(c.name)).join(", ")
  await db.query(`COPY ${dialect.qualify(table)} (${columns}) FROM '/dev/blob'`, [], {
    blob: new Blob([encodeRows(rows)])
  })
}

const connectionOf = (db: Queryable): Connection => ({
  query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params as Array<unknown>)).rows,
  writeRows: (table, rows) => copyIn(db, table, rows)
})

export interface Options {
  /** Folder of the database files; none: in memory. */
  readonly dataDir: string | undefined
}

export const make = async (options: Options): Promise<Driver> => {
  await PgliteDirectory.check(options.dataDir)
  // the files hold personal data: folders made here are readable by their owner only
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
  const pglite = await PGlite.create(options.dataDir === undefined ? {} : { dataDir: options.dataDir })
  const kysely = new Kysely<any>({ dialect: new PGliteDialect({ pglite }) })
  // every type read back as the text PostgreSQL produced (types without an entry here are left as text anyway)
  const identity = (value: string) => value
  const rawParsers: Record<number, (value: string) => string> = {}
  for (const row of (await pglite.query<{ oid: number }>("SELECT oid::int AS oid FROM pg_type")).rows) {
    rawParsers[row.oid] = identity
  }
  return {
    dialect,
    kysely,
    ...connectionOf(pglite),
    queryText: async (sql, params) =>
      (await pglite.query<TextRow>(sql, params as Array<unknown>, { rowMode: "array", parsers: rawParsers })).rows,
    transaction: (f) => pglite.transaction((tx) => f(connectionOf(tx))),
    copyOut: undefined,
    close: async () => {
      await kysely.destroy()
      if (!pglite.closed) await pglite.close()
    }
  }
}
