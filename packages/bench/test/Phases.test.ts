import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Phases from "../src/Phases.ts"
import * as Proc from "../src/Proc.ts"

const n = (x: number) => x.toLocaleString("en-GB")

/** The lines `handover rehearse --progress lines` prints (packages/cli/src/Progress.ts, Rehearse.ts). */
const stepStart = (entity: string, total: number) => `${entity}: ${n(total)} legacy rows`
const stepLine = (entity: string, done: number, total: number) => `${entity}: ${n(done)} of ${n(total)} rows, ${n(done * 7)} rows/s, 1 min 3 s left`

const entity = fc.stringMatching(/^[a-z][a-z ]{0,20}[a-z]$/)
const plan = fc.record({
  estate: fc.boolean(),
  steps: fc.uniqueArray(fc.record({ entity, rows: fc.nat({ max: 3_000_000 }), updates: fc.nat({ max: 4 }) }), { minLength: 1, maxLength: 8, selector: (s) => s.entity }),
  gaps: fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 64, maxLength: 64 }),
  noise: fc.array(fc.constantFrom("warning: batch tried again", "{\"summary\":1}", ""), { maxLength: 3 })
})

describe("phases from the progress lines", () => {
  it("give each phase the time between its lines, and the rows of each step's last line", () => {
    fc.assert(fc.property(plan, ({ estate, steps, gaps, noise }) => {
      let ms = 1_000
      let g = 0
      const tick = () => (ms += gaps[g++ % gaps.length]!)
      let clock = Phases.emptyClock
      const say = (line: string) => (clock = Phases.observe(clock, tick(), line))
      const start = 1_000
      let estateStart: number | undefined
      let estateEnd: number | undefined
      if (estate) {
        say("generating a legacy estate of 1000 clients (seed 1) in postgres://x")
        estateStart = ms
        say("injected 12 defects; manifest in /tmp/m.jsonl")
        estateEnd = ms
      }
      let firstStep: number | undefined
      for (const s of steps) {
        say(stepStart(s.entity, s.rows))
        firstStep ??= ms
        for (let i = 1; i <= s.updates; i++) say(stepLine(s.entity, Math.floor((s.rows * i) / (s.updates + 1)), s.rows))
        say(stepLine(s.entity, s.rows, s.rows))
      }
      const lastStep = ms
      for (const line of noise) say(line)
      const end = tick()
      const phases = Phases.fromProgress(clock, start, end)!
      expect(phases).not.toBeNull()
      const migrationStart = estateEnd ?? firstStep!
      expect(phases.estate).toBeCloseTo(estate ? (estateEnd! - estateStart!) / 1000 : (firstStep! - start) / 1000, 9)
      expect(phases.migration).toBeCloseTo((lastStep - migrationStart) / 1000, 9)
      expect(phases.afterMigration).toBeCloseTo((end - lastStep) / 1000, 9)
      expect(phases.reconciliation).toBeNull()
      expect(phases.reports).toBeNull()
      expect(phases.estate + phases.migration + phases.afterMigration).toBeLessThanOrEqual((end - start) / 1000 + 1e-9)
      expect(Phases.rowsRead(clock)).toBe(steps.reduce((a, s) => a + s.rows, 0))
      const lastNonEmpty = [...noise].reverse().find((l) => l.length > 0)
      expect(clock.lastLine).toBe(lastNonEmpty ?? stepLine(steps.at(-1)!.entity, steps.at(-1)!.rows, steps.at(-1)!.rows))
    }))
  })

  it("are unknown when the migration never started", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom("generating a legacy estate of 5 clients", "handover: target unreachable", "")), (lines) => {
      let clock = Phases.emptyClock
      lines.forEach((l, i) => (clock = Phases.observe(clock, i, l)))
      expect(Phases.fromProgress(clock, 0, lines.length)).toBeNull()
    }))
  })
})

