/**
 * PostgreSQL's catalogue, asked whether a schema or tables exist (PostgreSQL and PGlite alike). Names are parameters.
 */
import type { Catalogue } from "../Names.ts"

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
      }
}
