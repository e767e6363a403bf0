/**
 * The council's annual uplifts of provider rates (percent, applied on 1 April of the financial year), as published
 * with each year's fee setting. A rate for one year is the rate for the next year divided by its uplift.
 */
import { Decimal as DecimalModule } from "@handover/core"

/** Decimals precise enough for a rate times every uplift since 2005 (three decimal places a year), without rounding. */
const Exact = DecimalModule.Decimal.clone({ precision: 200 })

export const percent: Readonly<Record<number, number>> = {
  2006: 2.5, 2007: 2.5, 2008: 2.5, 2009: 0, 2010: 0, 2011: 0, 2012: 2, 2013: 1.5, 2014: 1.5, 2015: 2,
  2016: 4.5, 2017: 4, 2018: 3.5, 2019: 4, 2020: 5, 2021: 3.5, 2022: 6.5, 2023: 9, 2024: 7, 2025: 5.5
}

/** The first financial year with a published uplift is the one after this: earlier years are carried from it. */
export const earliestYear = 2005

/** The latest financial year with a published uplift. */
export const latestYear = 2025

/**
 * The factor that carries a rate of a financial year forward to the latest year's terms, as decimal text: every later
 * year's uplift multiplied together, exactly (each uplift has at most one decimal place of a percent, so three decimal
 * places of a factor), or rounded half up to `places` decimal places. "1" for the latest year and after.
 */
export const factorText = (financialYear: number, places?: number): string => {
  let numerator = 1n
  let scale = 0
  for (let y = Math.max(financialYear, earliestYear) + 1; y <= latestYear; y++) {
    numerator *= BigInt(Math.round((100 + (percent[y] ?? 2.5)) * 10))
    scale += 3
  }
  if (places !== undefined && places < scale) {
    const unit = 10n ** BigInt(scale - places)
    numerator = (numerator + unit / 2n) / unit
    scale = places
  }
  if (scale === 0) return numerator.toString()
  const digits = numerator.toString().padStart(scale + 1, "0")
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

/**
 * A rate of a financial year carried forward to the latest year's terms, exactly: the rate times every later year's
 * uplift. Rates of one provider and service in different years agree in these terms.
 */
export const inLatestTerms = (pounds: string, financialYear: number): DecimalModule.Decimal =>
  new Exact(pounds).times(factorText(financialYear))
