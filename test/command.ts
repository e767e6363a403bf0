/**
 * The real `handover` command in a child process, as a user runs it: the databases only from the arguments given
 * (never from `HANDOVER_LEGACY_URL` or `HANDOVER_TARGET_URL` in the test's own environment).
 */
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { Database } from "@handover/sql"
import * as Effect from "effect/Effect"
import { spawn, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"

export const node = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url))
export const bin = fileURLToPath(new URL("../packages/cli/src/bin.ts", import.meta.url))

export interface Outcome {
  readonly code: number | null
  /** The signal that ended the command, if one did (`SIGKILL` when it was killed). */
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Wall time from start to exit. */
  readonly ms: number
}

const run = (args: ReadonlyArray<string>, cwd: string, killAfterMs: number | undefined, extraEnv: Readonly<Record<string, string>> = {}): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const env = { ...process.env, ...extraEnv }
    delete env.HANDOVER_LEGACY_URL
    delete env.HANDOVER_TARGET_URL
    const started = Date.now()
    const child = spawn(node, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs)
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })

/** Runs the command with the arguments in a folder, and collects what it printed and how it ended. */
export const handover = (args: ReadonlyArray<string>, cwd: string): Promise<Outcome> => run(args, cwd, undefined)

/**
 * Runs the command as `handover` does, with Node's own flags (`--max-old-space-size=256`) given to the child through
 * `NODE_OPTIONS`, as a user would run it.
 */
export const handoverWithNodeFlags = (nodeFlags: ReadonlyArray<string>, args: ReadonlyArray<string>, cwd: string): Promise<Outcome> =>
  run(args, cwd, undefined, { NODE_OPTIONS: [process.env.NODE_OPTIONS ?? "", ...nodeFlags].join(" ").trim() })

/**
 * Runs the command as `handover` does, and kills it with SIGKILL (no chance to clean up, as when the machine is
 * switched off) `ms` milliseconds after it started, unless it has ended by then.
 */
export const handoverKilledAfter = (ms: number, args: ReadonlyArray<string>, cwd: string): Promise<Outcome> => run(args, cwd, ms)

/** A command started and still running: its process, each line it writes on standard error as it comes, its end. */
export interface Running {
  readonly child: ChildProcess
  readonly done: Promise<Outcome>
}

/**
 * Starts the command as `handover` does, calling `onLine` with each whole line of standard error as it is written
 * (progress, warnings); `done` resolves when it ends.
 */
export const start = (args: ReadonlyArray<string>, cwd: string, onLine: (line: string) => void = () => {}): Running => {
  const env = { ...process.env }
  delete env.HANDOVER_LEGACY_URL
  delete env.HANDOVER_TARGET_URL
  const started = Date.now()
  const child = spawn(node, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
  const done = new Promise<Outcome>((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    let pending = ""
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c))
    child.stderr!.setEncoding("utf8").on("data", (c: string) => {
      stderr += c
      pending += c
      const lines = pending.split("\n")
      pending = lines.pop()!
      for (const line of lines) onLine(line)
    })
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }))
  })
  return { child, done }
}

/** Loads a synthetic SWIFT estate of a few clients into a database (its default schema), as the fault suites use. */
export const loadSwiftEstate = (url: string, estate: { readonly seed: number; readonly clients: number }) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const legacy = yield* Database.openUrl(url)
    yield* SwiftEstate.load(legacy, undefined, { seed: estate.seed, clients: estate.clients, rates: SwiftDefects.rates({}) })
  })))
