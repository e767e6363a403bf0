/**
 * PostgreSQL's catalogue, asked whether a schema or tables exist (PostgreSQL and PGlite alike). Names are parameters.
 */
import type { Catalogue } from "../Names.ts"
import { quoteIdentifier } from "./PostgresSql.ts"

const list = (n: number, first: number) => Array.from({ length: n }, (_, i) => `$${first + i}`).join(", ")

export const catalogue: Catalogue = {
  schemaExists: (schema) => ({ sql: "SELECT 1 AS found FROM pg_catalog.pg_namespace WHERE nspname = $1", params: [schema] }),
  tablesIn: (schema, tables) =>
    schema === undefined
      ? {
        sql: `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (${list(tables.length, 1)})`,
        params: tables
      }
      : {
        sql: `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name IN (${list(tables.length, 2)})`,
        params: [schema, ...tables]
      },
  primaryKey: (schema, table) => ({
    sql: "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid " +
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) " +
      "WHERE i.indisprimary AND n.nspname = COALESCE($1::text, current_schema()) AND c.relname = $2 " +
      "ORDER BY array_position(i.indkey::int2[], a.attnum)",
    params: [schema ?? null, table]
  }),
  columns: (schema, table) => ({
    sql: "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale FROM information_schema.columns " +
      "WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2 ORDER BY ordinal_position",
    params: [schema ?? null, table]
  }),
  keyProblems: (table, key) => {
    const columns = key.map(quoteIdentifier).join(", ")
    const name = table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`
    return `SELECT ${columns} FROM ${name} GROUP BY ${columns} HAVING COUNT(*) > 1 OR ${key.map((k) => `${quoteIdentifier(k)} IS NULL`).join(" OR ")} LIMIT 5`
  }
}
