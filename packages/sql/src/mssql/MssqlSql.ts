/**
 * The T-SQL of SQL Server.
 */
import { keysetCondition, type SqlDialect, type TableRef } from "../SqlDialect.ts"
import type { ColumnType, Table } from "../Table.ts"

export const quoteIdentifier = (name: string): string => `[${name.replaceAll("]", "]]")}]`

export const quoteString = (value: string): string => `N'${value.replaceAll("'", "''")}'`

const qualify = (table: TableRef): string =>
  table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`

/** The longest `nvarchar(n)`: a longer text is `nvarchar(max)`. */
const longestNvarchar = 4000

const columnType = (type: ColumnType): string => {
  switch (type._tag) {
    case "text":
      // key and indexed columns need a bounded length on SQL Server
      return type.maxLength === undefined || type.maxLength > longestNvarchar ? "nvarchar(max)" : `nvarchar(${type.maxLength})`
    case "int":
      return "int"
    case "bigint":
      return "bigint"
    case "decimal":
      return `decimal(${type.precision}, ${type.scale})`
    case "date":
      return "date"
    case "timestamp":
      return "datetimeoffset(3)"
    case "boolean":
      return "bit"
  }
}

/** The most bytes of a column's values in an index key, or `undefined` for a column that cannot be in one. */
const keyBytes = (type: ColumnType): number | undefined => {
  switch (type._tag) {
    case "text":
      return type.maxLength === undefined || type.maxLength > longestNvarchar ? undefined : 2 * type.maxLength
    case "int":
      return 4
    case "bigint":
      return 8
    case "decimal":
      return 17
    case "date":
      return 3
    case "timestamp":
      return 10
    case "boolean":
      return 1
  }
}

/** The widest key a clustered index takes, and the widest a nonclustered one takes (SQL Server 2016 and later). */
export const clusteredKeyBytes = 900
export const nonclusteredKeyBytes = 1700

/**
 * The primary key of a table: clustered (the table stored in key order) where its widest values fit 900 bytes,
 * nonclustered where they fit 1,700; a key that could be wider, or has a column of unbounded text, is refused here
 * rather than by the first insert of a long value.
 */
export const primaryKeyClause = (table: Table): string | undefined => {
  if (table.primaryKey.length === 0) return undefined
  let bytes = 0
  for (const name of table.primaryKey) {
    const column = table.columns.find((c) => c.name === name)!
    const width = keyBytes(column.type)
    if (width === undefined) {
      throw new Error(`table ${table.name}: key column ${name} is text of no maximum length (or above ${longestNvarchar}), which SQL Server cannot index`)
    }
    bytes += width
  }
  if (bytes > nonclusteredKeyBytes) {
    throw new Error(`table ${table.name}: its key takes up to ${bytes} bytes, more than the ${nonclusteredKeyBytes} SQL Server indexes`)
  }
  return `PRIMARY KEY ${bytes > clusteredKeyBytes ? "NONCLUSTERED " : ""}(${table.primaryKey.map(quoteIdentifier).join(", ")})`
}

const createTable = (table: Table): string => {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${columnType(c.type)} ${c.nullable ? "NULL" : "NOT NULL"}`)
  const clause = primaryKeyClause(table)
  const pk = clause === undefined ? [] : [clause]
  // OBJECT_ID parses its argument as a multi-part name: bracketed, so that a dot or bracket in a name is not misread
  const objectName = quoteString(qualify(table))
  return `IF OBJECT_ID(${objectName}, N'U') IS NULL CREATE TABLE ${qualify(table)} (${[...columns, ...pk].join(", ")})`
}

const placeholder = (n: number) => `@${n}`

/**
 * A column's value as text, by the database's own type of it (the catalogue's `DATA_TYPE`), so that no digit is lost
 * and no reading depends on the login's language: a float with style 3 (17 digits, lossless), money with style 2 (its
 * four places; style 0 would round to two), a date as `yyyy-mm-dd`, any other date or time in ISO 8601 with a `T`
 * (style 126, which every language and DATEFORMAT reads back alike, so a resumed read compares a date-time key
 * correctly), a GUID in lower case as PostgreSQL prints it, and any other type by its default conversion. A column
 * of no known type gets style 126, right for date-times and money.
 */
