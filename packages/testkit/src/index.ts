/**
 * Test harness: databases of every dialect, arbitraries, fault injection.
 */
export * as TestDatabase from "./TestDatabase.ts"
export * as Arbitraries from "./Arbitraries.ts"
export * as Hostile from "./Hostile.ts"
export * as HostileNames from "./HostileNames.ts"
export * as Seed from "./Seed.ts"
export * as Properties from "./Properties.ts"
