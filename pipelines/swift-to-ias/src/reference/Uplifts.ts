/**
 * The council's annual uplifts of provider rates (percent, applied on 1 April of the financial year), as published
 * with each year's fee setting. A rate for one year is the rate for the next year divided by its uplift.
 */
import { Decimal as DecimalModule } from "@handover/core"

const { Decimal } = DecimalModule

export const percent: Readonly<Record<number, number>> = {
  2006: 2.5, 2007: 2.5, 2008: 2.5, 2009: 0, 2010: 0, 2011: 0, 2012: 2, 2013: 1.5, 2014: 1.5, 2015: 2,
  2016: 4.5, 2017: 4, 2018: 3.5, 2019: 4, 2020: 5, 2021: 3.5, 2022: 6.5, 2023: 9, 2024: 7, 2025: 5.5
}

/** The latest financial year with a published uplift. */
export const latestYear = 2025

/**
 * A rate of a financial year carried forward to the latest year's terms, exactly: the rate times every later year's
 * uplift. Rates of one provider and service in different years agree in these terms.
 */
export const inLatestTerms = (pounds: string, financialYear: number): DecimalModule.Decimal => {
  let rate = new Decimal(pounds)
  for (let y = Math.max(financialYear, 2005) + 1; y <= latestYear; y++) rate = rate.times(new Decimal(100 + (percent[y] ?? 2.5)).dividedBy(100))
  return rate
}
