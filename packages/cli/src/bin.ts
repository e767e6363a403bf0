#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=32
/**
 * The `handover` command.
 */
// the two modules the command needs, not the package's index, which loads an HTTP client and server besides
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Config_ from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { Command, Flag } from "effect/cli"
import { Databases, Purge } from "@handover/core"
import { Masking } from "@handover/report"
import * as Option from "effect/Option"
import * as Config from "./Config.ts"
import * as DiffCommand from "./DiffCommand.ts"
import { reconcile } from "./ReconcileCommand.ts"
import * as Pipelines from "./Pipelines.ts"
import * as Progress from "./Progress.ts"
import { type PipelineName, pipelines } from "./Pipelines.ts"
import { generateEstate, rehearse, version } from "./Rehearse.ts"
import * as ReportCommand from "./ReportCommand.ts"
import * as Runs from "./Runs.ts"
import * as VerifyCommand from "./VerifyCommand.ts"

const url = (name: string, env: string, fallback: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(`${description} (env ${env})`),
    Flag.withFallbackConfig(Config_.String(env)),
    Flag.withDefault(fallback)
  )

const legacyFlag = url("legacy", "HANDOVER_LEGACY_URL", "pglite://.handover/legacy", "legacy database URL")
const targetFlag = url("target", "HANDOVER_TARGET_URL", "pglite://.handover/target", "target database URL")
const pipelineFlag = Flag.Literals("pipeline", pipelines).pipe(Flag.withDescription("the migration"), Flag.withDefault("swift-to-ias"))
const rehearsalFlag = Flag.String("rehearsal").pipe(Flag.withDescription("rehearsal series label (default from handover.config.ts, else local)"), Flag.optional)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("print the result as JSON"), Flag.withDefault(false))
const revealFlag = Flag.Literals("reveal", Masking.reveals).pipe(
  Flag.withDescription("personal data in reports: masked (default), pseudonymised (key in HANDOVER_PSEUDONYM_KEY) or full"),
  Flag.optional
)
const gatesFlag = Flag.Literals("gates", ["enforce", "report"] as const).pipe(
  Flag.withDescription("enforce: a failed gate exits 1; report: gates are only written into the reports"),
  Flag.withDefault("enforce")
)
const reportsFlag = Flag.String("reports").pipe(Flag.withDescription("where reports are written (default .handover/reports)"), Flag.optional)
const estateFlags = {
  clean: Flag.Boolean("clean").pipe(Flag.withDescription("generate an estate with no injected defects"), Flag.withDefault(false)),
  clients: Flag.Int("clients").pipe(Flag.withDescription("clients in a generated estate"), Flag.withDefault(10_000)),
  seed: Flag.Int("seed").pipe(Flag.withDescription("seed of a generated estate"), Flag.withDefault(1)),
  manifest: Flag.String("manifest").pipe(Flag.withDescription("file of the generated estate's injected defects"), Flag.withDefault(".handover/estate-manifest.jsonl"))
}
const option = <A>(o: Option.Option<A>): A | undefined => (Option.isSome(o) ? o.value : undefined)
const waitFlag = Flag.Int("wait").pipe(
  Flag.withDescription("seconds to wait for another command holding the database to finish (default 0: stop at once)"),
  Flag.withDefault(0)
)
const holding = (command: string, wait: number): Databases.Holding => ({ command, waitSeconds: Math.max(0, wait) })

/** What the reports of a command are: from its flags, else from `handover.config.ts`. */
const reportOptions = (
  flags: { readonly reveal: Option.Option<Masking.Reveal>; readonly reports: Option.Option<string>; readonly gates: "enforce" | "report" },
  config: Config.Resolved
) => ({
  cutoverDate: config.cutoverDate,
  owners: config.owners,
  reportDirectory: option(flags.reports) ?? config.reportDirectory,
  reveal: option(flags.reveal) ?? config.reveal,
  gates: config.gates,
  enforceGates: flags.gates === "enforce"
})

