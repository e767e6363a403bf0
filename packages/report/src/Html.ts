/**
 * The HTML report: one self-contained file that opens offline (no script, style or font from anywhere else), with
 * the worklists' first items to filter by owner and by status (the workbook has them all, and the decision columns).
 * The findings travel as JSON inside the page and are put into the tables as text by the page's own script, so a
 * value such as `<img src=x onerror=alert(1)>` shows as those characters and never runs.
 */
import { Figure, type FindingsLedger } from "@handover/reconcile"
import { Arrays } from "@handover/sql"
import { figureColumns, findingColumns, statuses } from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import * as ReportData from "./ReportData.ts"
import * as Summary from "./Summary.ts"
import * as Worklists from "./Worklists.ts"

/** Text for HTML: every character that could open markup escaped. */
export const escape = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;").replaceAll("'", "&#39;")

/** JSON that can sit inside a script element: no `<` to end it early, no line separators to break it. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029")

const colours: Record<(typeof statuses)[number], string> = {
  new: "#c0392b",
  open: "#e67e22",
  regressed: "#8e44ad",
  accepted: "#7f8c8d",
  resolved: "#27ae60"
}

/** The trend of findings by status across every rehearsal of the series, as stacked bars. */
const trendChart = (data: ReportData.ReportData): string => {
  const runs = data.trend
  const width = 640
  const height = 220
  const max = Math.max(1, Arrays.max(runs.map((r) => statuses.reduce((s, k) => s + r.byStatus[k], 0))))
  const bar = runs.length === 0 ? 0 : Math.min(60, (width - 60) / runs.length - 8)
  const bars = runs.map((r, i) => {
    let y = height - 30
    const x = 50 + i * (bar + 8)
    const rects = statuses.map((k) => {
      const h = (r.byStatus[k] / max) * (height - 50)
      y -= h
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${colours[k]}"><title>${escape(`${r.runId.slice(0, 8)} ${k}: ${r.byStatus[k]}`)}</title></rect>`
    }).join("")
    return `${rects}<text x="${(x + bar / 2).toFixed(1)}" y="${height - 12}" font-size="10" text-anchor="middle">${i + 1}</text>`
  }).join("")
  const legend = statuses.map((k, i) => `<rect x="${50 + i * 95}" y="2" width="10" height="10" fill="${colours[k]}"/><text x="${64 + i * 95}" y="11" font-size="11">${k}</text>`).join("")
  return `<svg id="trend" role="img" aria-label="Findings by status, rehearsal by rehearsal" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `${legend}<line x1="45" y1="${height - 30}" x2="${width}" y2="${height - 30}" stroke="#999"/>` +
    `<text x="40" y="${30}" font-size="10" text-anchor="end">${max}</text>${bars}</svg>`
}

const page = (title: string, body: string, payload: unknown) => `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escape(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.verdict { font-size: 1.2em; padding: .6em 1em; border-radius: 6px; background: #eef5ee; }
.verdict.worse { background: #fbeaea; } .verdict.first, .verdict.same { background: #eef2f8; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; } th, td { border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .failed { color: #c0392b; font-weight: bold; } .passed { color: #27ae60; }
input[type=search] { width: 24em; padding: 4px; } .status { font-weight: bold; } details { margin: .4em 0; }
.note { color: #666; font-size: .9em; }
</style>
</head>
<body>
${body}
<script type="application/json" id="report-data">${scriptJson(payload)}</script>
<script>
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const list = (holder, rows, columns, label, filters = []) => {
    // a drop-down list of the values of each filtered column (owner, status): all of them, or the one picked
    const selects = filters.map((c) => {
      const select = document.createElement("select");
      select.setAttribute("aria-label", c + " of " + label);
      select.dataset.filter = c;
      for (const v of ["", ...[...new Set(rows.map((r) => String(r[c] ?? "")))].sort()]) {
        const option = document.createElement("option");
        option.value = v;
        option.textContent = v === "" ? "every " + c : v;
        select.appendChild(option);
      }
      return select;
    });
    const input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Filter these " + label;
    input.setAttribute("aria-label", "Filter " + label);
    const count = document.createElement("span");
    count.className = "note";
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const c of columns) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
    const body = table.createTBody();
    const render = () => {
      const q = input.value.trim().toLowerCase();
      body.replaceChildren();
      let shown = 0;
      for (const r of rows) {
        if (q && !columns.some((c) => String(r[c] ?? "").toLowerCase().includes(q))) continue;
        if (selects.some((s) => s.value !== "" && String(r[s.dataset.filter] ?? "") !== s.value)) continue;
        shown++;
        const tr = body.insertRow();
        for (const c of columns) { const td = tr.insertCell(); td.textContent = r[c] ?? ""; if (c === "status") td.className = "status"; }
      }
      count.textContent = " " + shown + " of " + rows.length;
    };
    input.addEventListener("input", render);
    for (const s of selects) s.addEventListener("change", render);
    holder.append(...selects, input, count, table);
    render();
  };
  for (const holder of document.querySelectorAll("[data-check]")) {
    list(holder, (data.findings[holder.dataset.check] || { rows: [] }).rows, data.columns, "findings of " + holder.dataset.check);
  }
  for (const holder of document.querySelectorAll("[data-worklist]")) {
    const w = data.worklists[holder.dataset.worklist] || { rows: [], columns: [] };
    list(holder, w.rows, w.columns, "items of " + w.title, ["owner", "status"]);
  }
  for (const holder of document.querySelectorAll("[data-figures]")) list(holder, data.figures.rows, data.figures.columns, "figure lines");
})();
</script>
</body>
</html>
`

export interface Options {
  readonly owners: ReadonlyArray<Summary.Owner>
}

/** The findings of each check the page holds, at most; the workbook and CSV files hold all. */
export const findingsShown = 500

/** The figure lines the page holds, at most. */
export const figureLinesShown = 2_000

const partial = (held: number, total: number, what: string) =>
  held < total
    ? `<p class="note partial">showing ${held.toLocaleString("en-GB")} of ${total.toLocaleString("en-GB")} ${what} — the workbook and CSV files hold all</p>`
    : ""

/** The first rows of pages, at most `limit`. */
const first = async <A>(pages: AsyncIterable<ReadonlyArray<A>>, limit: number): Promise<ReadonlyArray<A>> => {
  const out: Array<A> = []
  if (limit <= 0) return out
  for await (const page of pages) {
    for (const a of page) {
      out.push(a)
      if (out.length >= limit) return out
    }
  }
  return out
}


/**
 * The HTML report: the counts of every check and the first findings of each (`findingsShown`), the total lines of
 * the headline figures and the first figure lines (`figureLinesShown`); a list holding fewer rows than there are
 * says so.
 */
export const render = async (
  data: ReportData.ReportData,
  gates: ReadonlyArray<GateResult>,
  options: Options & { readonly findingsShown?: number; readonly figureLinesShown?: number }
): Promise<string> => {
  const headline = Summary.headline(data)
  const checks = ReportData.checks(data)
  const perCheck = options.findingsShown ?? findingsShown
  const held: Array<readonly [string, { readonly rows: ReadonlyArray<FindingsLedger.LedgerFinding>; readonly total: number }]> = []
  for (const c of checks) {
    if (Worklists.ofCheck(c.check) !== undefined) continue
    held.push([c.check, { rows: await first(ReportData.findingsOf(data.pages.findings({ checks: [c.check], pageSize: Math.min(perCheck, ReportData.defaultPageSize) })), perCheck), total: c.total }])
  }
  const reconciliationChecks = checks.filter((c) => Worklists.ofCheck(c.check) === undefined).length
  const section = (check: string, list: { readonly rows: ReadonlyArray<unknown>; readonly total: number }, open: boolean) => {
    const counts = checks.find((c) => c.check === check)?.byStatus
    return `<details${open ? " open" : ""}><summary>${escape(check)}: ${list.total.toLocaleString("en-GB")}` +
      `${counts === undefined ? "" : ` (${statuses.map((s) => `${s} ${counts[s]}`).join(", ")})`}</summary>` +
      `${partial(list.rows.length, list.total, "findings")}<div data-check="${escape(check)}"></div></details>`
  }
  // each worklist's first items, with their owners, in the columns of its sheet but those a person fills in
  const worklists: Array<readonly [string, { readonly title: string; readonly columns: ReadonlyArray<string>; readonly rows: ReadonlyArray<Record<string, unknown>>; readonly total: number }]> = []
  for (const w of Worklists.worklists) {
    const header = Worklists.header(w)
    const shown = header.length - Worklists.decisionHeaders(w).length
    const rows = await first(Worklists.rows(data, w, options.owners), perCheck)
    worklists.push([w.id, {
      title: w.title,
      columns: header.slice(1, shown),
      rows: rows.map((r) => Object.fromEntries(header.slice(0, shown).map((h, i) => [h, r[i]]))),
      total: checks.find((c) => c.check === w.check)?.total ?? 0
    }])
  }
  const lineLimit = options.figureLinesShown ?? figureLinesShown
  const lines = await first(data.pages.figures({ pageSize: Math.min(Math.max(lineLimit, 1), ReportData.defaultPageSize) }), lineLimit)
  const money = data.figureTotals.filter((l) => l.dimension === Figure.total)
  const td = (v: string | number, numeric = false) => `<td${numeric ? " class=\"n\"" : ""}>${escape(String(v))}</td>`
  const body = [
    `<h1>Rehearsal ${escape(data.run.rehearsal)} — run ${escape(data.run.runId)}</h1>`,
    `<p class="note">${escape(data.run.pipeline)}, code ${escape(data.run.codeVersion)}, run ${escape(data.run.startedAt)} to ${escape(data.run.endedAt ?? "—")}; ` +
    `report made ${escape(data.generatedAt)}; personal data ${escape(data.reveal)}.</p>`,
    `<p class="verdict ${headline.verdict}" id="headline">${escape(headline.text)}</p>`,
    `<h2>Gates</h2><table id="gates"><tr><th>gate</th><th>result</th><th>detail</th></tr>` +
    gates.map((g) => `<tr>${td(g.gate)}<td class="${g.passed ? "passed" : "failed"}">${g.passed ? "passed" : "failed"}</td>${td(g.detail)}</tr>`).join("") + `</table>`,
    `<h2>Findings, rehearsal by rehearsal</h2>${trendChart(data)}`,
    `<h2>Money and headline figures</h2><p class="note">Expected = legacy − quarantined or excluded + changed by named rules. A variance is what no rule explains.</p>` +
    `<table id="figures"><tr><th>figure</th><th>measure</th><th>legacy</th><th>excluded</th><th>explained</th><th>expected</th><th>target</th><th>variance</th></tr>` +
    money.map((l) =>
      `<tr>${td(l.figure)}${td(l.measure)}${[l.source, l.excluded, l.explained, l.expected, l.target].map((v) => td(Figure.format(l.unit, v), true)).join("")}` +
      `<td class="n ${l.variance === 0 ? "passed" : "failed"}">${escape(Figure.format(l.unit, l.variance))}</td></tr>`
    ).join("") + `</table>`,
    ...options.owners.map((owner) => `<h2>${escape(owner.name)}</h2>${Summary.ownerSection(data, owner).map((p) => `<p>${escape(p)}</p>`).join("")}`),
    `<h2>Records per entity</h2><table id="entities"><tr><th>entity</th><th>read</th><th>migrated</th><th>merged</th><th>quarantined</th><th>excluded</th><th>conservation</th></tr>` +
    data.entities.map((e) => `<tr>${td(e.entity)}${[e.read, e.loaded, e.merged, e.quarantined, e.excluded].map((v) => td(v.toLocaleString("en-GB"), true)).join("")}` +
      `<td class="${e.conserved ? "passed" : "failed"}">${e.conserved ? "holds" : "broken"}</td></tr>`).join("") + `</table>`,
    `<h2>Findings by check</h2>`,
    ...held.map(([check, list]) => section(check, list, reconciliationChecks <= 3)),
    `<h2>Worklists</h2><p class="note">What the migration held back, flagged, could not map or could not tell apart: for data owners to act on ` +
    `in the workbook, where each has its decision columns.</p>`,
    ...Worklists.worklists.map((w) => {
      const list = worklists.find(([id]) => id === w.id)![1]
      const counts = checks.find((c) => c.check === w.check)?.byStatus
      return `<details><summary>${escape(w.title)}: ${list.total.toLocaleString("en-GB")}` +
        `${counts === undefined ? "" : ` (${statuses.map((st) => `${st} ${counts[st]}`).join(", ")})`}</summary>` +
        `<p class="note">${escape(w.description)}; decide in the workbook's ${escape(w.title)} sheet.</p>` +
        `${partial(list.rows.length, list.total, "items")}<div data-worklist="${escape(w.id)}"></div></details>`
    }),
    `<h2>Figure lines</h2><p class="note">Every headline figure by each of its dimensions.</p>` +
    `<details${data.figureLines <= 50 ? " open" : ""}><summary>${data.figureLines.toLocaleString("en-GB")} lines</summary>` +
    `${partial(lines.length, data.figureLines, "figure lines")}<div data-figures="all"></div></details>`
  ].join("\n")
  const payload = {
    columns: findingColumns.filter((c) => c !== "fingerprint"),
    findings: Object.fromEntries(held),
    worklists: Object.fromEntries(worklists),
    figures: {
      columns: [...figureColumns.filter((c) => c !== "unit")],
      rows: lines.map((l) => ({
        figure: l.figure,
        dimension: l.dimension,
        value: l.value,
        measure: l.measure,
        ...Object.fromEntries((["source", "excluded", "explained", "expected", "target", "variance"] as const).map((k) => [k, Figure.format(l.unit, l[k])]))
      })),
      total: data.figureLines
    }
  }
  return page(`Handover rehearsal ${data.run.rehearsal}`, body, payload)
}
