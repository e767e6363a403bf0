/**
 * With the database out of reach — nothing listening on the port, a PostgreSQL server without the named database, a
 * SQL Server that is not there — every command fails at once through the real command line: exit code 2, one line
 * that names the database (its password hidden) and the reason, no stack trace, no retry, and the password in the URL
 * never printed. Retries are for connections lost in the middle of a batch, not for a server that refuses at the start.
 */
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"

const password = "n0t-to-be-Printed"




/** Every command, with the legacy and target databases given. */
const commands = (legacy: string, target: string): ReadonlyArray<ReadonlyArray<string>> => [
  ["rehearse", "--legacy", legacy, "--target", target, "--clients", "10"],
  ["migrate", "--legacy", legacy, "--target", target, "--clients", "10"],
  ["reconcile", "--legacy", legacy, "--target", target],
  ["report", "--target", target, "--run", "00000000-0000-0000-0000-000000000000"],
  ["runs", "--target", target],
  ["triage", "--target", target, "--finding", "0123456789abcdef0123456789abcdef", "--decision", "accepted", "--reason", "known"],
  ["purge", "--target", target, "--run", "00000000-0000-0000-0000-000000000000"]
]

describe("a database out of reach", () => {
  it.live("every command fails at once with exit code 2 and one line, never the password", () =>
    Effect.gen(function*() {
      const cwd = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-gone-")))
      yield* Effect.addFinalizer(() => Effect.promise(() => rm(cwd, { recursive: true, force: true })))
      // how long the command takes to start and stop doing nothing, on this machine now
      const idle = yield* Effect.promise(() => handover(["--version"], cwd))
      assert.strictEqual(idle.code, 0)

      const closedPort = `postgres://handover:${password}@127.0.0.1:1/legacy`
      const cases: Array<{ readonly name: string; readonly args: ReadonlyArray<string>; readonly expect: RegExp; readonly secret?: string }> = []
      for (const args of commands(closedPort, closedPort.replace("/legacy", "/target"))) {
        cases.push({ name: `${args[0]}, nothing listening`, args, expect: /cannot connect to postgres:\/\/handover:\*\*\*@127\.0\.0\.1:1\/(legacy|target): .*ECONNREFUSED/ })
      }
      if (TestDatabase.dialects().includes("postgres")) {
        // the legacy database is there, the target is not: the legacy connection must be closed, not waited out
        const legacy = (yield* TestDatabase.freshPostgres).url
        // the server's own password where it wants one (as in CI), else ours, which a trusting server ignores
        const server = new URL(TestDatabase.postgresAdminUrl())
        if (server.password === "") server.password = password
        server.pathname = "/handover_no_such_database"
        for (const args of commands(legacy, server.href)) {
          cases.push({
            name: `${args[0]}, no such database`,
            args,
            expect: /cannot connect to postgres:\/\/.*:\*\*\*@.*\/handover_no_such_database: database "handover_no_such_database" does not exist/,
            secret: decodeURIComponent(server.password)
          })
        }
      }
      cases.push({
        name: "runs, no SQL Server",
        args: ["runs", "--target", `mssql://sa:${password}@127.0.0.1:1/handover`],
        expect: /cannot connect to mssql:\/\/sa:\*\*\*@127\.0\.0\.1:1\/handover: /
      })

      const outcomes = yield* Effect.forEach(cases, (c) => Effect.promise(() => handover(c.args, cwd)).pipe(Effect.map((o) => ({ ...c, ...o }))), {
        concurrency: 2
      })
      for (const o of outcomes) {
        const said = `${o.name}: exit ${o.code} after ${o.ms} ms (idle ${idle.ms} ms)\nstdout: ${o.stdout}\nstderr: ${o.stderr}`
        assert.strictEqual(o.code, 2, said)
        assert.notInclude(o.stdout + o.stderr, o.secret ?? password, said)
        assert.strictEqual(o.stdout, "", said)
        const lines = o.stderr.trimEnd().split("\n")
        assert.strictEqual(lines.length, 1, said)
        assert.match(lines[0]!, /^handover: /, said)
        assert.match(lines[0]!, o.expect, said)
        assert.notMatch(o.stderr, /^\s+at /m, said)
        // at once: not one retry or wait reported (every retry and wait is a warning on standard error)
        assert.notInclude(o.stderr, "tried again", said)
        assert.notInclude(o.stderr, "waiting", said)
        assert.notMatch(o.stderr, /WARN/, said)
      }
      console.log(`database out of reach: ${outcomes.length} commands failed with exit 2 in ${Math.min(...outcomes.map((o) => o.ms))}-${Math.max(...outcomes.map((o) => o.ms))} ms (idle start ${idle.ms} ms)`)
    }).pipe(Effect.scoped), { timeout: 240_000 })
})
