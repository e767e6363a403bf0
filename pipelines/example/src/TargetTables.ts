/**
 * The target side of the example: a person record and its care packages, in the new system's terms.
 */
import { Table } from "@handover/sql"

export const person = Table.make({
  name: "person",
  columns: {
    person_id: Table.text(20),
    nhs_number: Table.nullable(Table.text(10)),
    given_name: Table.nullable(Table.text(60)),
    family_name: Table.nullable(Table.text(60)),
    date_of_birth: Table.date,
    gender: Table.text(20)
  },
  primaryKey: ["person_id"]
})

export const carePackage = Table.make({
  name: "care_package",
  columns: {
    package_id: Table.text(20),
    person_id: Table.text(20),
    provider_name: Table.text(80),
    weekly_cost: Table.decimal(12, 2),
    start_date: Table.date,
    end_date: Table.nullable(Table.date)
  },
  primaryKey: ["package_id"]
})

export const all = [person, carePackage]
