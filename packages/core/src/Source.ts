/**
 * Reads a legacy table in key order as a stream of batches of text rows, with memory bounded by the batch size:
 * by keyset pages on every dialect, or by one `COPY ... TO STDOUT` where the dialect is PostgreSQL.
 * Either way it can start after a given key, which is how a rehearsal resumes.
 */
import { CopyText, type Database, type Driver, Names, type SqlDialect } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { DatabaseError } from "@handover/sql/Database"

export type ReadMode = "auto" | "keyset" | "copy"

export interface ReadOptions {
  readonly table: SqlDialect.TableRef
  readonly columns: ReadonlyArray<string>
  readonly key: ReadonlyArray<string>
  /** Start after this key (one text value per key column); none: from the first row. */
  readonly after: ReadonlyArray<string> | undefined
  readonly batchSize: number
  readonly mode: ReadMode
}

/** Positions of the key columns among the read columns. */
const keyPositions = (options: ReadOptions) => options.key.map((k) => options.columns.indexOf(k))

/** The database's own type of each column of a table, by name, from its catalogue. */
export const databaseTypes = (database: Database.Database, table: SqlDialect.TableRef) =>
  database.use(`read the catalogue of ${table.name}`, (d) => {
    const statement = Names.catalogue(d.dialect.name).columns(table.schema, table.name)
    return d.queryText(statement.sql, statement.params)
  }).pipe(Effect.map((rows) => Object.fromEntries(rows.map((r) => [String(r[0]), String(r[1])]))))

const keysetBatches = (database: Database.Database, options: ReadOptions) => {
  const positions = keyPositions(options)
  // read once: each page's text and resume key follow the columns' own types (on SQL Server, see `keysetPage`)
  return Stream.unwrap(Effect.map(databaseTypes(database, options.table), (types) => pages(database, options, positions, types)))
}

const pages = (database: Database.Database, options: ReadOptions, positions: ReadonlyArray<number>, types: Readonly<Record<string, string>>) => {
  return Stream.paginate(options.after, (after: ReadonlyArray<string> | undefined) => {
    const page = database.dialect.keysetPage({ ...options, after, limit: options.batchSize, databaseTypes: types })
    return database.use(`read ${options.table.name}`, (d) => d.queryText(page.sql, page.params)).pipe(
      Effect.map((rows) => {
        const last = rows.at(-1)
        const next = rows.length === options.batchSize && last !== undefined
          ? Option.some(positions.map((p) => String(last[p])))
          : Option.none<ReadonlyArray<string>>()
        return [rows.length === 0 ? [] : [rows], next] as const
      })
    )
  })
}

const copyBatches = (database: Database.Database, options: ReadOptions, copyOut: NonNullable<Driver.Driver["copyOut"]>) =>
  Stream.fromAsyncIterable(
    CopyText.decodeBatches(copyOut({ ...options, limit: Infinity }), options.batchSize),
    (cause) =>
      new DatabaseError({
        operation: `copy ${options.table.name}`,
        database: database.display,
        message: `reading ${options.table.name} from ${database.display} failed: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        cause
      })
  ) as Stream.Stream<ReadonlyArray<Driver.TextRow>, DatabaseError>

/** The legacy table as a stream of batches of text rows, in key order. */
export const batches = (
  database: Database.Database,
  options: ReadOptions
): Stream.Stream<ReadonlyArray<Driver.TextRow>, DatabaseError> => {
  const copyOut = database.driver.copyOut
  const useCopy = options.mode === "copy" || (options.mode === "auto" && copyOut !== undefined)
  if (useCopy && copyOut !== undefined) return copyBatches(database, options, copyOut)
  if (options.mode === "copy") {
    return Stream.fail(
      new DatabaseError({
        operation: `copy ${options.table.name}`,
        database: database.display,
        message: `${database.dialect.name} has no COPY: read with keyset pages`,
        cause: null
      })
    )
  }
  return keysetBatches(database, options)
}

/** Number of rows in the legacy table. */
export const count = (database: Database.Database, table: SqlDialect.TableRef) =>
  database.use(`count ${table.name}`, (d) => d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)}`)).pipe(
    Effect.map((rows) => Number(rows[0]?.[0] ?? 0))
  )