describe("phases from the command's JSON", () => {
  const seconds = fc.double({ min: 0, max: 1e5, noNaN: true })
  it("are taken as printed, reconciliation and reports summed", () => {
    fc.assert(fc.property(seconds, seconds, seconds, seconds, (estate, migration, reconciliation, reports) => {
      const phases = Phases.fromJson({ run: {}, phases: { estate, migration, reconciliation, reports } })
      expect(phases).toEqual({ estate, migration, reconciliation, reports, afterMigration: reconciliation + reports })
      expect(Phases.afterMigrationRatio(phases!)).toBe(migration > 0 ? (reconciliation + reports) / migration : null)
    }))
  })
  it("are absent when a phase is missing or not a duration", () => {
    fc.assert(fc.property(fc.constantFrom("estate", "migration", "reconciliation", "reports"), fc.constantFrom(undefined, -1, "3", Number.NaN, null), (phase, bad) => {
      const phases: Record<string, unknown> = { estate: 1, migration: 2, reconciliation: 3, reports: 4, [phase]: bad }
      expect(Phases.fromJson({ phases })).toBeNull()
    }))
    expect(Phases.fromJson(undefined)).toBeNull()
    expect(Phases.fromJson({ run: {} })).toBeNull()
  })
  it("count the rows read over every step", () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 1e7 })), (reads) => {
      const steps = reads.map((read, i) => ({ entity: `e${i}`, counts: { read, loaded: 0 } }))
      expect(Phases.rowsOfJson({ run: { steps } })).toBe(reads.reduce((a, b) => a + b, 0))
    }))
    expect(Phases.rowsOfJson({ run: { steps: [{ counts: {} }] } })).toBeNull()
  })
})