export const columnText = (ref: string, databaseType: string | undefined): string => {
  switch (databaseType?.toLowerCase()) {
    case "float":
    case "real":
      return `CONVERT(nvarchar(max), ${ref}, 3)`
    case "money":
    case "smallmoney":
      return `CONVERT(nvarchar(max), ${ref}, 2)`
    case "date":
      return `CONVERT(nvarchar(10), ${ref}, 23)`
    case "datetime":
    case "datetime2":
    case "smalldatetime":
    case "datetimeoffset":
    case "time":
    case undefined:
      return `CONVERT(nvarchar(max), ${ref}, 126)`
    case "uniqueidentifier":
      return `LOWER(CONVERT(nvarchar(36), ${ref}))`
    default:
      return `CONVERT(nvarchar(max), ${ref})`
  }
}

/**
 * A resume key's parameter as its column compares it: a parameter is sent as `nvarchar`, which a `varchar` column
 * would be converted to for the comparison (under a `SQL_` collation a different order from its `ORDER BY`, and no use
 * of its index), so it is converted to the column's type instead.
 */
export const comparedAs = (parameter: string, databaseType: string | undefined): string => {
  switch (databaseType?.toLowerCase()) {
    case "varchar":
    case "char":
      return `CAST(${parameter} AS varchar(8000))`
    default:
      return parameter
  }
}

export const dialect: SqlDialect = {
  name: "mssql",
  quoteIdentifier,
  quoteString,
  qualify,
  placeholder,
  columnType,
  createSchema: (schema) =>
    `IF SCHEMA_ID(${quoteString(schema)}) IS NULL EXEC(${quoteString(`CREATE SCHEMA ${quoteIdentifier(schema)}`)})`,
  createTable,
  keysetPage: (page) => {
    const typeOf = (column: string) => page.databaseTypes?.[column]
    const condition = page.after === undefined
      ? undefined
      : keysetCondition(page.key, quoteIdentifier, placeholder, page.after, 1, (column, parameter) => comparedAs(parameter, typeOf(column)))
    const top = Number.isFinite(page.limit) ? `TOP (${Math.trunc(page.limit)}) ` : ""
    const asText = (column: string) => `${columnText(quoteIdentifier(column), typeOf(column))} AS ${quoteIdentifier(column)}`
    return {
      sql: `SELECT ${top}${page.columns.map(asText).join(", ")} FROM ${qualify(page.table)}` +
        (condition === undefined ? "" : ` WHERE ${condition.sql}`) +
        // qualified: a bare name would sort on the text alias of the same name
        ` ORDER BY ${page.key.map((k) => `${qualify(page.table)}.${quoteIdentifier(k)}`).join(", ")}`,
      params: condition?.params ?? []
    }
  },
  // TRUNCATE refuses tables that foreign keys point at: delete children first
  clearTables: (tables) => [...tables].reverse().map((t) => `DELETE FROM ${qualify(t)}`),
  analyze: (table) => [`UPDATE STATISTICS ${qualify(table)}`],
  oneOf: (column, values, firstParam) => ({
    sql: `${column} IN (${values.map((_, i) => placeholder(firstParam + i)).join(", ")})`,
    params: values
  }),
  // well under the 2,100 parameters a statement takes
  maxOneOf: 1000,
  top: (n) => `TOP (${Math.trunc(n)}) `,
  limit: () => "",
  materialise: (table, select) => [
    `SELECT * INTO ${qualify(table)} FROM (${select}) AS s`,
    `ALTER TABLE ${qualify(table)} ALTER COLUMN ${quoteIdentifier("n")} bigint NOT NULL`,
    `ALTER TABLE ${qualify(table)} ADD PRIMARY KEY (${quoteIdentifier("n")})`
  ],
  dropTable: (table) => `DROP TABLE IF EXISTS ${qualify(table)}`,
  columnText,
  dropSchema: (schema) => [
    // drop foreign keys, then tables, then the schema
    `DECLARE @sql nvarchar(max) = N''; ` +
    `SELECT @sql += N'ALTER TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' DROP CONSTRAINT ' + QUOTENAME(f.name) + N'; ' ` +
    `FROM sys.foreign_keys f JOIN sys.tables t ON f.parent_object_id = t.object_id JOIN sys.schemas s ON t.schema_id = s.schema_id ` +
    `WHERE s.name = ${quoteString(schema)}; ` +
    `SELECT @sql += N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N'; ' ` +
    `FROM sys.tables t JOIN sys.schemas s ON t.schema_id = s.schema_id WHERE s.name = ${quoteString(schema)}; ` +
    `EXEC sp_executesql @sql`,
    `IF SCHEMA_ID(${quoteString(schema)}) IS NOT NULL EXEC(${quoteString(`DROP SCHEMA ${quoteIdentifier(schema)}`)})`
  ]
}
