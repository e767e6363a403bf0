/**
 * The rehearsal engine: pipelines, decoding, mapping outcomes, the run ledger and the conservation law.
 */
export * as Counts from "./Counts.ts"
export * as Databases from "./Databases.ts"
export * as Decimal from "./Decimal.ts"
export * as Decode from "./Decode.ts"
export * as Ledger from "./Ledger.ts"
export * as Money from "./Money.ts"
export * as Pipeline from "./Pipeline.ts"
export * as Purge from "./Purge.ts"
export * as Rehearsal from "./Rehearsal.ts"
export * as Source from "./Source.ts"
export * as LegacyText from "./LegacyText.ts"
export * as NhsNumber from "./NhsNumber.ts"
export * as CqcId from "./CqcId.ts"
export * as LegacyDate from "./LegacyDate.ts"
export * as Postcode from "./Postcode.ts"
export * as Uprn from "./Uprn.ts"
