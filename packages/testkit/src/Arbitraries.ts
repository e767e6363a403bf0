/**
 * fast-check arbitraries of legacy rows for the example tables: a mix of valid rows and rows broken in every way the
 * pipeline must notice, with awkward text (quotes, tabs, newlines, backslashes, non-Latin letters) throughout.
 */
import { NhsNumber } from "@handover/core"
import type { Driver } from "@handover/sql"
import fc from "fast-check"

/** Text with the characters that break naive CSV, COPY and SQL quoting. NUL is left out: no PostgreSQL text holds it. */
export const awkwardText = (maxLength = 30): fc.Arbitrary<string> =>
  fc.string({
    maxLength,
    unit: fc.oneof(
      fc.constantFrom("'", "\"", "\\", "\t", "\n", "\r", ",", ";", "--", "é", "ł", "名", "😀", " "),
      fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    )
  })

const pad = (n: number, w = 2) => String(n).padStart(w, "0")

export const validIsoDate = fc.tuple(fc.integer({ min: 1900, max: 2030 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
  .map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`)

/** Any calendar date from year 1 to 9999 (days 1 to 28), as ISO text. */
export const anyIsoDate = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`)

/** An instant as ISO text in UTC, to the microsecond (or the millisecond), years 0002 to 9998. */
export const anyInstant = (digits: 3 | 6): fc.Arbitrary<string> =>
  fc.tuple(
    fc.date({ min: new Date("0002-01-01T00:00:00Z"), max: new Date("9998-12-31T23:59:59Z"), noInvalidDate: true }),
    fc.integer({ min: 0, max: 999 })
  ).map(([d, micro]) => `${d.toISOString().slice(0, 23)}${digits === 6 ? pad(micro, 3) : ""}Z`)

export const validUkDate = validIsoDate.map((iso) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`)

export const validNhsNumber = fc.integer({ min: 100_000_000, max: 999_999_999 })
  .filter((n) => NhsNumber.checkDigit(String(n)) !== undefined)
  .map((n) => `${n}${NhsNumber.checkDigit(String(n))}`)

const nhsText = fc.oneof(
  { weight: 6, arbitrary: validNhsNumber },
  { weight: 1, arbitrary: validNhsNumber.map((n) => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`) },
  { weight: 1, arbitrary: validNhsNumber.map((n) => `${n.slice(0, 9)}${(Number(n[9]) + 1) % 10}`) },
  { weight: 1, arbitrary: fc.constantFrom<string | null>(null, "", "N/K", "12345") },
  { weight: 1, arbitrary: awkwardText(12) }
)

const dobText = fc.oneof(
  { weight: 6, arbitrary: validIsoDate },
  { weight: 3, arbitrary: validUkDate },
  { weight: 1, arbitrary: fc.constantFrom<string | null>(null, "", "unknown", "31/02/1950", "1950-13-01") },
  { weight: 1, arbitrary: awkwardText(12) }
)

const money = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([p, d]) => `${p}.${pad(d)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99_999 }).map((p) => `£${p.toLocaleString("en-GB")}`) },
  { weight: 1, arbitrary: fc.constantFrom<string | null>(null, "", "TBC", "-12.00", "12.345", "1e3") },
  { weight: 1, arbitrary: awkwardText(8) }
)

export interface ExampleRows {
  readonly clients: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>
  readonly carePackages: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>
}

/** Clients and care packages (in the example's legacy column order) with unique keys. */
export const exampleRows = (options: { readonly maxClients?: number; readonly maxPackages?: number } = {}): fc.Arbitrary<ExampleRows> =>
  fc.uniqueArray(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: options.maxClients ?? 60 }).chain((clientNos) => {
    const sorted = [...clientNos].sort((a, b) => a - b)
    const client = (no: number, index: number) =>
      fc.tuple(
        fc.option(awkwardText(20), { nil: null }),
        fc.option(awkwardText(20), { nil: null }),
        dobText,
        nhsText,
        fc.oneof({ weight: 8, arbitrary: fc.constantFrom("M", "F", "U", "I") }, { weight: 1, arbitrary: fc.constantFrom<string | null>("X", null, "m") }),
        fc.constantFrom<string | null>("ASC", "ASC", "ASC", null, "TEST", "test"),
        index === 0
          ? fc.constant(null)
          : fc.oneof(
            { weight: 8, arbitrary: fc.constant<number | null>(null) },
            { weight: 1, arbitrary: fc.constantFrom(...sorted.slice(0, index)) },
            { weight: 1, arbitrary: fc.integer({ min: 100_001, max: 200_000 }) }
          )
      ).map(([forename, surname, dob, nhs, gender, category, merged]): ReadonlyArray<Driver.SqlValue> => [
        no,
        forename,
        surname,
        dob,
        nhs,
        gender,
        category,
        merged
      ])
    const packageRow = (id: number) =>
      fc.tuple(
        fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...sorted) }, { weight: 1, arbitrary: fc.integer({ min: 100_001, max: 200_000 }) }),
        fc.oneof({ weight: 8, arbitrary: awkwardText(30).filter((t) => t.trim() !== "") }, { weight: 1, arbitrary: fc.constant(null) }),
        money,
        fc.oneof({ weight: 8, arbitrary: validIsoDate }, { weight: 1, arbitrary: fc.constantFrom<string | null>(null, "soon") }),
        fc.oneof({ weight: 5, arbitrary: fc.constant<string | null>(null) }, { weight: 4, arbitrary: validIsoDate }),
        fc.constantFrom<string | null>("ACTIVE", "ENDED", "CANCELLED", null)
      ).map(([clientNo, provider, cost, start, end, status]): ReadonlyArray<Driver.SqlValue> => [
        id,
        clientNo,
        provider,
        cost,
        start,
        end,
        status
      ])
    return fc.tuple(
      fc.tuple(...sorted.map(client)),
      fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: options.maxPackages ?? 80 }).chain(
        (ids): fc.Arbitrary<ReadonlyArray<ReadonlyArray<Driver.SqlValue>>> =>
          ids.length === 0 ? fc.constant([]) : fc.tuple(...ids.map(packageRow))
      )
    ).map(([clients, carePackages]) => ({ clients, carePackages }))
  })
