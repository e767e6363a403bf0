/**
 * The SWIFT to LAS and ContrOCC migration: reference codes, then every entity step in dependency order.
 */
import { Pipeline } from "@handover/core"
import * as CldProjection from "./CldProjection.ts"
import * as CldRules from "./reference/CldRules.ts"
import * as CldLists from "./reference/CldLists.ts"
import * as CodeMaps from "./reference/CodeMaps.ts"
import * as Addresses from "./steps/Addresses.ts"
import * as Events from "./steps/Events.ts"
import * as Finance from "./steps/Finance.ts"
import * as Packages from "./steps/Packages.ts"
import * as People from "./steps/People.ts"
import * as Providers from "./steps/Providers.ts"
import * as Safeguarding from "./steps/Safeguarding.ts"
import * as TargetTables from "./TargetTables.ts"

/** The cut-over date a rehearsal checks dates against, unless the run says otherwise. */
export const defaultCutoverDate = "2026-03-31"

/**
 * The Client Level Data return made from the target: one row per request, assessment, review or service event of
 * the reporting period that ends at the cut-over, with the national field names, so that the council's performance
 * team can set it beside the last return the legacy system made.
 */
export const cldReturn: Pipeline.Return = {
  file: "cld-return.csv",
  columns: CldRules.cldColumns,
  rows: async function*(context) {
    for await (
      const page of CldProjection.project(context.target, {
        runId: context.runId,
        targetSchema: context.targetSchema,
        controlSchema: context.controlSchema,
        laCode: context.parameters.laCode ?? "999",
        ...CldProjection.reportingPeriod(context.parameters.cutoverDate ?? defaultCutoverDate)
      })
    ) yield page.map((p) => p.row)
  }
}

export const pipeline = Pipeline.make({
  name: "swift-to-ias",
  version: "1",
  targetTables: TargetTables.all,
  referenceData: [
    {
      table: TargetTables.refCode,
      rows: () => CldLists.rowsForRefCode().map((r) => [r.code_system, r.code, r.release, r.grouped, r.confidence])
    },
    {
      table: TargetTables.refCodeMap,
      rows: () => CodeMaps.rowsForRefCodeMap().map((r) => [r.code_system, r.legacy_value, r.target_code, r.rule])
    }
  ],
  steps: [
    Providers.step,
    People.step,
    Addresses.addressStep,
    Events.referralStep,
    Events.assessmentStep,
    Events.reviewStep,
    Packages.carePlanStep,
    Packages.serviceStep,
    Addresses.relationshipStep,
    Finance.financialAssessmentStep,
    Finance.contributionStep,
    Finance.providerInvoiceStep,
    Finance.providerInvoiceLineStep,
    Finance.debtorInvoiceStep,
    Finance.debtorReceiptStep,
    Finance.transportTripStep,
    Safeguarding.concernStep,
    Safeguarding.enquiryStep,
    Safeguarding.riskStep
  ],
  afterStep: {
    client: People.afterStep,
    relationship: Addresses.flagCarerLinks
  },
  returns: [cldReturn],
  codeValues: CodeMaps.targetValues
})
