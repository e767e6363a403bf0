/**
 * Reports of a rehearsal for data owners and CI: HTML, XLSX, CSV, JSON, Markdown and JUnit XML, personal data masked
 * by default, and the gates that decide whether a rehearsal passed.
 */
export * as Formats from "./Formats.ts"
export * as Gates from "./Gates.ts"
export * as Html from "./Html.ts"
export * as Masking from "./Masking.ts"
export * as ReportData from "./ReportData.ts"
export * as Reports from "./Reports.ts"
export * as Sink from "./Sink.ts"
export * as Summary from "./Summary.ts"
export * as Xlsx from "./Xlsx.ts"
export * as Worklists from "./Worklists.ts"
export * as DecisionSheets from "./DecisionSheets.ts"
