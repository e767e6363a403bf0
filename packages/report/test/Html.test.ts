/**
 * The HTML report in a real browser: Debian's Chromium, driven by playwright-core: its findings filtered, its
 * worklists filtered by owner and by status. Skipped where no Chromium is installed; `.ci/run` installs it.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { chromium } from "playwright-core"
import { Finding, WorklistItems } from "@handover/reconcile"
import { Gates, Masking, ReportData, Reports } from "../src/index.ts"
import { reportData, unmasked } from "./SampleReport.ts"

const executablePath = process.env.HANDOVER_CHROMIUM ?? "/usr/bin/chromium"
const hostile = "<img src=x onerror=alert(1)>"

/** Where the browser test leaves its screenshot of the report. */
export const screenshot = path.resolve(import.meta.dirname, "..", "..", "..", ".handover", "screenshots", "report.png")

describe.skipIf(!existsSync(executablePath))("the HTML report in Chromium", () => {
  it("renders offline with no console errors, filters findings, shows the trend, and shows markup in values as text", async () => {
    // the full level, so the hostile name reaches the page as it was written
    const data = reportData(
      [{ first: hostile, last: "Smith", nhs: "9434765919", dob: "1946-02-11" }, { first: "Grace", last: "Hopper", nhs: "4010232137", dob: "1936-12-09" }],
      Masking.make("full")
    )
    const directory = await mkdtemp(path.join(tmpdir(), "handover-html-"))
    await Reports.write(directory, data, Gates.evaluate(data), { owners: [{ name: "People (service managers)", entities: ["client"], figures: ["figure.weekly-commitment"] }] })
    const browser = await chromium.launch({ executablePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] })
    try {
      const page = await browser.newPage()
      const errors: Array<string> = []
      const dialogs: Array<string> = []
      const requests: Array<string> = []
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text())
      })
      page.on("pageerror", (e) => errors.push(e.message))
      page.on("dialog", async (d) => {
        dialogs.push(d.message())
        await d.dismiss()
      })
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) requests.push(r.url())
      })
      await page.goto(pathToFileURL(path.join(directory, "report.html")).href)
      await page.locator("details").first().evaluate((d) => d.setAttribute("open", ""))

      expect(await page.locator("#headline").textContent()).toContain("Better than the last rehearsal")
      expect(await page.locator("svg#trend rect").count()).toBeGreaterThan(5)

      const table = page.locator("[data-check=record] table tbody tr")
      const all = await table.count()
      expect(all).toBe(4)
      await page.locator("[data-check=record] input[type=search]").fill("Hopper")
      expect(await table.count()).toBe(1)
      await page.locator("[data-check=record] input[type=search]").fill("")
      expect(await table.count()).toBe(all)

      // the hostile name is text in a cell, not an element
      expect(await page.locator("[data-check=record] td", { hasText: hostile }).count()).toBeGreaterThan(0)
      expect(await page.locator("img").count()).toBe(0)
      expect(dialogs).toEqual([])
      expect(errors).toEqual([])
      expect(requests).toEqual([])

      await mkdir(path.dirname(screenshot), { recursive: true })
      await page.screenshot({ path: screenshot, fullPage: true })
    } finally {
      await browser.close()
    }
  })

  it("lists each worklist's items, filtered by owner and by status", async () => {
    const people = [{ first: "Ada", last: "Lovelace", nhs: "9434765919", dob: "1946-02-11" }, { first: "Grace", last: "Hopper", nhs: "4010232137", dob: "1936-12-09" }]
    // a row of a package line held back: no owner of the report has package lines, so it is the migration team's
    const line = Finding.make({
      check: WorklistItems.checks.quarantine,
      entity: "package line",
      legacyKey: "77",
      field: "end_date_text",
      kind: "quarantined",
      severity: "error",
      rule: "SVC-04",
      message: "held back (by the mapping): ends before it starts"
    })
    const base = unmasked(people)
    const data = ReportData.mask({ ...base, findings: [...base.findings, { ...line, fingerprint: Finding.fingerprint(line), status: "open" }] }, Masking.make("masked"))
    const directory = await mkdtemp(path.join(tmpdir(), "handover-html-worklists-"))
    await Reports.write(directory, data, Gates.evaluate(data), { owners: [{ name: "People", entities: ["client"], figures: [] }] })
    const browser = await chromium.launch({ executablePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] })
    try {
      const page = await browser.newPage()
      const errors: Array<string> = []
      page.on("pageerror", (e) => errors.push(e.message))
      await page.goto(pathToFileURL(path.join(directory, "report.html")).href)
      const holder = page.locator("[data-worklist=fix-at-source]")
      await holder.evaluate((h) => h.closest("details")!.setAttribute("open", ""))
      const rows = holder.locator("table tbody tr")
      const owner = holder.locator("select[data-filter=owner]")
      const status = holder.locator("select[data-filter=status]")
      expect(await rows.count()).toBe(3)
      expect(await owner.locator("option").allTextContents()).toEqual(["every owner", "Migration team", "People"])
      await owner.selectOption("People")
      expect(await rows.count()).toBe(2)
      await owner.selectOption("Migration team")
      expect(await rows.count()).toBe(1)
      expect(await rows.first().textContent()).toContain("package line")
      await owner.selectOption("")
      await status.selectOption("new")
      expect(await rows.count()).toBe(2)
      await owner.selectOption("Migration team")
      expect(await rows.count()).toBe(0)
      // every worklist has its list, and its summary counts its items
      for (const id of ["fix-at-source", "check", "code-mapping", "possible-duplicates"]) expect(await page.locator(`[data-worklist=${id}] table`).count()).toBe(1)
      expect(await page.locator("summary", { hasText: "Fix at source: 3" }).count()).toBe(1)
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
