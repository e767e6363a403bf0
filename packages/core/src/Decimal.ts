/**
 * Exact decimal arithmetic (decimal.js), for money and rates: no binary floating point on the money path.
 */
import * as DecimalJs from "decimal.js"

/** decimal.js ships its class as the ES module's default export, while its types declare it as a named export. */
export const Decimal = (DecimalJs as unknown as { readonly default: typeof DecimalJs.Decimal }).default
export type Decimal = InstanceType<typeof Decimal>
