/**
 * The whole rehearsal as a user runs it: `handover rehearse` in a process of its own, under the V8 heap cap users run
 * it with, on a fresh pair of databases of the machine's PostgreSQL server (the legacy one empty, so that the command
 * generates its estate and the estate phase is measured). Measured: the wall time of each phase (the command's own
 * `phases`, else the timestamps of its progress lines), rows per second of the migration, the peak RSS of the whole
 * command (`/usr/bin/time`'s maximum resident set of the real process, else its `VmHWM` polled), the CPU of the
 * server processes working for the two databases, and the exit code. A command that fails is reported (exit code,
 * signal, last line of standard error), never thrown.
 */
import { spawn } from "node:child_process"
import { createWriteStream, existsSync } from "node:fs"
import { mkdir, readFile, rm } from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import * as Phases from "./Phases.ts"
import * as Proc from "./Proc.ts"

/**
 * The V8 heap cap `handover rehearse` is run with (`node --max-old-space-size=256 --max-semi-space-size=32
 * packages/cli/src/bin.ts rehearse`).
 */
export const heapCapMb = 256

/**
 * The size of each half of V8's young generation, in MB, that every command runs with: batches of thousands of rows
 * outlive the default one (a few MB) and were copied at every scavenge; a larger one scavenges a quarter as often.
 */
export const semiSpaceMb = 32

export const nodeFlags: ReadonlyArray<string> = [`--max-old-space-size=${heapCapMb}`, `--max-semi-space-size=${semiSpaceMb}`]

const timeBinary = "/usr/bin/time"

export interface Options {
  readonly root: string
  readonly clients: number
  readonly legacyUrl: string
  readonly targetUrl: string
  readonly legacyDatabase: string
  readonly targetDatabase: string
  readonly seed: number
}

export interface Result {
  readonly clients: number
  readonly legacyDatabase: string
  readonly targetDatabase: string
  readonly heapCapMb: number
  readonly command: string
  readonly exitCode: number | null
  readonly signal: string | null
  /** Exit 0 (gates passed) or 1 (a gate failed): the rehearsal ran to its end. */
  readonly completed: boolean
  readonly lastStderrLine: string
  readonly wallSeconds: number
  readonly phases: Phases.Phases | null
  readonly phaseSource: Phases.PhaseSource | null
  readonly rows: number | null
  readonly migrationRowsPerSecond: number | null
  /** (reconciliation + reports) / migration. */
  readonly afterMigrationRatio: number | null
  readonly peakRssMb: number | null
  readonly rssMethod: "/usr/bin/time %M" | "VmHWM polled"
  readonly serverCpuSeconds: number | null
  /** The command's standard error, kept for a failure's reasons. */
  readonly log: string
}

/** Runs one `handover rehearse` and measures it. */
export const measure = async (options: Options): Promise<Result> => {
  const directory = path.join(os.tmpdir(), `handover-bench-rehearse-${options.clients}`)
  await rm(directory, { recursive: true, force: true })
  await mkdir(directory, { recursive: true, mode: 0o700 })
  const node = path.join(options.root, "node_modules", ".bin", "node")
  const argv = nodeFlags.concat([
    path.join(options.root, "packages", "cli", "src", "bin.ts"),
    "rehearse",
    "--legacy",
    options.legacyUrl,
    "--target",
    options.targetUrl,
    "--clients",
    String(options.clients),
    "--seed",
    String(options.seed),
    "--reports",
    path.join(directory, "reports"),
    "--manifest",
    path.join(directory, "estate-manifest.jsonl"),
    "--json",
    "--progress",
    "lines"
  ])
  const rssFile = path.join(directory, "time.txt")
  const timed = existsSync(timeBinary)
  const log = path.join(directory, "stderr.log")
  const logStream = createWriteStream(log)
  const server = Proc.serverCpu([options.legacyDatabase, options.targetDatabase])

  const startMs = performance.now()
  // run from a folder of its own: no handover.config.ts of the repository, its reports and manifest kept apart
  const child = timed
    ? spawn(timeBinary, ["-f", "%M", "-o", rssFile, node].concat(argv), { cwd: directory, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(node, argv, { cwd: directory, stdio: ["ignore", "pipe", "pipe"] })
  let polledMb: number | null = null
  const poll = setInterval(() => {
    server.sample()
    if (!timed && child.pid !== undefined) {
      const mb = Proc.peakRssMb(child.pid)
      if (mb !== null) polledMb = Math.max(polledMb ?? 0, mb)
    }
  }, 500)

  let clock = Phases.emptyClock
  let lastStdoutLine = ""
  const stderrDone = new Promise<void>((resolve) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      clock = Phases.observe(clock, performance.now(), line)
      logStream.write(`${((performance.now() - startMs) / 1000).toFixed(3)} ${line}\n`)
    }).on("close", resolve)
  })
  const stdoutDone = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.trim().length > 0) lastStdoutLine = line
    }).on("close", resolve)
  })
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("error", (error) => {
      clock = Phases.observe(clock, performance.now(), `could not start: ${error.message}`)
      resolve({ code: null, signal: null })
    })
    child.on("exit", (code, signal) => resolve({ code, signal }))
  })
  const endMs = performance.now()
  clearInterval(poll)
  server.sample()
  await Promise.all([stderrDone, stdoutDone])
  await new Promise<void>((resolve) => logStream.end(resolve))

  let exitCode = exit.code
  let signal = exit.signal
  let peakRssMb: number | null = polledMb
  if (timed) {
    // `Command terminated by signal 9` / `Command exited with non-zero status 1`, then the maximum resident set in kB
    const lines = (await readFile(rssFile, "utf8").catch(() => "")).trim().split("\n")
    const kb = Number(lines.at(-1))
    peakRssMb = Number.isFinite(kb) && kb > 0 ? kb / 1024 : null
    const killed = lines.map((l) => /^Command terminated by signal (\d+)/.exec(l)).find((m) => m !== null)
    if (killed !== undefined && killed !== null) {
      signal = `signal ${killed[1]}`
      exitCode = null
    }
  }

  let result: unknown = undefined
  try {
    result = JSON.parse(lastStdoutLine)
  } catch {
    result = undefined
  }
  const jsonPhases = Phases.fromJson(result)
  const phases = jsonPhases ?? Phases.fromProgress(clock, startMs, endMs)
  const rows = Phases.rowsOfJson(result) ?? (Phases.rowsRead(clock) > 0 ? Phases.rowsRead(clock) : null)
  return {
    clients: options.clients,
    legacyDatabase: options.legacyDatabase,
    targetDatabase: options.targetDatabase,
    heapCapMb,
    command: `node ${nodeFlags.join(" ")} packages/cli/src/bin.ts rehearse --clients ${options.clients} --seed ${options.seed} --json --progress lines`,
    exitCode,
    signal,
    completed: Phases.completed(exitCode),
    lastStderrLine: clock.lastLine,
    wallSeconds: (endMs - startMs) / 1000,
    phases,
    phaseSource: jsonPhases !== null ? "json" : phases !== null ? "progress lines" : null,
    rows,
    migrationRowsPerSecond: phases !== null && rows !== null && phases.migration > 0 ? Math.round(rows / phases.migration) : null,
    afterMigrationRatio: phases === null ? null : Phases.afterMigrationRatio(phases),
    peakRssMb,
    rssMethod: timed ? "/usr/bin/time %M" : "VmHWM polled",
    serverCpuSeconds: server.seconds(),
    log
  }
}
