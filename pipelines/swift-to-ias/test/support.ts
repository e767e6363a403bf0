/**
 * What the tests of the SWIFT checks and figures share: the schemas of a migrated estate, the cut-over parameters and
 * the context a check or figure runs in.
 */
import type { Reconcile } from "@handover/reconcile"
import { ControlSchema, type Driver } from "@handover/sql"
import * as SwiftPipeline from "../src/SwiftPipeline.ts"

export const legacySchema = "swift"
export const targetSchema = "ias"
export const controlSchema = ControlSchema.defaultSchema
export const parameters = { cutoverDate: SwiftPipeline.defaultCutoverDate }

/** A run's checks and figures over one database that holds the legacy estate and the target. */
export const context = (driver: Driver.Driver, runId: string): Reconcile.CheckContext => ({
  runId,
  legacy: driver,
  target: driver,
  legacySchema,
  targetSchema,
  controlSchema,
  parameters
})
