/**
 * The two databases of a rehearsal: the legacy system it reads and the target it loads (which also holds the
 * control schema).
 */
import { ControlSchema, Database, type ConnectionUrl, type Hold } from "@handover/sql"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export class LegacyDatabase extends Context.Service<LegacyDatabase, Database.Database>()("@handover/core/LegacyDatabase") {}

export class TargetDatabase extends Context.Service<TargetDatabase, Database.Database>()("@handover/core/TargetDatabase") {}

/** How a command holds its databases: its name, and how long it waits for another command to finish. */
export interface Holding {
  readonly command: string
  readonly waitSeconds: number
}

/** What is held on a target: its control schema (the runs, the ledger and the decisions all live there). */
export const targetKey = (controlSchema: string = ControlSchema.defaultSchema) => `control:${controlSchema}`

/** What is held on a legacy database while an estate is written into it. */
export const legacyKey = "legacy estate"

/** The hold a command takes on its target: a write, whatever the command, so none reads a target half written. */
export const targetHold = (holding: Holding | undefined, warn: (message: string) => void): Hold.Request | undefined =>
  holding === undefined ? undefined : { command: holding.command, key: targetKey(), mode: "write", waitSeconds: holding.waitSeconds, warn }

/** The hold a command takes on the legacy database it reads: an embedded folder is held whole, a server not at all. */
export const legacyHold = (holding: Holding | undefined, warn: (message: string) => void, mode: "read" | "write" = "read"): Hold.Request | undefined =>
  holding === undefined ? undefined : { command: holding.command, key: legacyKey, mode, waitSeconds: holding.waitSeconds, warn }

/** Reports a hold's waits and takeovers as warnings, from outside any fiber. */
const warnings = Effect.map(Effect.context<never>(), (context) => (message: string) => Effect.runSyncWith(context)(Effect.logWarning(message)))

/**
 * Opens the legacy and target databases from URLs. The same URL opens one database serving both (an embedded
 * database can be opened only once). With `holding`, the target is held for the command's length, and so is an
 * embedded legacy folder; the target first.
 */
export const layer = (urls: { readonly legacy: string; readonly target: string }, holding?: Holding) =>
  Layer.effectContext(Effect.gen(function*() {
    const warn = yield* warnings
    const same = urls.target.trim() === urls.legacy.trim()
    const target = yield* Database.openUrl(urls.target, targetHold(holding, warn))
    const legacy = same ? target : yield* Database.openUrl(urls.legacy, legacyHold(holding, warn))
    return Context.make(LegacyDatabase, legacy).pipe(Context.add(TargetDatabase, target))
  }))

export type Urls = { readonly legacy: string; readonly target: string }
export type { ConnectionUrl }

/** The target database alone, for commands that read only the control schema and the target; held with `holding`. */
export const targetLayer = (url: string, holding?: Holding) =>
  Layer.effect(TargetDatabase, Effect.flatMap(warnings, (warn) => Database.openUrl(url, targetHold(holding, warn))))

/** The legacy database alone, for generating an estate; held for writing with `holding`. */
export const legacyLayer = (url: string, holding?: Holding) =>
  Layer.effect(LegacyDatabase, Effect.flatMap(warnings, (warn) => Database.openUrl(url, legacyHold(holding, warn, "write"))))

/** Holds the legacy database for writing an estate into it, for the rest of the scope (a server; a folder is held already). */
export const holdLegacyForWriting = (legacy: Database.Database, holding: Holding | undefined) =>
  holding === undefined ? Effect.succeed(legacy) : Effect.flatMap(warnings, (warn) => Database.hold(legacy, legacyHold(holding, warn, "write")!))
