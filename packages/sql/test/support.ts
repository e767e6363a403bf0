/**
 * Helpers for the tests of this package: a fresh database on the PostgreSQL test server, and reading async streams.
 */
import pg from "pg"
import * as Table from "../src/Table.ts"
import { randomBytes } from "node:crypto"

/** The PostgreSQL server the tests use; each suite creates a database of its own on it. */
export const postgresAdminUrl = (): string =>
  process.env.HANDOVER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

/**
 * Whether a dialect is to be tested: `HANDOVER_TEST_DIALECTS` (comma separated) lists them, by default PGlite and
 * PostgreSQL.
 */
export const testsDialect = (dialect: "pglite" | "postgres"): boolean =>
  (process.env.HANDOVER_TEST_DIALECTS ?? "pglite,postgres").split(",").map((d) => d.trim()).includes(dialect)

const withAdmin = async <A>(f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: postgresAdminUrl() })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

export interface FreshDatabase {
  readonly name: string
  readonly url: string
  /** Drops the database, closing any connection still open to it. */
  readonly drop: () => Promise<void>
}

/** Creates an empty database `handover_test_<random hex>` on the test server. */
export const freshPostgres = async (): Promise<FreshDatabase> => {
  const name = `handover_test_${randomBytes(6).toString("hex")}`
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(postgresAdminUrl())
  url.pathname = `/${name}`
  return {
    name,
    url: url.href,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined)
  }
}

/** Every item of an async iterable. */
export const collect = async <A>(items: AsyncIterable<A>): Promise<Array<A>> => {
  const out: Array<A> = []
  for await (const item of items) out.push(item)
  return out
}

/** The given chunks as an async iterable. */
export async function* fromChunks(chunks: ReadonlyArray<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

/** The columns of a table with one column of every type, the same in every test that needs one. */
export const everyTypeColumns = {
  id: Table.int,
  big: Table.bigint,
  name: Table.text(),
  code: Table.text(20),
  amount: Table.decimal(12, 2),
  born: Table.date,
  at: Table.timestamp,
  flag: Table.boolean,
  note: Table.nullable(Table.text())
} as const

/** A table with one column of every type. */
export const everyTypeTable = (schema: string, name: string, primaryKey: ReadonlyArray<string>, extra: Readonly<Record<string, Table.ColumnSpec>> = {}) =>
  Table.make({ schema, name, columns: { ...everyTypeColumns, ...extra }, primaryKey })
