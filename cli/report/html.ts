/**
 * `baton report`'s page: one self-contained HTML document (inline CSS and
 * SVG, no script, nothing fetched; its Content-Security-Policy forbids
 * loading anything) from a deployment record and its execution's history.
 */
import type { DeploymentView } from '../views.ts';
import { escapeHtml } from './escape.ts';
import {
  analysisSection,
  evidenceSection,
  facts,
  gatesSection,
  planSection,
  scalingSection,
  signalSection,
  weightsSection,
} from './sections.ts';
import { timelineSvg } from './svg.ts';
import { firstFailure, gateChecks, type ReportEvent, readTimeline } from './timeline.ts';
import { weightHistory } from './weights.ts';

export interface ReportInput {
  /** The record as the CLI shows it (views.ts): never the approval task token. */
  readonly record: DeploymentView;
  /** The execution's history events, oldest first; none when it could not be read. */
  readonly events: readonly ReportEvent[];
  /** Why the history is missing (Step Functions keeps it 90 days, records are kept 400). */
  readonly historyMissing?: string;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; background: #57606a; }
.badge.SUCCEEDED { background: #1a7f37; } .badge.ROLLED_BACK, .badge.ROLLBACK_FAILED { background: #cf222e; } .badge.IN_PROGRESS { background: #0969da; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d0d7de; padding: 3px 10px; text-align: left; }
th { background: #f6f8fa; }
.signal strong { color: #cf222e; } .rollback { color: #cf222e; font-weight: 600; } .note, .missing { color: #57606a; }
svg.timeline { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
svg .tick { fill: #57606a; } svg .label { fill: #1f2328; } svg .label.failed { fill: #cf222e; font-weight: bold; }
svg .legend { font-size: 12px; fill: #1f2328; } svg .note { font-size: 13px; fill: #57606a; }
footer { margin-top: 32px; color: #57606a; font-size: 12px; }
`;

/** Forbids the page any load (scripts, styles, images, fonts, frames, connections) but its own inline style. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/** The span the chart draws: from the earliest to the latest time the record, the history and the weights know, and a little more. */
function span(record: DeploymentView, times: readonly Date[]): { start: Date; end: Date } {
  const all = [new Date(record.startedAt), ...(record.endedAt ? [new Date(record.endedAt)] : []), ...times].map((at) => at.getTime());
  const [first, last] = [Math.min(...all), Math.max(...all)];
  // A little room after the end, so that what happened last (the rollback, often) is not drawn on the edge.
  return { start: new Date(first), end: new Date(last + Math.max(1000, Math.round((last - first) * 0.04))) };
}

export function renderReport(input: ReportInput): string {
  const { record } = input;
  const timeline = readTimeline(input.events);
  const weights = weightHistory(record, timeline);
  const gates = gateChecks(timeline);
  const failure = firstFailure(timeline, record.failedPhase);
  const { start, end } = span(record, [
    ...(timeline.start ? [timeline.start] : []),
    ...(timeline.end ? [timeline.end] : []),
    ...weights.points.map((point) => point.at),
  ]);
  const svg = timelineSvg({
    start,
    end,
    weights,
    visits: timeline.visits,
    gates,
    ...(failure?.failure ? { badSignal: { at: failure.failure.at, state: failure.name, error: failure.failure.error } } : {}),
    ...(record.liveColour ? { liveColour: record.liveColour } : {}),
    ...(record.targetColour ? { targetColour: record.targetColour } : {}),
  });
  const missing = input.historyMissing
    ? `<p class="missing">The execution history is not in this report: ${escapeHtml(input.historyMissing)}. The states, gate checks and the time of the bad signal come from it.</p>`
    : '';
  const heading = `${record.service} ${record.deploymentId}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`baton report: ${heading} ${record.status}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(heading)} <span class="badge ${escapeHtml(record.status)}">${escapeHtml(record.status)}</span></h1>
${facts(record)}
</header>
<section id="timeline"><h2>Timeline</h2>
<p class="note">Times in UTC. Hover a bar, a tick or a marker for its details.</p>
${missing}
${svg}
</section>
${signalSection(record, failure, weights)}
${weightsSection(weights)}
${gatesSection(gates)}
${analysisSection(record)}
${scalingSection(record)}
${planSection(record)}
${evidenceSection(record)}
<footer>Written by <code>baton report</code> from the deployment record and the execution history. The page loads nothing: it works offline.</footer>
</body>
</html>
`;
}
