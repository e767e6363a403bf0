/**
 * Names that come from configuration — the schemas Handover creates (target, control) and the legacy schema and
 * tables it reads — checked before any statement uses them. A schema Handover creates must be a plain identifier
 * (lower-case ASCII letters, digits and underscores), so that what is created is what a person reading the
 * configuration expects, never a look-alike or a name that means something else once quoted. A schema or table that
 * must already exist is looked up in the database's own catalogue, by a parameter; only a name the catalogue knows is
 * used in a statement, and then always quoted. Values never travel in names: they are parameters or COPY text.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Database, DatabaseError } from "./Database.ts"
import * as MssqlCatalog from "./mssql/MssqlCatalog.ts"
import * as PostgresCatalog from "./postgres/PostgresCatalog.ts"
import type { DialectName, Statement, TableRef } from "./SqlDialect.ts"

export class InvalidName extends Schema.TaggedError<InvalidName>()("InvalidName", {
  /** What the name is for, in the users' words: `target schema`, `legacy table`... */
  what: Schema.String,
  message: Schema.String
}) {}

/** The catalogue queries of a dialect: each returns one row when the object exists. */
export interface Catalogue {
  readonly schemaExists: (schema: string) => Statement
  /** The names, among `tables`, of the tables that exist in the schema (the connection's default when none). */
  readonly tablesIn: (schema: string | undefined, tables: ReadonlyArray<string>) => Statement
  /** The columns of the table's primary key, one row each in the key's order (none: the table has no primary key). */
  readonly primaryKey: (schema: string | undefined, table: string) => Statement
  /**
   * The table's columns in their order, one row each: name, data type, maximum length (characters), numeric precision,
   * numeric scale, from `information_schema.columns`.
   */
  readonly columns: (schema: string | undefined, table: string) => Statement
  /**
   * Up to five key values that more than one row has, or that are NULL: a read in key order would skip or repeat them.
   * The table must be one the catalogue knows (its name is quoted into the text).
   */
  readonly keyProblems: (table: TableRef, key: ReadonlyArray<string>) => string
}

export const catalogue = (dialect: DialectName): Catalogue => (dialect === "mssql" ? MssqlCatalog.catalogue : PostgresCatalog.catalogue)

/**
 * The names Handover may create: a lower-case ASCII letter or underscore, then letters, digits and underscores, 63
 * characters at most (PostgreSQL's limit; SQL Server takes 128).
 */
export const identifier = /^[a-z_][a-z0-9_]{0,62}$/

/** Schemas of the database systems themselves, never to be created or written into. */
const reserved = /^(pg_|information_schema$|sys$|db_|guest$)/

/** A name shown in a message: quoted, with what cannot be seen (controls, look-alikes beyond ASCII) escaped. */
export const shown = (name: string): string =>
  JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Why a name of a schema Handover creates is refused, or `undefined`. Pure, for configuration files and flags. */
export const problemOfNew = (name: string): string | undefined => {
  if (!identifier.test(name)) {
    return "must be lower-case ASCII letters, digits and underscores, starting with a letter or underscore, " +
      "at most 63 characters (no quotes, spaces, semicolons or letters from other alphabets)"
  }
  if (reserved.test(name)) return "is a schema of the database system itself"
  return undefined
}

/** Checks the name of a schema Handover creates (the target or control schema). */
export const created = (what: string, name: string): Effect.Effect<string, InvalidName> => {
  const problem = problemOfNew(name)
  return problem === undefined
    ? Effect.succeed(name)
    : Effect.fail(new InvalidName({ what, message: `the ${what} ${shown(name)} ${problem}` }))
}

/** A name that is to be looked up: any text a catalogue can hold (no control characters), 128 characters at most. */
const lookupProblem = (name: string): string | undefined =>
  name === "" ? "is empty" : name.length > 128 ? "is longer than any database allows" : /[\u0000-\u001f\u007f]/.test(name) ? "holds a control character" : undefined

/**
 * Checks that a schema exists, in the database's own catalogue (`pg_namespace`, `sys.schemas`). The name travels as a
 * parameter; nothing is created.
 */
export const existingSchema = (database: Database, what: string, schema: string): Effect.Effect<string, InvalidName | DatabaseError> =>
  Effect.gen(function*() {
    const problem = lookupProblem(schema)
    if (problem !== undefined) return yield* new InvalidName({ what, message: `the ${what} ${shown(schema)} ${problem}` })
    const statement = catalogue(database.dialect.name).schemaExists(schema)
    const rows = yield* database.use(`look up the ${what}`, (d) => d.query(statement.sql, statement.params))
    if (rows.length === 0) {
      return yield* new InvalidName({ what, message: `the ${what} ${shown(schema)} does not exist in ${database.display}` })
    }
    return schema
  })

/**
 * Checks that every table exists in the schema (the connection's default when none), in the database's own catalogue
 * (`information_schema.tables`). The names travel as parameters; the error names every table that is missing.
 */
