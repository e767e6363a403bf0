/**
 * How every property test runs: fast-check seeded from the one test seed (`Seed.ts`), and every arbitrary that
 * declares a largest size reaching it (`defaultSizeToMaxWhenMaxSpecified`): left to its default, fast-check draws
 * arrays of at most about ten items whatever their declared `maxLength`, so an estate declared up to 60 clients rarely
 * had more than 12 and never crossed a batch boundary, a merge chain or a resume point.
 *
 * Run counts stay with each suite (`HANDOVER_PROPERTY_RUNS` where a suite reads it).
 */
import fc from "fast-check"
import * as Seed from "./Seed.ts"

export const settings = (): fc.GlobalParameters => ({
  seed: Seed.of("property"),
  defaultSizeToMaxWhenMaxSpecified: true
})

/** Applies the settings to fast-check in this process (a test worker). */
export const configure = (): void => fc.configureGlobal(settings())
