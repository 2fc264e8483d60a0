/**
 * The start of a deployment, announced once by Prepare: the first phase that
 * changes anything. By then Initialize holds the lock and wrote the record,
 * and Validate has passed: the image is resolved (its digest, and the tag a
 * rollback by redeployment brings back), the strategy is the one in force,
 * and nothing refused the deployment. Announcing earlier (at Initialize)
 * would tell of a start that a typo in the tag or an alarm already firing
 * turns into a rejection seconds later; a rejected deployment is announced by
 * its outcome alone. A dry run stops after Validate and announces nothing.
 *
 * At most once: the record's `announcedStart` flag is set by a conditional
 * update before the message goes out, so a retried Prepare says nothing
 * again (a Prepare that dies between the two loses the message, which is
 * better than repeating it at every retry).
 */
import { executionConsoleUrl } from '../names.ts';
import { claimStartAnnouncement } from '../records/deployment.ts';
import type { ValidatedState } from '../stages.ts';
import { describeStrategy } from '../strategy.ts';
import { nowIso } from '../time.ts';
import { formatDuration, notifyStart, type StartAnnouncement } from './notify.ts';

export function startAnnouncement(state: ValidatedState): StartAnnouncement {
  const { request } = state;
  return {
    service: state.service.name,
    deploymentId: state.deploymentId,
    image: state.image.tag ?? request.pushedTag ?? state.image.digest,
    strategy: describeStrategy(state.strategy, formatDuration),
    bakeSeconds: state.bakeSeconds,
    approval: state.approval.required,
    from: state.live.serviceName,
    to: state.idle.serviceName,
    consoleUrl: executionConsoleUrl(state.executionArn, state.executionArn.split(':')[3] ?? ''),
    trigger: request.trigger,
    requestedBy: request.requestedBy,
    requestReason: request.reason,
    restores: state.restore?.deploymentId,
    release: state.releaseId,
  };
}

export async function announceStart(state: ValidatedState): Promise<void> {
  if (state.request.dryRun) return;
  if (!(await claimStartAnnouncement(state.deploymentId, state, nowIso()))) return;
  await notifyStart(startAnnouncement(state));
}
