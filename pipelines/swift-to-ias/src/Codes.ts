/**
 * Legacy codes through the code maps: a mapped value, or no value and a flag naming the unmapped code, which also
 * lands in the run's report of unmapped values. Nothing is silently defaulted.
 */
import { Pipeline } from "@handover/core"
import * as CodeMaps from "./reference/CodeMaps.ts"

export interface Mapped {
  readonly code: string | null
  readonly flags: ReadonlyArray<Pipeline.Flag>
  readonly unmapped: Pipeline.UnmappedCode | undefined
  /** Why a known legacy value has deliberately no target value (transport is not a CLD service, say). */
  readonly deliberate: string | undefined
}

const noFlags: ReadonlyArray<Pipeline.Flag> = Object.freeze([])
const blank: Mapped = Object.freeze({ code: null, flags: noFlags, unmapped: undefined, deliberate: undefined })

/**
 * What the shipped code maps alone give a legacy value, the value mapped or blank, kept by code system and text: the
 * same few values come on every row. A value they do not map is not kept (a data owner's map decides it).
 */
const known = new Map<string, Map<string, Mapped>>()
const knownPerSystem = 10_000

/**
 * Maps a legacy code. An empty code stays empty unless the code system maps the empty value itself (ethnicity maps
 * it to "not known"). A value the code maps do not know, or leave unmapped on purpose, is mapped as a data owner
 * decided (the council's own code map), where one did: the council knows what its own codes meant, and the reason
 * for leaving it unmapped was in front of the data owner who decided. Else it gives no value, an error flag and the
 * unmapped value.
 */
export const map = (
  context: Pick<Pipeline.TransformContext, "councilCode">,
  codeSystem: CodeMaps.CodeSystem,
  value: string | null,
  field: string,
  rule: Pipeline.MappingRule
): Mapped => {
  const text = value ?? ""
  let ofSystem = known.get(codeSystem)
  if (ofSystem === undefined) known.set(codeSystem, ofSystem = new Map())
  const kept = ofSystem.get(text)
  if (kept !== undefined) return kept
  const result = CodeMaps.lookup(codeSystem, text)
  if (result._tag === "Mapped" || text.trim() === "") {
    const plain = result._tag === "Mapped" ? Object.freeze({ code: result.code, flags: noFlags, unmapped: undefined, deliberate: undefined }) : blank
    if (ofSystem.size < knownPerSystem) ofSystem.set(text, plain)
    return plain
  }
  // a value the code maps do not know or leave unmapped, mapped by a data owner
  const council = context.councilCode?.(codeSystem, text)
  if (council !== undefined) return { code: council, flags: [], unmapped: undefined, deliberate: undefined }
  const unmapped = { codeSystem, value: text }
  const why = result.reason === undefined ? "has no mapping" : `is deliberately not mapped (${result.reason})`
  return {
    code: null,
    flags: [Pipeline.flag(rule, field, "error", `${field}: the ${codeSystem} code ${JSON.stringify(text.trim())} ${why}`, unmapped)],
    unmapped,
    deliberate: result.reason
  }
}
