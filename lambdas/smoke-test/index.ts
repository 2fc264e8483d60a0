/**
 * smoke test: HTTP checks of the new colour through the test listener, which
 * deploy pointed at it, before any production weight moves (like CodeDeploy's
 * AfterAllowTestTraffic). Each configured path must answer the expected status
 * within the latency budget, and match the body pattern if one is set.
 *
 * One attempt per invocation, and nothing but HTTP: with pipeline.network the
 * function runs in a VPC that may have no route to any AWS API, so it calls
 * none (no record, no lease, no event). Its result goes to $.smoke, where
 * record-smoke-test records the attempt, fails the deployment after the last
 * failed attempt, or has the state machine try again.
 */
import type { SmokeTest } from '../shared/config-schema.ts';
import type { SmokeCheck, SmokeRun } from '../shared/contract.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { DeploymentStateSchema } from '../shared/stages.ts';
import { nowIso } from '../shared/time.ts';

/** How much of a failing response body goes into the evidence. */
const BODY_EVIDENCE_CHARS = 200;

export async function check(smoke: SmokeTest, path: string): Promise<SmokeCheck> {
  const url = new URL(path, smoke.baseUrl).toString();
  const started = performance.now();
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(Math.max(smoke.maxLatencyMs * 3, 3000)) });
    status = response.status;
    body = await response.text();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { url, ok: false, summary: `GET ${url} failed after ${Math.round(performance.now() - started)} ms (${reason})` };
  }
  const ms = Math.round(performance.now() - started);
  const problems: string[] = [];
  if (status !== smoke.expectedStatus) problems.push(`status ${status}, expected ${smoke.expectedStatus}`);
  if (ms > smoke.maxLatencyMs) problems.push(`${ms} ms, over the ${smoke.maxLatencyMs} ms budget`);
  if (smoke.bodyMatch && !new RegExp(smoke.bodyMatch).test(body)) problems.push(`body does not match /${smoke.bodyMatch}/`);
  const excerpt = body.replace(/\s+/g, ' ').slice(0, BODY_EVIDENCE_CHARS);
  return {
    url,
    ok: problems.length === 0,
    summary: `GET ${url} -> ${status} in ${ms} ms${problems.length ? ` (${problems.join('; ')}); body: ${excerpt}` : ''}`,
  };
}

export const handler = definePhase(
  'smokeTest',
  DeploymentStateSchema,
  async (state): Promise<SmokeRun> => {
    const attempt = (state.smoke?.attempt ?? 0) + 1;
    const startedAt = nowIso();
    const smoke = state.service.smokeTest;
    const checks = smoke ? await Promise.all(smoke.paths.map((path) => check(smoke, path))) : [];
    for (const result of checks) logger.info('smoke check', { url: result.url, ok: result.ok, summary: result.summary });
    return { attempt, passed: checks.every((result) => result.ok), startedAt, endedAt: nowIso(), checks };
  },
  // Recorded by record-smoke-test, which runs outside the VPC.
  { track: false },
);