const rehearsalOptions = (
  flags: {
    readonly legacy: string
    readonly target: string
    readonly pipeline: PipelineName
    readonly rehearsal: Option.Option<string>
    readonly clean: boolean
    readonly clients: number
    readonly seed: number
    readonly manifest: string
    readonly batchSize: number
    readonly regenerate: boolean
    readonly json: boolean
    readonly reveal: Option.Option<Masking.Reveal>
    readonly reports: Option.Option<string>
    readonly gates: "enforce" | "report"
    readonly progress: Progress.Choice
    readonly allowForeignRows: boolean
    readonly wait: number
  },
  config: Config.Resolved,
  migrateOnly: boolean
) => ({
  holding: holding(migrateOnly ? "migrate" : "rehearse", flags.wait),
  pipeline: flags.pipeline,
  clean: flags.clean,
  legacyUrl: flags.legacy,
  targetUrl: flags.target,
  rehearsal: option(flags.rehearsal) ?? config.rehearsal,
  clients: flags.clients,
  seed: flags.seed,
  batchSize: flags.batchSize,
  regenerate: flags.regenerate,
  json: flags.json,
  migrateOnly,
  ...reportOptions(flags, config),
  manifest: flags.manifest,
  progress: flags.progress,
  allowForeignRows: flags.allowForeignRows
})

const rehearseFlags = {
  legacy: legacyFlag,
  target: targetFlag,
  pipeline: pipelineFlag,
  rehearsal: rehearsalFlag,
  ...estateFlags,
  batchSize: Flag.Int("batch-size").pipe(Flag.withDescription("rows per batch"), Flag.withDefault(5_000)),
  regenerate: Flag.Boolean("regenerate").pipe(Flag.withDescription("generate the legacy estate again"), Flag.withDefault(false)),
  json: jsonFlag,
  reveal: revealFlag,
  reports: reportsFlag,
  gates: gatesFlag,
  progress: Flag.Literals("progress", Progress.choices).pipe(
    Flag.withDescription("progress on standard error: auto (a bar on a terminal, lines otherwise, none with --json), bar, lines, batches (a line per committed batch) or none"),
    Flag.withDefault("auto")
  ),
  allowForeignRows: Flag.Boolean("allow-foreign-rows").pipe(
    Flag.withDescription("load even though the target tables hold rows no Handover rehearsal loaded; a new run deletes them"),
    Flag.withDefault(false)
  ),
  wait: waitFlag
}

const rehearseCommand = Command.make("rehearse", rehearseFlags, (flags) =>
  Effect.flatMap(Config.load(), (config) => rehearse(rehearsalOptions(flags, config, false)))).pipe(
    Command.withDescription("The whole rehearsal: legacy estate, migration, reconciliation, reports and gates")
  )

const migrateCommand = Command.make("migrate", rehearseFlags, (flags) =>
  Effect.flatMap(Config.load(), (config) => rehearse(rehearsalOptions(flags, config, true)))).pipe(
    Command.withDescription("Migrate only: load the legacy estate into the target and check the conservation law")
  )

const reconcileCommand = Command.make(
  "reconcile",
  {
    pipeline: pipelineFlag,
    legacy: legacyFlag,
    target: targetFlag,
    rehearsal: rehearsalFlag,
    json: Flag.Boolean("json").pipe(Flag.withDescription("print findings as JSON lines"), Flag.withDefault(false)),
    wait: waitFlag
  },
  (flags) =>
    Effect.flatMap(Config.load(), (config) =>
      reconcile({
        pipeline: flags.pipeline,
        legacyUrl: flags.legacy,
        targetUrl: flags.target,
        rehearsal: option(flags.rehearsal) ?? config.rehearsal,
        cutoverDate: config.cutoverDate,
        json: flags.json,
        holding: holding("reconcile", flags.wait)
      }))
).pipe(Command.withDescription("Check the latest run of a rehearsal series against the legacy data and record its findings"))

const reportCommand = Command.make(
  "report",
  {
    pipeline: pipelineFlag,
    target: targetFlag,
    run: Flag.String("run").pipe(Flag.withDescription("the run (default: the latest reconciled run of the series)"), Flag.optional),
    rehearsal: rehearsalFlag,
    reveal: revealFlag,
    reports: reportsFlag,
    manifest: estateFlags.manifest,
    json: jsonFlag,
    wait: waitFlag
  },
  (flags) =>
    Effect.gen(function*() {
      const config = yield* Config.load()
      const rehearsal = option(flags.rehearsal) ?? config.rehearsal
      const runId = option(flags.run) ?? (yield* Runs.latestReconciled(flags.pipeline, rehearsal))
      const result = yield* ReportCommand.report({
        pipeline: flags.pipeline,
        runId,
        directory: option(flags.reports) ?? config.reportDirectory,
        reveal: option(flags.reveal) ?? config.reveal,
        gates: config.gates,
        manifest: flags.manifest,
        json: flags.json,
        cutoverDate: config.cutoverDate,
        owners: config.owners
      })
      if (flags.json) yield* Console.log(JSON.stringify({ runId, gates: result.gates, reports: result.written.directory }))
    }).pipe(Effect.provide(Databases.targetLayer(flags.target, holding("report", flags.wait))))
).pipe(Command.withDescription("Write the reports of a reconciled run again, at a chosen level of personal data"))