export const existingTables = (
  database: Database,
  what: string,
  schema: string | undefined,
  tables: ReadonlyArray<string>
): Effect.Effect<void, InvalidName | DatabaseError> =>
  Effect.gen(function*() {
    for (const table of tables) {
      const problem = lookupProblem(table)
      if (problem !== undefined) return yield* new InvalidName({ what, message: `the ${what} ${shown(table)} ${problem}` })
    }
    if (tables.length === 0) return
    const statement = catalogue(database.dialect.name).tablesIn(schema, tables)
    const rows = yield* database.use(`look up the ${what}s`, (d) => d.query(statement.sql, statement.params))
    const found = new Set(rows.map((r) => String(Object.values(r)[0])))
    const missing = tables.filter((t) => !found.has(t))
    if (missing.length > 0) {
      const where = schema === undefined ? "the default schema" : `schema ${shown(schema)}`
      return yield* new InvalidName({
        what,
        message: `${missing.length === 1 ? `the ${what}` : `${missing.length} ${what}s`} ${missing.slice(0, 5).map(shown).join(", ")}${
          missing.length > 5 ? "…" : ""
        } not found in ${where} of ${database.display}`
      })
    }
  })

/**
 * Checks that each legacy table's key (the columns a migration reads it by) is unique and never empty: a table whose
 * primary key is among those columns, by the catalogue; any other, by looking for a key two rows share. A migration
 * reads in key order from the last key it committed, so a repeated key would be read twice or skipped. The error
 * names the table and up to five of its repeated keys.
 */
export const uniqueKeys = (
  database: Database,
  schema: string | undefined,
  sources: ReadonlyArray<{ readonly table: string; readonly key: ReadonlyArray<string> }>
): Effect.Effect<void, InvalidName | DatabaseError> =>
  Effect.gen(function*() {
    const c = catalogue(database.dialect.name)
    for (const source of sources) {
      const problems = yield* database.use(`check the key of ${source.table}`, async (d) => {
        const pk = c.primaryKey(schema, source.table)
        const columns = (await d.query(pk.sql, pk.params)).map((r) => String(Object.values(r)[0]))
        if (columns.length > 0 && columns.every((k) => source.key.includes(k))) return []
        return d.queryText(c.keyProblems({ schema, name: source.table }, source.key))
      })
      if (problems.length > 0) {
        const shownKeys = problems.map((r) => r.length === 1 ? (r[0] === null ? "NULL" : shown(r[0]!)) : `(${r.map((v) => (v === null ? "NULL" : shown(v))).join(", ")})`)
        return yield* new InvalidName({
          what: "legacy table",
          message: `the legacy table ${shown(source.table)} has keys (${source.key.join(", ")}) that more than one row shares or that are empty, ` +
            `such as ${shownKeys.join(", ")}: a migration reads it in key order and needs every key once; give it a primary key or remove the repeats`
        })
      }
    }
  })

export interface Configured {
  readonly legacySchema?: string | undefined
  readonly targetSchema: string
  readonly controlSchema: string
}

/**
 * The configured names of a migration, checked together: the target and control schemas are plain identifiers and
 * differ; the legacy schema, when one is named, and every legacy table the pipeline reads exist in the legacy
 * database's catalogue; on one database, the legacy schema is neither of the other two. Tables given with their key
 * must have every key once.
 */
export const checkMigration = (
  legacy: Database,
  target: Database,
  names: Configured,
  legacyTables: ReadonlyArray<string | { readonly table: string; readonly key: ReadonlyArray<string> }>
): Effect.Effect<void, InvalidName | DatabaseError> =>
  Effect.gen(function*() {
    yield* created("target schema", names.targetSchema)
    yield* created("control schema", names.controlSchema)
    if (names.targetSchema === names.controlSchema) {
      return yield* new InvalidName({ what: "control schema", message: `the control schema and the target schema are both ${shown(names.targetSchema)}: they must differ` })
    }
    if (names.legacySchema !== undefined) {
      yield* existingSchema(legacy, "legacy schema", names.legacySchema)
      if (legacy === target && (names.legacySchema === names.targetSchema || names.legacySchema === names.controlSchema)) {
        return yield* new InvalidName({
          what: "legacy schema",
          message: `the legacy schema ${shown(names.legacySchema)} is also the ${names.legacySchema === names.targetSchema ? "target" : "control"} schema: a rehearsal empties its tables`
        })
      }
    }
    yield* existingTables(legacy, "legacy table", names.legacySchema, legacyTables.map((t) => (typeof t === "string" ? t : t.table)))
    // where the keys are given, they must be unique: checked once the tables are known to exist
    yield* uniqueKeys(legacy, names.legacySchema, legacyTables.flatMap((t) => (typeof t === "string" ? [] : [t])))
  })
