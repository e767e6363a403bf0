/**
 * The legacy side of the example: clients and their care packages, as a SWIFT-like system keeps them (free text
 * where the old system had free text).
 */
import { Table } from "@handover/sql"

export const client = Table.make({
  name: "ex_client",
  columns: {
    client_no: Table.int,
    forename: Table.nullable(Table.text(60)),
    surname: Table.nullable(Table.text(60)),
    dob_text: Table.nullable(Table.text(20)),
    nhs_no_text: Table.nullable(Table.text(20)),
    gender_code: Table.nullable(Table.text(1)),
    client_category: Table.nullable(Table.text(10)),
    merged_into_client_no: Table.nullable(Table.int)
  },
  primaryKey: ["client_no"]
})

export const carePackage = Table.make({
  name: "ex_care_package",
  columns: {
    package_id: Table.int,
    client_no: Table.int,
    provider_name: Table.nullable(Table.text(80)),
    weekly_cost_text: Table.nullable(Table.text(20)),
    start_date_text: Table.nullable(Table.text(20)),
    end_date_text: Table.nullable(Table.text(20)),
    status: Table.nullable(Table.text(12))
  },
  primaryKey: ["package_id"]
})

export const all = [client, carePackage]