describe("targets", () => {
  it("count exit 0 and 1 as a completed rehearsal, anything else as a failure", () => {
    fc.assert(fc.property(fc.option(fc.integer({ min: 0, max: 255 })), (code) => {
      expect(Phases.completed(code)).toBe(code === 0 || code === 1)
    }))
  })
  it("measure memory growth against the smaller size", () => {
    fc.assert(fc.property(fc.double({ min: 1, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), (smaller, larger) => {
      const growth = Phases.memoryGrowth(smaller, larger)!
      expect(smaller * (1 + growth)).toBeCloseTo(larger, 6)
    }))
  })
})

describe("/proc", () => {
  it("reads CPU ticks and start time after the command name, whatever it holds", () => {
    fc.assert(fc.property(fc.string({ maxLength: 15 }), fc.nat(), fc.nat(), fc.nat(), (comm, user, system, started) => {
      const rest = ["S", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, user, system, 0, 0, 20, 0, 1, 0, started, 1000, 20].join(" ")
      const stat = `4242 (${comm}) ${rest}\n`
      expect(Proc.statFields(stat)).toEqual({ ticks: user + system, started })
      expect(Proc.cpuTicks(stat)).toBe(user + system)
    }))
    expect(Proc.cpuTicks("garbage")).toBeNull()
  })
  it("reads the peak resident set", () => {
    fc.assert(fc.property(fc.nat(), (kb) => {
      expect(Proc.vmHwmKb(`Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t${String(kb).padStart(8)} kB\nVmRSS:\t 1 kB\n`)).toBe(kb)
    }))
    expect(Proc.vmHwmKb("Name:\tkthreadd\n")).toBeNull()
  })
  it("knows the server processes of a database by their title", () => {
    const databases = ["handover_bench_rehearse_10000_target", "handover_bench_rehearse_10000_legacy"]
    expect(Proc.worksFor("postgres: 15/main: postgres handover_bench_rehearse_10000_target 127.0.0.1(43204) idle", databases)).toBe(true)
    expect(Proc.worksFor("postgres: 15/main: autovacuum worker handover_bench_rehearse_10000_legacy", databases)).toBe(true)
    expect(Proc.worksFor("postgres: 15/main: postgres handover_bench_rehearse_100000_target 127.0.0.1(43204) idle", databases)).toBe(false)
    expect(Proc.worksFor("postgres: 15/main: checkpointer ", databases)).toBe(false)
    expect(Proc.worksFor("node\0bench.ts\0handover_bench_rehearse_10000_target\0", databases)).toBe(false)
  })
})

describe("server CPU", () => {
  /** One process of a simulated `/proc` at each sample: its id, whether it works for the database, its start, ticks. */
  const processes = fc.array(fc.record({ pid: fc.integer({ min: 1, max: 6 }), restart: fc.boolean(), add: fc.nat({ max: 50 }) }), { maxLength: 6 })
  /** A process (an id and a start) works for one database all its life; some work for another. */
  const ours = (pid: number, started: number) => (pid * 7 + started) % 3 !== 0
  it("is what the database's server processes used between the first sample and the last, each seen at both", () => {
    fc.assert(fc.property(fc.array(processes, { minLength: 1, maxLength: 6 }), (samples) => {
      const proc = mkdtempSync(path.join(tmpdir(), "handover-proc-"))
      try {
        // ticks only grow for a process that lives on (same id, same start); a server process of another database,
        // or a process that is not PostgreSQL's, never counts
        const ticks = new Map<string, number>()
        /** The start of the process holding each id: a restart gives the id to a new process, started later. */
        const starts = new Map<number, number>()
        const write = (live: ReadonlyArray<{ pid: number; restart: boolean; add: number }>) => {
          rmSync(proc, { recursive: true, force: true })
          mkdirSync(proc)
          const unique = new Map<number, { pid: number; started: number; ours: boolean }>()
          for (const p of live) {
            if (unique.has(p.pid)) continue
            const started = (starts.get(p.pid) ?? 0) + (p.restart || !starts.has(p.pid) ? 1 : 0)
            starts.set(p.pid, started)
            const key = `${p.pid}:${started}:${ours(p.pid, started)}`
            ticks.set(key, (ticks.get(key) ?? 0) + p.add)
            unique.set(p.pid, { pid: p.pid, started, ours: ours(p.pid, started) })
            mkdirSync(path.join(proc, String(p.pid)))
            const title = ours(p.pid, started) ? "postgres: 15/main: postgres bench_db 127.0.0.1(1) idle" : started % 2 === 0 ? "node\0x.ts" : "postgres: 15/main: postgres other_db 127.0.0.1(1) idle"
            writeFileSync(path.join(proc, String(p.pid), "cmdline"), `${title}\0`)
            const t = ticks.get(key)!
            writeFileSync(path.join(proc, String(p.pid), "stat"), `${p.pid} (postgres) S 1 2 3 4 5 6 7 8 9 10 ${t} 0 0 0 20 0 1 0 ${started} 1000 20\n`)
          }
          return unique
        }
        // what each of our processes used while sampled: from its first sample (0 if it appeared after the first
        // sampling) to its latest, where it keeps the same id and start from one sample to the next
        let expected = 0
        const firstAt = new Map<string, number>()
        const latest = new Map<string, number>()
        const first = write(samples[0]!)
        const sampler = Proc.serverCpu(["bench_db"], proc)
        for (const p of first.values()) {
          if (!p.ours) continue
          const key = `${p.pid}:${p.started}:${p.ours}`
          firstAt.set(key, ticks.get(key)!)
          latest.set(key, ticks.get(key)!)
        }
        for (const live of samples.slice(1)) {
          for (const p of write(live).values()) {
            if (!p.ours) continue
            const key = `${p.pid}:${p.started}:${p.ours}`
            if (!firstAt.has(key)) firstAt.set(key, 0)
            latest.set(key, ticks.get(key)!)
          }
          sampler.sample()
        }
        for (const [key, at] of firstAt) expected += latest.get(key)! - at
        expect(sampler.seconds()).toBeCloseTo(expected / Proc.ticksPerSecond, 9)
      } finally {
        rmSync(proc, { recursive: true, force: true })
      }
    }))
  })
})
