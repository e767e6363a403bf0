/**
 * A report file written a piece at a time: opened readable by its owner only (0600), written through a small buffer,
 * so a file of any size is written holding one page of it in memory.
 */
import { chmod, open } from "node:fs/promises"
import type { Writable } from "node:stream"

export interface Sink {
  readonly write: (text: string) => Promise<void>
}

/** Characters gathered before they are written out. */
const bufferSize = 1 << 16

/** Writes a file (mode 0600) with what `f` gives its sink, then closes it. */
export const toFile = async <A>(file: string, f: (sink: Sink) => Promise<A>): Promise<A> => {
  const handle = await open(file, "w", 0o600)
  try {
    let parts: Array<string> = []
    let size = 0
    const flush = async () => {
      if (size === 0) return
      const text = parts.join("")
      parts = []
      size = 0
      await handle.writeFile(text, "utf8")
    }
    const result = await f({
      write: async (text) => {
        parts.push(text)
        size += text.length
        if (size >= bufferSize) await flush()
      }
    })
    await flush()
    await handle.chmod(0o600)
    return result
  } finally {
    await handle.close()
  }
}

/** A sink that gathers what it is given into one text: for writers whose output is small, and for tests. */
export const toText = async (f: (sink: Sink) => Promise<void>): Promise<string> => {
  const parts: Array<string> = []
  await f({ write: async (text) => void parts.push(text) })
  return parts.join("")
}

/**
 * Writes a file (mode 0600) through a writable stream that `f` fills and ends (a zip written as it is made); settles
 * once the file is written and closed, or with the first error of the stream or of `f`.
 */
export const toStream = async (file: string, f: (stream: Writable) => Promise<void>): Promise<void> => {
  const handle = await open(file, "w", 0o600)
  const stream = handle.createWriteStream({ autoClose: true })
  const closed = new Promise<void>((resolve, reject) => {
    stream.once("error", reject)
    stream.once("close", () => resolve())
  })
  // an error of the stream while `f` still runs is reported by `closed`, not lost
  closed.catch(() => undefined)
  try {
    await Promise.race([f(stream), closed.then(() => undefined)])
  } catch (error) {
    stream.destroy()
    await closed.catch(() => undefined)
    throw error
  }
  await closed
  await chmod(file, 0o600)
}
