/** EventBridge: PutEvents onto the account's event log, entry by entry. */
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type PutEventsEntry, putEventsEntryFailure, putEventsViolation } from '../limits.ts';
import type { AccountModel } from '../model.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

interface PutEventsInput {
  Entries?: PutEventsEntry[];
}

function putEvents(m: AccountModel, input: PutEventsInput) {
  const entries = input.Entries ?? [];
  const invalid = putEventsViolation(entries, m.region);
  if (invalid) throw new EventBridgeServiceException({ ...invalid, $fault: 'client', ...errorMeta(400) });
  // Each entry succeeds or fails on its own; the request succeeds and counts the failed ones.
  const results = entries.map((entry) => {
    const failure = putEventsEntryFailure(entry);
    if (failure) return failure;
    m.events.push({
      at: new Date(m.now).toISOString(),
      source: entry.Source ?? '',
      detailType: entry.DetailType ?? '',
      bus: entry.EventBusName ?? 'default',
      detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
    });
    return { EventId: `event-${m.events.length}` };
  });
  return { ...META, FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
}

export function installEventBridge({ model: m, stubs, route }: ServiceSetup): void {
  const events = stubs.stub(EventBridgeClient);
  events.on(PutEventsCommand).callsFake(route('events', 'PutEvents', (input: PutEventsInput) => putEvents(m, input)));
}