const runsCommand = Command.make(
  "runs",
  {
    target: targetFlag,
    compare: Flag.String("compare").pipe(Flag.withDescription("two run ids, comma separated: what changed between them"), Flag.optional),
    json: jsonFlag,
    wait: waitFlag
  },
  (flags) =>
    Runs.list({ compare: option(flags.compare), json: flags.json }).pipe(Effect.provide(Databases.targetLayer(flags.target, holding("runs", flags.wait))))
).pipe(Command.withDescription("List the rehearsals and their findings; compare any two"))

const triageCommand = Command.make(
  "triage",
  {
    target: targetFlag,
    fingerprint: Flag.String("finding").pipe(Flag.withDescription("the finding's fingerprint"), Flag.optional),
    decision: Flag.Literals("decision", ["accepted", "fix_at_source", "fix_in_mapping", "fix_by_supplier"] as const).pipe(
      Flag.withDescription("accept the finding, or mark it for a fix at source, in the mapping or by the supplier"),
      Flag.optional
    ),
    reason: Flag.String("reason").pipe(Flag.withDescription("why"), Flag.optional),
    import: Flag.String("import").pipe(
      Flag.withDescription("a workbook of the reports with decisions filled in (report.xlsx, edited in Excel or LibreOffice): every decision applied, or none"),
      Flag.optional
    ),
    rehearsal: rehearsalFlag,
    by: Flag.String("by").pipe(Flag.withDescription("who decides"), Flag.withFallbackConfig(Config_.String("USER")), Flag.withDefault("unknown")),
    until: Flag.String("until").pipe(Flag.withDescription("an acceptance expires after this day, yyyy-mm-dd"), Flag.optional),
    wait: waitFlag
  },
  (flags) =>
    Effect.gen(function*() {
      const file = option(flags.import)
      if (file !== undefined) {
        const config = yield* Config.load()
        return yield* Runs.importDecisions({ file, rehearsal: option(flags.rehearsal) ?? config.rehearsal, by: flags.by })
      }
      const [fingerprint, decision, reason] = [option(flags.fingerprint), option(flags.decision), option(flags.reason)]
      if (fingerprint === undefined || decision === undefined || reason === undefined) {
        return yield* new Runs.RunsError({ message: "triage takes --import FILE, or --finding, --decision and --reason" })
      }
      return yield* Runs.triage({ fingerprint, decision, reason, by: flags.by, until: option(flags.until) ?? null })
    }).pipe(Effect.provide(Databases.targetLayer(flags.target, holding("triage", flags.wait))))
).pipe(Command.withDescription("Bring back the decisions made in a workbook of the reports, or decide on one finding; they apply from the next rehearsal"))

const purgeCommand = Command.make(
  "purge",
  { target: targetFlag, pipeline: pipelineFlag, run: Flag.String("run").pipe(Flag.withDescription("the run whose load is removed")), wait: waitFlag },
  (flags) =>
    Effect.gen(function*() {
      const selected = Pipelines.select(flags.pipeline)
      const purged = yield* Purge.purge(selected.pipeline, { runId: flags.run, targetSchema: selected.targetSchema })
      const rows = Object.values(purged.removed).reduce((a, b) => a + b, 0)
      yield* Console.log(`run ${purged.runId}: ${purged.note}${rows > 0 ? `; ${rows} rows removed` : ""}`)
    }).pipe(Effect.provide(Databases.targetLayer(flags.target, holding("purge", flags.wait))))
).pipe(Command.withDescription("Remove one run's load from the target, and nothing else"))

