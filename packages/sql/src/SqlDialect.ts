/**
 * What a dialect says in SQL. Pure: every function returns text, so the SQL of a dialect whose server is not at
 * hand (SQL Server, here) can still be tested.
 */
import type { ColumnType, Table } from "./Table.ts"

export type DialectName = "postgres" | "pglite" | "mssql"

/** A table named in a statement: schema (optional) and name. */
export interface TableRef {
  readonly schema: string | undefined
  readonly name: string
}

/** A statement with its positional parameters. */
export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/** The parts of a SELECT that each dialect writes in its own words (LIMIT or TOP). */
export interface Select {
  readonly columns: ReadonlyArray<string>
  readonly from: string
  readonly where?: string | undefined
  readonly groupBy?: ReadonlyArray<string> | undefined
  readonly orderBy?: ReadonlyArray<string> | undefined
  readonly limit?: number | undefined
}

export interface KeysetPage {
  readonly table: TableRef
  /** Columns to read, in order; each comes back as text. */
  readonly columns: ReadonlyArray<string>
  /** Key columns, in sort order. */
  readonly key: ReadonlyArray<string>
  /** Read rows whose key sorts after this key (text values, one per key column); none: from the start. */
  readonly after: ReadonlyArray<string> | undefined
  readonly limit: number
  /**
   * The database's own type of each column, by name, as its catalogue gives it (`DATA_TYPE`), where known: SQL Server
   * writes each value as text by it (a float's every digit, a money's four places) and compares a `varchar` key as
   * `varchar`. PostgreSQL's own text is exact and needs none.
   */
  readonly databaseTypes?: Readonly<Record<string, string>> | undefined
}

export interface SqlDialect {
  readonly name: DialectName
  readonly quoteIdentifier: (name: string) => string
  /** A text value as a literal of the dialect (Unicode on SQL Server). */
  readonly quoteString: (value: string) => string
  readonly qualify: (table: TableRef) => string
  /** The placeholder of the n-th parameter, counting from 1. */
  readonly placeholder: (n: number) => string
  readonly columnType: (type: ColumnType) => string
  /** Creates the schema if it is missing. */
  readonly createSchema: (schema: string) => string
  /** Creates the table if it is missing. */
  readonly createTable: (table: Table) => string
  /** One page of a keyset read, every column as text, in key order. */
  readonly keysetPage: (page: KeysetPage) => Statement
  /** Empties the given tables, which may reference each other (given in dependency order). */
  readonly clearTables: (tables: ReadonlyArray<TableRef>) => ReadonlyArray<string>
  readonly dropSchema: (schema: string) => ReadonlyArray<string>
  /**
   * The condition that a column (an expression already quoted) is one of some text values, with its parameters
   * numbered from `firstParam`: the whole list as one array parameter where the dialect has arrays, else an IN list.
   */
  readonly oneOf: (column: string, values: ReadonlyArray<string>, firstParam: number) => Statement
  /** The most values one `oneOf` takes. */
  readonly maxOneOf: number
  /** Refreshes the planner's statistics of a table, so that queries on freshly loaded rows are planned well. */
  readonly analyze: (table: TableRef) => ReadonlyArray<string>
  /**
   * The first `n` rows of an ordered query: `SELECT ${top(n)}columns FROM ... ORDER BY ...${limit(n)}`; one of the two
   * is empty in each dialect (SQL Server has `TOP`, PostgreSQL `LIMIT`).
   */
  readonly top: (n: number) => string
  readonly limit: (n: number) => string
  /**
   * Statements that store the rows of a query (its parameters numbered from 1, taken by the first statement only) in a
   * new table keyed by the query's column `n`, written once and never logged where the dialect allows.
   */
  readonly materialise: (table: TableRef, select: string) => ReadonlyArray<string>
  readonly dropTable: (table: TableRef) => string
  /**
   * A column's value as the text a read gives it, by the database's own type of it where known (see `KeysetPage`):
   * the column itself on PostgreSQL, whose text output is exact.
   */
  readonly columnText: (ref: string, databaseType: string | undefined) => string
}

/**
 * The keyset condition `key > after` for a key of one or more columns, written as an OR of prefixes so that it works
 * on every dialect (SQL Server has no row-value comparison).
 */
export const keysetCondition = (
  key: ReadonlyArray<string>,
  quote: (name: string) => string,
  placeholder: (n: number) => string,
  after: ReadonlyArray<string>,
  firstParam = 1,
  /** The value a key column is compared with, from its parameter: the parameter itself unless a dialect converts it. */
  compared: (column: string, parameter: string) => string = (_, parameter) => parameter
): Statement => {
  if (after.length !== key.length) {
    throw new Error(`a resume key needs ${key.length} values, got ${after.length}`)
  }
  const params: Array<string> = []
  const param = (value: string) => {
    params.push(value)
    return placeholder(firstParam + params.length - 1)
  }
  const disjuncts = key.map((column, i) => {
    const equalities = key.slice(0, i).map((prefix, j) => `${quote(prefix)} = ${compared(prefix, param(after[j]!))}`)
    return [...equalities, `${quote(column)} > ${compared(column, param(after[i]!))}`].join(" AND ")
  })
  return { sql: disjuncts.length === 1 ? disjuncts[0]! : disjuncts.map((d) => `(${d})`).join(" OR "), params }
}
