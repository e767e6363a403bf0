/**
 * Progress of a rehearsal, entity by entity: on a terminal, a bar with rows per second and the time left
 * (`cli-progress`); in CI or when output is piped, a plain line when an entity starts, every few seconds, and when it
 * ends; nothing with `--json`; with `--progress batches`, a line for every batch as it commits. Written to standard
 * error, so standard output stays the result.
 */
import { Databases, type Pipeline, Rehearsal, Source } from "@handover/core"
import { SingleBar } from "cli-progress"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export type Mode = "bar" | "lines" | "batches" | "none"

/** The choices of `--progress`: `auto` is bars on an interactive terminal, plain lines in CI or a pipe, none with `--json`. */
export const choices = ["auto", "bar", "lines", "batches", "none"] as const
export type Choice = (typeof choices)[number]

/** Bars on an interactive terminal, plain lines in CI or a pipe. */
export const modeFor = (json: boolean, choice: Choice = "auto"): Mode =>
  choice !== "auto" ? choice : json ? "none" : process.stderr.isTTY === true && process.env.CI === undefined ? "bar" : "lines"

const seconds = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`)

export const layer = (pipeline: Pipeline.Pipeline, mode: Mode) =>
  mode === "none" ? Layer.empty : Layer.effect(Rehearsal.Observer, Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    let bar: SingleBar | undefined
    let total = 0
    let started = 0
    let lastLine = 0
    let resumedRows = 0
    const line = (entity: string, done: number) => {
      const elapsed = Date.now() - started
      const rate = elapsed > 0 ? ((done - resumedRows) * 1000) / elapsed : 0
      const left = rate > 0 ? seconds(((total - done) / rate) * 1000) : "?"
      process.stderr.write(`${entity}: ${done.toLocaleString("en-GB")} of ${total.toLocaleString("en-GB")} rows, ${Math.round(rate).toLocaleString("en-GB")} rows/s, ${left} left\n`)
    }
    return {
      stepStarted: (event) =>
        Effect.gen(function*() {
          const step = pipeline.steps.find((s) => s.entity === event.entity)
          total = step === undefined ? 0 : yield* Source.count(legacy, { schema: undefined, name: step.source.table }).pipe(Effect.orElseSucceed(() => 0))
          started = Date.now()
          lastLine = started
          resumedRows = event.resumedAt.read
          if (mode === "bar") {
            bar = new SingleBar({
              format: `${event.entity.padEnd(22)} {bar} {percentage}% | {value}/{total} rows | {speed} rows/s | {eta_formatted} left`,
              hideCursor: true,
              stream: process.stderr
            })
            bar.start(total, resumedRows, { speed: 0 })
          } else process.stderr.write(`${event.entity}: ${total.toLocaleString("en-GB")} legacy rows${resumedRows > 0 ? `, resuming after ${resumedRows}` : ""}\n`)
        }),
      beforeCommit: () => Effect.void,
      batchCommitted: (event) =>
        Effect.sync(() => {
          const done = event.counts.read
          if (bar !== undefined) {
            const elapsed = (Date.now() - started) / 1000
            bar.update(done, { speed: elapsed > 0 ? Math.round((done - resumedRows) / elapsed) : 0 })
          } else if (mode === "batches") {
            process.stderr.write(`${event.entity}: batch ${event.batch} committed, ${done.toLocaleString("en-GB")} of ${total.toLocaleString("en-GB")} rows\n`)
          } else if (Date.now() - lastLine >= 5_000) {
            lastLine = Date.now()
            line(event.entity, done)
          }
        }),
      stepFinished: (event) =>
        Effect.sync(() => {
          if (bar !== undefined) {
            bar.update(event.counts.read)
            bar.stop()
            bar = undefined
          } else line(event.entity, event.counts.read)
        })
    } satisfies Rehearsal.ObserverShape
  }))
