/**
 * The migrations the command knows, by name: the pipeline, the target schema it loads, the legacy table that shows an
 * estate is there, and the parameters its mapping takes.
 */
import type { Pipeline } from "@handover/core"
import { ExamplePipeline, LegacyTables as ExampleTables } from "@handover/pipeline-example"
import { LegacyTables as SwiftTables, SwiftPipeline } from "@handover/swift-to-ias"

export const pipelines = ["swift-to-ias", "example"] as const
export type PipelineName = (typeof pipelines)[number]

export interface Selected {
  readonly pipeline: Pipeline.Pipeline
  readonly targetSchema: string
  /** A legacy table every estate of the pipeline has. */
  readonly legacyMarker: string
  readonly parameters: Readonly<Record<string, string>>
}

export const select = (name: PipelineName, cutoverDate?: string | undefined): Selected =>
  name === "example"
    ? { pipeline: ExamplePipeline.pipeline, targetSchema: "example", legacyMarker: ExampleTables.client.name, parameters: {} }
    : {
      pipeline: SwiftPipeline.pipeline,
      targetSchema: "ias",
      legacyMarker: SwiftTables.client.name,
      parameters: { cutoverDate: cutoverDate ?? SwiftPipeline.defaultCutoverDate }
    }
