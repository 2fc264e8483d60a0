/** The report's text sections: the header's facts, the bad signal and rollback, the weights, the gate checks, the plan, the evidence. */
import { executionConsoleUrl } from '../../lambdas/shared/names.ts';
import { describeScaling } from '../../lambdas/shared/scaling/snapshot.ts';
import { formatDuration, secondsBetween } from '../output.ts';
import type { DeploymentView } from '../views.ts';
import { escapeHtml } from './escape.ts';
import type { GateCheck, StateVisit } from './timeline.ts';
import type { WeightHistory } from './weights.ts';

/** A time as the report prints it: the date and the time of day, in UTC. */
export function utc(at: Date | string): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, className = ''): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

/** The region of an execution ARN (arn:aws:states:<region>:...). */
function regionOf(executionArn: string): string | undefined {
  return executionArn.split(':')[3] || undefined;
}

/** The facts of the deployment, each a term and its value; absent fields are left out. */
export function facts(record: DeploymentView): string {
  const image = [record.imageTag, record.imageDigest].filter(Boolean).join(' ');
  const took = record.endedAt ? ` (${formatDuration(secondsBetween(record.startedAt, record.endedAt))})` : '';
  const colours = record.liveColour && record.targetColour ? `${record.liveColour} (old) -> ${record.targetColour} (new)` : undefined;
  const entries: Array<[string, string | undefined]> = [
    ['image', image || undefined],
    ['status', record.status],
    ['trigger', record.trigger],
    ['requested by', record.requestedBy],
    ['reason', record.reason],
    ['strategy', record.plan?.strategy ?? record.strategy],
    ['colours', colours],
    ['started', utc(record.startedAt)],
    ['ended', record.endedAt ? `${utc(record.endedAt)}${took}` : 'still running'],
    ['restores', record.restores],
    ['release', record.release],
    ['outcome', record.outcomeReason],
  ];
  const rows = entries
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd class="${term.replace(' ', '-')}">${escapeHtml(value)}</dd>`);
  const region = regionOf(record.executionArn);
  const execution = region
    ? `<a href="${escapeHtml(executionConsoleUrl(record.executionArn, region))}">${escapeHtml(record.executionArn)}</a>`
    : escapeHtml(record.executionArn);
  rows.push(`<dt>execution</dt><dd class="execution">${execution}</dd>`);
  return `<dl class="facts">\n${rows.join('\n')}\n</dl>`;
}

/** Where it went wrong and what the rollback did; for a deployment that went well, that nothing did. */
export function signalSection(record: DeploymentView, failure: StateVisit | undefined, weights: WeightHistory): string {
  const lines: string[] = [];
  if (failure?.failure) {
    lines.push(
      `<p class="signal">At ${escapeHtml(utc(failure.failure.at))} in <strong>${escapeHtml(failure.name)}</strong>: ${escapeHtml(failure.failure.error)}</p>`,
    );
  } else if (record.failedPhase) {
    lines.push(`<p class="signal">In <strong>${escapeHtml(record.failedPhase)}</strong> (its time is not in the execution history)</p>`);
  } else {
    lines.push('<p class="signal">None: no state failed.</p>');
  }
  if (record.status !== 'SUCCEEDED' && record.outcomeReason) lines.push(`<p class="reason">${escapeHtml(record.outcomeReason)}</p>`);
  const rollback = weights.rollback;
  if (rollback) {
    const back = record.liveColour ? `traffic back to 100 % ${record.liveColour}` : 'traffic back on the old colour';
    lines.push(
      `<p class="rollback">Rollback at ${escapeHtml(utc(rollback.at))}: ${escapeHtml(rollback.moved ? back : 'no production traffic had moved')}.</p>`,
    );
  }
  return section('signal', 'First bad signal and rollback', lines.join('\n'));
}

const SOURCES: Record<WeightHistory['source'], string> = {
  record: "From the record's weight changes, written at each production write (a listener's weights, a worker's desired counts).",
  history:
    "Read from the execution history's Shift traffic and Roll back outputs: this record predates the weight history (times are when those states ended).",
  none: 'No weight history recorded: the record has no weight changes and the execution history shows no traffic shift.',
};

export function weightsSection(weights: WeightHistory): string {
  const rows = weights.points.map((point) => [
    utc(point.at),
    `${point.blue} %`,
    `${point.green} %`,
    point.phase === 'before' ? 'before the deployment' : point.phase,
    point.step !== undefined ? `${point.step}${point.of !== undefined ? `/${point.of}` : ''}` : '',
  ]);
  const body = rows.length ? table(['time', 'blue', 'green', 'written by', 'step'], rows, 'weights') : '';
  return section('weights', 'Traffic weights', `<p class="source">${escapeHtml(SOURCES[weights.source])}</p>\n${body}`);
}

export function gatesSection(gates: readonly GateCheck[]): string {
  const failed = gates.filter((gate) => gate.error);
  const summary = `<p>${gates.length} gate check${gates.length === 1 ? '' : 's'} (Verify new colour, Shift traffic, Check bake, Check before retiring old colour), ${failed.length} failed.</p>`;
  const rows = failed.map((gate) => [utc(gate.at), gate.state, gate.error ?? '']);
  return section('gates', 'Gate checks', `${summary}\n${rows.length ? table(['time', 'state', 'failed with'], rows, 'gates') : ''}`);
}

export function planSection(record: DeploymentView): string {
  const plan = record.plan;
  if (!plan) {
    const text = record.strategy
      ? `Strategy ${record.strategy}; its steps are not recorded (this record predates the plan).`
      : 'No strategy plan recorded.';
    return section('plan', 'Strategy plan', `<p>${escapeHtml(text)}</p>`);
  }
  const rows = plan.steps.map((step, index) => [String(index + 1), `${step.weight} %`, `${step.pauseSeconds} s`]);
  const body = [
    `<p>${escapeHtml(`${plan.strategy}: ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, then a ${plan.bakeSeconds} s bake; gates checked every ${plan.gateIntervalSeconds} s.`)}</p>`,
    table(['step', 'weight on the new colour', 'pause after'], rows, 'plan'),
  ];
  return section('plan', 'Strategy plan', body.join('\n'));
}

/** The analysis of each traffic step (services[].analysis): the new colour against the old, with the tests' numbers. */
export function analysisSection(record: DeploymentView): string {
  const analyses = record.analyses ?? [];
  if (analyses.length === 0) return '';
  const percent = (rate: number | undefined) => (rate === undefined ? '' : `${(rate * 100).toFixed(2)} %`);
  const rows = analyses.map((entry) => [
    `${entry.step}`,
    `${entry.weight} %`,
    entry.verdict,
    `${entry.newRequests} / ${entry.oldRequests}`,
    `${percent(entry.errorRate?.newRate)} / ${percent(entry.errorRate?.oldRate)}`,
    entry.errorRate ? entry.errorRate.pValue.toPrecision(3) : '',
    entry.latency ? `${entry.latency.percentile}: ${entry.latency.pValue.toPrecision(3)}` : '',
  ]);
  const body = [
    "<p>The new colour against the old one over the same minutes of each step, at the step's end (one-sided tests: p below 1 − confidence calls the new colour worse).</p>",
    table(['step', 'weight', 'verdict', 'requests new / old', '5xx new / old', '5xx p', 'latency p'], rows, 'analysis'),
  ];
  return section('analysis', 'The new colour judged against the old', body.join('\n'));
}

/** The colours' scaling (services[].autoscaling): each colour before and after, and every change the deployment made. */
export function scalingSection(record: DeploymentView): string {
  const scaling = record.scaling;
  if (!scaling) return '';
  const rows = (['blue', 'green'] as const).map((colour) => [
    colour,
    describeScaling(scaling.before[colour]),
    scaling.after ? describeScaling(scaling.after[colour]) : 'not read (the deployment has not ended)',
  ]);
  const changes = scaling.changes.length
    ? `<ol class="scaling-changes">\n${scaling.changes.map((change) => `<li>${escapeHtml(change)}</li>`).join('\n')}\n</ol>`
    : '<p>No scaling changed.</p>';
  return section('scaling', "The colours' scaling", [table(['colour', 'before', 'after'], rows, 'scaling'), changes].join('\n'));
}

export function evidenceSection(record: DeploymentView): string {
  const list = (items: readonly string[], className: string) =>
    `<ul class="${className}">\n${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('\n')}\n</ul>`;
  const evidence = record.evidence ?? [];
  const warnings = record.warnings ?? [];
  const body = [
    evidence.length ? list(evidence, 'evidence') : '<p>No evidence recorded.</p>',
    ...(warnings.length ? ['<h3>Warnings</h3>', list(warnings, 'warnings')] : []),
  ];
  return section('evidence', 'Evidence', body.join('\n'));
}
