/**
 * The phases of one `handover rehearse` (estate, migration, reconciliation, reports) and the figures taken from them.
 * Pure: the benchmark feeds it what the command printed and when; nothing here reads a clock or a process.
 *
 * The command prints, at its end, one JSON line on standard output; its `phases` (seconds) are the command's own
 * measure. A command that does not print them (or stops before its end) is measured from the progress lines it prints
 * on standard error with `--progress lines`, each timestamped as it arrives:
 *
 *   generating a legacy estate of N clients ...       the estate starts
 *   injected N defects; manifest in ...               the estate ends
 *   <entity>: N legacy rows                           a step starts
 *   <entity>: N of M rows, R rows/s, T left           a step goes on, or ends
 *
 * The migration runs from the end of the estate (or the first step, when no estate was generated) to the last step
 * line; what follows it, up to the exit, is the reconciliation and the reports together, which those lines cannot
 * tell apart.
 */

export interface Phases {
  readonly estate: number
  readonly migration: number
  /** Null when only the two together are known (measured from the progress lines). */
  readonly reconciliation: number | null
  readonly reports: number | null
  /** Reconciliation and reports together. */
  readonly afterMigration: number
}

export type PhaseSource = "json" | "progress lines"

/** What the progress lines said so far: a few timestamps and the rows of each entity (one entry per step). */
export interface ProgressClock {
  readonly estateStartedMs: number | null
  readonly estateEndedMs: number | null
  readonly firstStepMs: number | null
  readonly lastStepLineMs: number | null
  /** Rows read so far by each entity, from its latest line. */
  readonly rows: Readonly<Record<string, number>>
  readonly lastLine: string
}

export const emptyClock: ProgressClock = { estateStartedMs: null, estateEndedMs: null, firstStepMs: null, lastStepLineMs: null, rows: {}, lastLine: "" }

const count = (text: string) => Number(text.replaceAll(",", ""))
const stepStart = /^(.+): ([\d,]+) legacy rows(?:, resuming after \d+)?$/
const stepProgress = /^(.+): ([\d,]+) of ([\d,]+) rows, [\d,]+ rows\/s, .+ left$/

/** The clock after one line of standard error, printed at `ms`. */
export const observe = (clock: ProgressClock, ms: number, raw: string): ProgressClock => {
  const line = raw.trimEnd()
  if (line.length === 0) return clock
  const next = { ...clock, lastLine: line }
  if (/^generating (?:a|a clean) legacy estate of /.test(line)) return { ...next, estateStartedMs: clock.estateStartedMs ?? ms }
  if (/^injected \d+ defects; manifest in /.test(line)) return { ...next, estateEndedMs: ms }
  const progress = stepProgress.exec(line)
  if (progress !== null) {
    return { ...next, lastStepLineMs: ms, rows: { ...clock.rows, [progress[1]!]: count(progress[2]!) } }
  }
  const started = stepStart.exec(line)
  if (started !== null) return { ...next, firstStepMs: clock.firstStepMs ?? ms, lastStepLineMs: ms }
  return next
}

/** Every row the progress lines report read, over every entity. */
export const rowsRead = (clock: ProgressClock): number => Object.values(clock.rows).reduce((a, b) => a + b, 0)

/**
 * The phases from the progress lines of a command started at `startMs` that exited at `endMs`, or null when the
 * migration never started.
 */
export const fromProgress = (clock: ProgressClock, startMs: number, endMs: number): Phases | null => {
  if (clock.firstStepMs === null || clock.lastStepLineMs === null) return null
  const migrationStart = clock.estateEndedMs ?? clock.firstStepMs
  const estateStart = clock.estateStartedMs ?? startMs
  const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000
  return {
    estate: clock.estateEndedMs === null ? seconds(startMs, clock.firstStepMs) : seconds(estateStart, clock.estateEndedMs),
    migration: seconds(migrationStart, clock.lastStepLineMs),
    reconciliation: null,
    reports: null,
    afterMigration: seconds(clock.lastStepLineMs, endMs)
  }
}

/** The command's own phases, from its JSON result, or null when it has none (or not four numbers). */
export const fromJson = (result: unknown): Phases | null => {
  const phases = typeof result === "object" && result !== null ? (result as { phases?: unknown }).phases : undefined
  if (typeof phases !== "object" || phases === null) return null
  const { estate, migration, reconciliation, reports } = phases as Record<string, unknown>
  const ok = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0
  if (!ok(estate) || !ok(migration) || !ok(reconciliation) || !ok(reports)) return null
  return { estate, migration, reconciliation, reports, afterMigration: reconciliation + reports }
}

/** Rows read over every step of the JSON result's run, or null when it has none. */
export const rowsOfJson = (result: unknown): number | null => {
  const steps = typeof result === "object" && result !== null ? (result as { run?: { steps?: unknown } }).run?.steps : undefined
  if (!Array.isArray(steps)) return null
  let rows = 0
  for (const step of steps) {
    const read = (step as { counts?: { read?: unknown } }).counts?.read
    if (typeof read !== "number") return null
    rows += read
  }
  return rows
}

/** `handover rehearse` exits 0 when its gates pass and 1 when one fails: both are a rehearsal that ran to its end. */
export const completed = (exitCode: number | null): boolean => exitCode === 0 || exitCode === 1

/** The targets of the whole rehearsal. */
export const targets = {
  /** Peak RSS of the whole command at 1,000,000 clients. */
  peakRssMb: 400,
  /** Peak RSS at the larger size over that at the smaller, less one. */
  memoryGrowth: 0.2,
  /** Reconciliation and reports over the migration. */
  afterMigrationRatio: 1
} as const

/** Reconciliation and reports over the migration: at most 1 when checking takes no longer than migrating. */
export const afterMigrationRatio = (phases: Phases): number | null => (phases.migration > 0 ? phases.afterMigration / phases.migration : null)

/** Growth of the peak RSS from the smaller size to the larger: 0.2 is +20 %. */
export const memoryGrowth = (smallerMb: number, largerMb: number): number | null => (smallerMb > 0 ? largerMb / smallerMb - 1 : null)
