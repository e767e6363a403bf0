/**
 * Run once before any test: resolves the one test seed (a `random` one is chosen here, so every worker gets the same)
 * and prints it, so that any run can be repeated.
 */
import * as Seed from "./Seed.ts"

export default function setup(): void {
  const seed = Seed.base()
  console.log(`test seed: HANDOVER_SEED=${seed} (each suite's seed derives from it; fast-check sizes reach their declared maximum)`)
}
