/**
 * The batching of a streamed SQL Server query over `mssql`'s stream events (`recordset`, `row`, `error`, `done`,
 * `pause`, `resume`, `cancel`), without a server: the events are played by a stand-in that emits rows while it is not
 * paused, as a request in stream mode does. What the server sends is the live suite's to test.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import mssql from "mssql"
import { EventEmitter } from "node:events"
import * as Arrays from "../src/Arrays.ts"
import * as MssqlDriver from "../src/mssql/MssqlDriver.ts"

/** Emits `rows` one at a time on a timer while not paused, then `done`; or an error after `failAfter` rows. */
const standIn = (rows: number, failAfter?: number) => {
  const events = new EventEmitter()
  const seen = { paused: false, cancelled: false, mostWaiting: 0, sent: 0 }
  const send = () => {
    if (seen.paused || seen.cancelled) return
    if (seen.sent === 0) events.emit("recordset", [{ type: mssql.Int }, { type: mssql.Date }])
    if (failAfter !== undefined && seen.sent === failAfter) {
      events.emit("error", new Error("the connection was lost"))
      events.emit("done")
      return
    }
    if (seen.sent === rows) {
      events.emit("done")
      return
    }
    events.emit("row", [seen.sent, new Date(Date.UTC(2024, 0, 1 + (seen.sent % 28)))])
    seen.sent++
    setImmediate(send)
  }
  const request = {
    on: (event: string, listener: (...args: Array<any>) => void) => events.on(event, listener),
    pause: () => void (seen.paused = true),
    resume: () => {
      if (!seen.paused) return
      seen.paused = false
      setImmediate(send)
    },
    cancel: () => void (seen.cancelled = true)
  } as unknown as MssqlDriver.RowStream
  return { request, start: () => setImmediate(send), seen }
}

describe("SQL Server's streamed rows, a batch at a time", () => {
  test.prop([fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 50 })], { numRuns: 40 })(
    "gives every row once, in order, as text, in batches of the size asked, pausing while a batch waits",
    async (rows, batchSize) => {
      const { request, start, seen } = standIn(rows)
      const got: Array<ReadonlyArray<string | null>> = []
      for await (const batch of MssqlDriver.streamRows(request, start, batchSize)) {
        assert.isAtMost(batch.length, batchSize)
        assert.isAbove(batch.length, 0)
        Arrays.appendAll(got, batch)
        // the request was paused with a batch waiting: it never ran far ahead of the reader
        assert.isAtMost(seen.sent - got.length, batchSize + 1)
      }
      assert.deepStrictEqual(got.map((r) => Number(r[0])), Array.from({ length: rows }, (_, i) => i))
      if (rows > 0) assert.match(String(got[0]![1]), /^2024-01-\d{2}$/)
      assert.isFalse(seen.cancelled)
    }
  )

  it("cancels the query when the reader stops early", async () => {
    const { request, start, seen } = standIn(1_000)
    for await (const batch of MssqlDriver.streamRows(request, start, 10)) {
      assert.strictEqual(batch.length, 10)
      break
    }
    assert.isTrue(seen.cancelled)
    assert.isBelow(seen.sent, 1_000)
  })

  it("fails with the server's error", async () => {
    const { request, start } = standIn(100, 25)
    const read = async () => {
      for await (const _ of MssqlDriver.streamRows(request, start, 10)) {
        // reading on
      }
    }
    await read().then(() => assert.fail("no error"), (error) => assert.match(String(error), /the connection was lost/))
  })
})
