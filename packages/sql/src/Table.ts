/**
 * Dialect-neutral table definitions: the one description of a table from which every dialect generates its DDL,
 * its COPY column lists and its bulk-load column types.
 */

/** Logical column types, mapped to a physical type by each dialect. */
export type ColumnType =
  | { readonly _tag: "text"; readonly maxLength?: number }
  | { readonly _tag: "int" }
  | { readonly _tag: "bigint" }
  | { readonly _tag: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly _tag: "date" }
  | { readonly _tag: "timestamp" }
  | { readonly _tag: "boolean" }

export interface Column {
  readonly name: string
  readonly type: ColumnType
  readonly nullable: boolean
}

export interface Table {
  /** Schema (namespace) the table lives in; `undefined` means the connection's default schema. */
  readonly schema: string | undefined
  readonly name: string
  readonly columns: ReadonlyArray<Column>
  readonly primaryKey: ReadonlyArray<string>
}


/** Column type constructors. */
export const text = (maxLength?: number): ColumnType =>
  maxLength === undefined ? { _tag: "text" } : { _tag: "text", maxLength }
export const int: ColumnType = { _tag: "int" }
export const bigint: ColumnType = { _tag: "bigint" }
export const decimal = (precision: number, scale: number): ColumnType => ({ _tag: "decimal", precision, scale })
export const date: ColumnType = { _tag: "date" }
export const timestamp: ColumnType = { _tag: "timestamp" }
export const boolean: ColumnType = { _tag: "boolean" }

/** A column spec in a table definition: a type, optionally marked nullable with `nullable(...)`. */
export type ColumnSpec = ColumnType | { readonly nullable: ColumnType }

export const nullable = (type: ColumnType): ColumnSpec => ({ nullable: type })

const isNullableSpec = (spec: ColumnSpec): spec is { readonly nullable: ColumnType } => "nullable" in spec

/**
 * Defines a table. Columns keep the order given, which is the order of COPY and bulk-load rows.
 */
export const make = (options: {
  readonly schema?: string | undefined
  readonly name: string
  readonly columns: Readonly<Record<string, ColumnSpec>>
  readonly primaryKey: ReadonlyArray<string>
}): Table => {
  const columns = Object.entries(options.columns).map(([name, spec]): Column =>
    isNullableSpec(spec) ? { name, type: spec.nullable, nullable: true } : { name, type: spec, nullable: false }
  )
  for (const key of options.primaryKey) {
    if (!columns.some((c) => c.name === key)) {
      throw new Error(`table ${options.name}: primary key column ${key} is not a column`)
    }
  }
  return { schema: options.schema, name: options.name, columns, primaryKey: options.primaryKey }
}

/** The same table in another schema. */
export const inSchema = (table: Table, schema: string | undefined): Table => ({ ...table, schema })

export const columnNames = (table: Table): ReadonlyArray<string> => table.columns.map((c) => c.name)
