/**
 * A council's settings in one reviewed file, `handover.config.ts` in the directory the command runs from:
 *
 * ```ts
 * import type { HandoverConfig } from "@handover/cli/Config"
 * export default { cutoverDate: "2026-03-31", gates: { maxFindings: { "rule.late-client-invoice": 40 } } } satisfies HandoverConfig
 * ```
 *
 * Everything has a default, so no file is needed. Database URLs do not belong here: they come from flags or from
 * `HANDOVER_LEGACY_URL` and `HANDOVER_TARGET_URL`, and passwords never sit in a reviewed file.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Gates, type Masking, type Summary } from "@handover/report"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

export interface HandoverConfig {
  /** The rehearsal series runs belong to. */
  readonly rehearsal?: string
  /** The day the figures are taken on, `yyyy-mm-dd`. */
  readonly cutoverDate?: string
  /** What fails a rehearsal. */
  readonly gates?: Partial<Gates.GateConfig>
  readonly reports?: {
    /** Where reports are written. */
    readonly directory?: string
    /** How much personal data reports show. */
    readonly reveal?: Masking.Reveal
  }
  /**
   * The data owners and what is theirs, in place of the pipeline's own: each owner's section of the report, and the
   * owner of each worklist item (by its entity; items of no owner's entity are the migration team's).
   */
  readonly owners?: ReadonlyArray<Summary.Owner>
}

export interface Resolved {
  readonly rehearsal: string
  readonly cutoverDate: string | undefined
  readonly gates: Gates.GateConfig
  readonly reportDirectory: string
  readonly reveal: Masking.Reveal
  readonly file: string | undefined
  readonly owners: ReadonlyArray<Summary.Owner> | undefined
}

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", { message: Schema.String }) {}

export const fileName = "handover.config.ts"

export const load = (directory: string = process.cwd()) =>
  Effect.gen(function*() {
    const file = path.join(directory, fileName)
    const exists = existsSync(file)
    const config: HandoverConfig = exists
      ? yield* Effect.tryPromise({
        try: async () => ((await import(pathToFileURL(file).href)) as { default?: HandoverConfig }).default ?? {},
        catch: (cause) => new ConfigError({ message: `${fileName} could not be read: ${cause instanceof Error ? cause.message : String(cause)}` })
      })
      : {}
    if (config.cutoverDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(config.cutoverDate)) {
      return yield* new ConfigError({ message: `${fileName}: cutoverDate must be yyyy-mm-dd` })
    }
    const badOwner = (config.owners ?? []).find((o) => typeof o?.name !== "string" || !Array.isArray(o.entities) || !Array.isArray(o.figures ?? []))
    if (config.owners !== undefined && (!Array.isArray(config.owners) || badOwner !== undefined)) {
      return yield* new ConfigError({ message: `${fileName}: each owner needs a name, a list of entities and a list of figures` })
    }
    return {
      rehearsal: config.rehearsal ?? "local",
      cutoverDate: config.cutoverDate,
      gates: { ...Gates.defaults, ...config.gates },
      reportDirectory: config.reports?.directory ?? path.join(".handover", "reports"),
      reveal: config.reports?.reveal ?? "masked",
      file: exists ? file : undefined,
      owners: config.owners
    } satisfies Resolved
  })
