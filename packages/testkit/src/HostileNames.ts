/**
 * Names an attacker, a typo or a copy from a document could put where Handover takes a schema or table name: SQL
 * that closes the quoting and runs a statement, quotes of every dialect, separators, names that look like a plain one
 * but are not (letters from other alphabets, full-width letters, invisible characters), empty, too long, upper case,
 * and the database systems' own schemas.
 */
export const hostileNames: ReadonlyArray<string> = [
  "ias\"; DROP TABLE canary; --",
  "ias'; DROP TABLE canary; --",
  "ias]; DROP TABLE canary; --",
  "x\" CASCADE; DROP SCHEMA canary_home CASCADE; --",
  "ias;",
  "ias--",
  "\"ias\"",
  "[ias]",
  "`ias`",
  "ias x",
  "ias.canary",
  "ias\n",
  "ias\u0000",
  "ias\u200b",
  "\u0456as",
  "i\u0430s",
  "\uff49\uff41\uff53",
  "ïas",
  "IAS",
  "1ias",
  "ias$1",
  "",
  "a".repeat(64),
  "pg_catalog",
  "information_schema",
  "sys"
]
