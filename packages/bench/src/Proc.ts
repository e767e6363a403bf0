/**
 * What Linux's `/proc` tells of a process: its peak resident set (`VmHWM`) and its CPU time, and the PostgreSQL server
 * processes (backends, autovacuum workers) working for a database, found by the title PostgreSQL gives them
 * (`postgres: 15/main: postgres handover_bench_target_10000 127.0.0.1(43204) idle`). Parsing is pure; reading is
 * synchronous and tolerates processes that end while being read.
 */
import { readdirSync, readFileSync } from "node:fs"

/** Clock ticks a second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on every Linux this runs on). */
export const ticksPerSecond = 100

/** `VmHWM` (peak resident set) of a `/proc/<pid>/status`, in kB, or null when absent. */
export const vmHwmKb = (status: string): number | null => {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)
  return m === null ? null : Number(m[1])
}

/**
 * User and system CPU ticks of a `/proc/<pid>/stat` line (fields 14 and 15), or null when it is not one. The command
 * name (field 2) is in parentheses and may hold spaces and parentheses: fields are counted after its last `)`.
 */
export const cpuTicks = (stat: string): number | null => statFields(stat)?.ticks ?? null

/** CPU ticks and start time (field 22, ticks after boot: with the pid, names a process even once its pid is reused). */
export const statFields = (stat: string): { ticks: number; started: number } | null => {
  const close = stat.lastIndexOf(")")
  if (close < 0) return null
  // after the name: state (field 3), ..., utime (14), stime (15), ..., starttime (22)
  const fields = stat.slice(close + 1).trim().split(/\s+/)
  const user = Number(fields[11])
  const system = Number(fields[12])
  const started = Number(fields[19])
  return Number.isInteger(user) && Number.isInteger(system) && Number.isInteger(started) ? { ticks: user + system, started } : null
}

/** Whether a `/proc/<pid>/cmdline` is a PostgreSQL server process working for one of `databases`. */
export const worksFor = (cmdline: string, databases: ReadonlyArray<string>): boolean => {
  const title = cmdline.replaceAll("\0", " ").trim()
  if (!title.startsWith("postgres: ")) return false
  const words = title.split(/\s+/)
  return databases.some((d) => words.includes(d))
}

const read = (file: string): string | null => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return null
  }
}

/** Peak resident set of a running process in MB, or null once it has ended. */
export const peakRssMb = (pid: number): number | null => {
  const status = read(`/proc/${pid}/status`)
  const kb = status === null ? null : vmHwmKb(status)
  return kb === null ? null : kb / 1024
}

/**
 * CPU time of the PostgreSQL server processes working for some databases, sampled: `sample()` looks for new ones and
 * reads the CPU ticks of those it knows; `seconds()` is the CPU they used since the sampler was made. A process that
 * ends between two samples loses what it used after the earlier one (connections live for a step at least). A sample
 * reads the `stat` of every process and the `cmdline` of those it has not seen before (a process is its id and its
 * start: ids are reused). Holds one entry per server process, a handful, and one per other process, forgotten past a
 * few thousand.
 */
export const serverCpu = (databases: ReadonlyArray<string>, proc = "/proc") => {
  /** Each server process: its start time, its ticks at its first sample (0 if it started after the sampler), latest. */
  const seen = new Map<number, { started: number; first: number; latest: number }>()
  /** Processes that are not PostgreSQL's: their start, so that a process given the same id again is looked at. */
  let others = new Map<number, number>()
  /** Ticks of server processes whose id another process took since. */
  let ended = 0
  let initial = true
  let available = true
  const sample = () => {
    if (!available) return
    let entries: Array<string>
    try {
      entries = readdirSync(proc)
    } catch {
      available = false
      return
    }
    for (const entry of entries) {
      const pid = Number(entry)
      if (!Number.isInteger(pid)) continue
      const stat = read(`${proc}/${pid}/stat`)
      const fields = stat === null ? null : statFields(stat)
      if (fields === null) continue
      const known = seen.get(pid)
      if (known !== undefined) {
        if (fields.started === known.started) {
          known.latest = fields.ticks
          continue
        }
        // the id now names another process: what the ended one used is kept, and the new one looked at
        ended += known.latest - known.first
        seen.delete(pid)
      }
      if (others.get(pid) === fields.started) continue
      const cmdline = read(`${proc}/${pid}/cmdline`)
      if (cmdline === null) continue
      if (!worksFor(cmdline, databases)) {
        // a server process just forked may not have named its database yet: looked at again next time
        if (!cmdline.includes("postgres")) {
          if (others.size >= 5_000) others = new Map()
          others.set(pid, fields.started)
        }
        continue
      }
      seen.set(pid, { started: fields.started, first: initial ? fields.ticks : 0, latest: fields.ticks })
    }
    initial = false
  }
  sample()
  return {
    sample,
    /** Server CPU seconds since the sampler was made, or null where `/proc` cannot be read. */
    seconds: (): number | null => {
      if (!available) return null
      let ticks = ended
      for (const s of seen.values()) ticks += s.latest - s.first
      return ticks / ticksPerSecond
    }
  }
}