const verifyCommand = Command.make(
  "verify",
  {
    legacy: legacyFlag,
    supplier: Flag.String("supplier").pipe(Flag.withDescription("the supplier's target database URL, only read")),
    targetSchema: Flag.String("target-schema").pipe(Flag.withDescription("the schema of the pipeline's target tables in the supplier's database (default: the pipeline's)"), Flag.optional),
    xref: Flag.String("xref").pipe(Flag.withDescription("the supplier's cross-reference: FILE.csv, or SCHEMA.TABLE in the supplier's database (entity, legacy_key, target_key)")),
    control: url("control", "HANDOVER_CONTROL_URL", "pglite://.handover/control", "control database URL: the mapping, the copy of the delivery and the ledger"),
    pipeline: pipelineFlag,
    rehearsal: rehearsalFlag,
    json: jsonFlag,
    reveal: revealFlag,
    reports: reportsFlag,
    gates: gatesFlag,
    wait: waitFlag
  },
  (flags) =>
    Effect.gen(function*() {
      const config = yield* Config.load()
      return yield* VerifyCommand.verify({
        pipeline: flags.pipeline,
        legacyUrl: flags.legacy,
        supplierUrl: flags.supplier,
        supplierSchema: option(flags.targetSchema),
        xref: flags.xref,
        controlUrl: flags.control,
        rehearsal: option(flags.rehearsal) ?? config.rehearsal,
        json: flags.json,
        ...reportOptions(flags, config),
        holding: holding("verify", flags.wait)
      })
    })
).pipe(Command.withDescription("Verify a supplier's load against the council's mapping, through the supplier's cross-reference; nothing is written to the supplier's database"))

const names = (text: string | undefined) => text === undefined ? undefined : text.split(",").map((s) => s.trim()).filter((s) => s !== "")

const diffCommand = Command.make(
  "diff",
  {
    left: Flag.String("left").pipe(Flag.withDescription("the left database's URL")),
    right: Flag.String("right").pipe(Flag.withDescription("the right database's URL")),
    table: Flag.String("table").pipe(Flag.withDescription("the table, SCHEMA.TABLE or TABLE in the default schema")),
    rightTable: Flag.String("right-table").pipe(Flag.withDescription("the right side's table, when it is named otherwise"), Flag.optional),
    key: Flag.String("key").pipe(Flag.withDescription("the columns that pick out one row, comma separated (default: the primary key)"), Flag.optional),
    columns: Flag.String("columns").pipe(Flag.withDescription("the columns compared, comma separated (default: all; the key's always)"), Flag.optional),
    where: Flag.String("where").pipe(Flag.withDescription("a condition in SQL that picks the rows compared, on both sides"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("print each difference as a JSON object a line, the summary as JSON on standard error"), Flag.withDefault(false)),
    reveal: Flag.Literals("reveal", Masking.reveals).pipe(
      Flag.withDescription("values of the columns but the key: masked (default: withheld), pseudonymised (key in HANDOVER_PSEUDONYM_KEY) or full"),
      Flag.withDefault("masked")
    ),
    wait: waitFlag
  },
  (flags) =>
    DiffCommand.diff({
      left: flags.left,
      right: flags.right,
      table: flags.table,
      rightTable: option(flags.rightTable),
      key: names(option(flags.key)),
      columns: names(option(flags.columns)),
      where: option(flags.where),
      json: flags.json,
      reveal: flags.reveal,
      pseudonymKey: process.env.HANDOVER_PSEUDONYM_KEY,
      waitSeconds: flags.wait
    })
).pipe(Command.withDescription("Compare one table on two databases row by row; exit 0 the same, 1 they differ, 2 it could not run"))

const fixturesCommand = Command.make("fixtures").pipe(
  Command.withDescription("Synthetic legacy estates"),
  Command.withSubcommands([
    Command.make(
      "generate",
      { legacy: legacyFlag, pipeline: pipelineFlag, ...estateFlags, wait: waitFlag },
      (flags) =>
        generateEstate({ pipeline: flags.pipeline, clean: flags.clean, clients: flags.clients, seed: flags.seed, manifest: flags.manifest }).pipe(
          Effect.provide(Databases.legacyLayer(flags.legacy, holding("fixtures generate", flags.wait)))
        )
    ).pipe(Command.withDescription("Generate a legacy estate with injected defects and write its manifest"))
  ])
)

/**
 * Exit codes: 0 the rehearsal passed; 1 it ran but a check failed (the conservation law, a gate), or the tables a diff
 * compared differ; 2 it could not run
 * (a database unreachable, a bad URL, bad flags).
 */
const exitCodeOf = (error: unknown): number => {
  const tag = typeof error === "object" && error !== null ? (error as { _tag?: unknown })._tag : undefined
  return tag === "ConservationError" || tag === "GateError" || tag === "TablesDiffer" ? 1 : 2
}

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)

Command.make("handover").pipe(
  Command.withDescription("Migrate legacy social care records and prove nothing was lost or changed"),
  Command.withSubcommands([rehearseCommand, fixturesCommand, migrateCommand, reconcileCommand, reportCommand, runsCommand, triageCommand, purgeCommand, diffCommand, verifyCommand]),
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
  // warnings (a batch tried again after its connection dropped) go to standard error, with the progress
  Effect.provideService(Logger.LogToStderr, true),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
