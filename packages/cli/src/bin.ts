#!/usr/bin/env node
/**
 * The `handover` command.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Command, Flag } from "effect/cli"
import { reconcile } from "./ReconcileCommand.ts"
import { pipelines, rehearse, version } from "./Rehearse.ts"

const url = (name: string, env: string, fallback: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(`${description} (env ${env})`),
    Flag.withFallbackConfig(Config.String(env)),
    Flag.withDefault(fallback)
  )

const rehearseCommand = Command.make(
  "rehearse",
  {
    legacy: url("legacy", "HANDOVER_LEGACY_URL", "pglite://.handover/legacy", "legacy database URL"),
    target: url("target", "HANDOVER_TARGET_URL", "pglite://.handover/target", "target database URL"),
    pipeline: Flag.Literals("pipeline", pipelines).pipe(Flag.withDescription("the migration to rehearse"), Flag.withDefault("swift-to-ias")),
    clean: Flag.Boolean("clean").pipe(Flag.withDescription("generate an estate with no injected defects"), Flag.withDefault(false)),
    rehearsal: Flag.String("rehearsal").pipe(Flag.withDescription("rehearsal series label"), Flag.withDefault("local")),
    clients: Flag.Int("clients").pipe(Flag.withDescription("clients in a generated estate"), Flag.withDefault(10_000)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed of a generated estate"), Flag.withDefault(1)),
    batchSize: Flag.Int("batch-size").pipe(Flag.withDescription("rows per batch"), Flag.withDefault(2_000)),
    regenerate: Flag.Boolean("regenerate").pipe(Flag.withDescription("generate the legacy estate again"), Flag.withDefault(false)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("print the result as JSON"), Flag.withDefault(false))
  },
  (flags) =>
    rehearse({
      pipeline: flags.pipeline,
      clean: flags.clean,
      legacyUrl: flags.legacy,
      targetUrl: flags.target,
      rehearsal: flags.rehearsal,
      clients: flags.clients,
      seed: flags.seed,
      batchSize: flags.batchSize,
      regenerate: flags.regenerate,
      json: flags.json
    })
).pipe(Command.withDescription("Run one rehearsal: legacy estate, migration, counts and the conservation law"))

const reconcileCommand = Command.make(
  "reconcile",
  {
    pipeline: Flag.Literals("pipeline", pipelines).pipe(Flag.withDescription("the migration to check"), Flag.withDefault("swift-to-ias")),
    legacy: url("legacy", "HANDOVER_LEGACY_URL", "pglite://.handover/legacy", "legacy database URL"),
    target: url("target", "HANDOVER_TARGET_URL", "pglite://.handover/target", "target database URL"),
    rehearsal: Flag.String("rehearsal").pipe(Flag.withDescription("rehearsal series label"), Flag.withDefault("local")),
    json: Flag.Boolean("json").pipe(Flag.withDescription("print findings as JSON lines"), Flag.withDefault(false))
  },
  (flags) =>
    reconcile({ pipeline: flags.pipeline, legacyUrl: flags.legacy, targetUrl: flags.target, rehearsal: flags.rehearsal, json: flags.json })
).pipe(Command.withDescription("Check the latest run of a rehearsal series against the legacy data and record its findings"))

/**
 * Exit codes: 0 the rehearsal passed; 1 it ran but a check failed (the conservation law); 2 it could not run
 * (a database unreachable, a bad URL, bad flags).
 */
const exitCodeOf = (error: unknown): number =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "ConservationError" ? 1 : 2

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)

Command.make("handover").pipe(
  Command.withDescription("Migrate legacy social care records and prove nothing was lost or changed"),
  Command.withSubcommands([rehearseCommand, reconcileCommand]),
  Command.run({ version }),
  Effect.catch((error) =>
    // the command line's own errors have been shown with the help already
    (error as { _tag?: unknown })._tag === "ShowHelp" ? Effect.sync(() => {
      process.exitCode = 2
    }) : Console.error(`handover: ${messageOf(error)}`).pipe(
      Effect.andThen(Effect.sync(() => {
        process.exitCode = exitCodeOf(error)
      }))
    )
  ),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
