/**
 * Set up in every test worker: fast-check's seed and sizes (`Properties.ts`).
 */
import * as Properties from "./Properties.ts"

Properties.configure()
