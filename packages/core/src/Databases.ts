/**
 * The two databases of a rehearsal: the legacy system it reads and the target it loads (which also holds the
 * control schema).
 */
import { Database, type ConnectionUrl } from "@handover/sql"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export class LegacyDatabase extends Context.Service<LegacyDatabase, Database.Database>()("@handover/core/LegacyDatabase") {}

export class TargetDatabase extends Context.Service<TargetDatabase, Database.Database>()("@handover/core/TargetDatabase") {}

/**
 * Opens the legacy and target databases from URLs. The same URL opens one database serving both (an embedded
 * database can be opened only once).
 */
export const layer = (urls: { readonly legacy: string; readonly target: string }) =>
  Layer.effectContext(Effect.gen(function*() {
    const legacy = yield* Database.openUrl(urls.legacy)
    const target = urls.target.trim() === urls.legacy.trim() ? legacy : yield* Database.openUrl(urls.target)
    return Context.make(LegacyDatabase, legacy).pipe(Context.add(TargetDatabase, target))
  }))

export type Urls = { readonly legacy: string; readonly target: string }
export type { ConnectionUrl }

/** The target database alone, for commands that read only the control schema and the target. */
export const targetLayer = (url: string) => Layer.effect(TargetDatabase, Database.openUrl(url))

/** The legacy database alone, for generating an estate. */
export const legacyLayer = (url: string) => Layer.effect(LegacyDatabase, Database.openUrl(url))
