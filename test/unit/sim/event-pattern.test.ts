/**
 * EventBridge event-pattern matching as the simulation delivers the signal
 * rules' events (sim/event-pattern.ts): every field of the pattern must match,
 * an array lists the values a field may have, an object matches field by
 * field; content filters are refused rather than matched wrongly.
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../sim/event-pattern.ts';

/** The task rule's pattern as the template carries it (lib/constructs/signal-rules.ts). */
const TASK_RULE = {
  source: ['aws.ecs'],
  'detail-type': ['ECS Task State Change'],
  detail: {
    clusterArn: ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod'],
    lastStatus: ['STOPPED'],
    group: ['service:web-blue', 'service:web-green'],
  },
};

function taskEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    source: 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    account: '123456789012',
    region: 'eu-west-1',
    resources: ['arn:aws:ecs:eu-west-1:123456789012:task/prod/0f9e8d7c6b5a49382716'],
    detail: {
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      group: 'service:web-green',
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      ...detail,
    },
  };
}

describe('matchesPattern', () => {
  it('matches an event whose every patterned field has one of the listed values, whatever its other fields', () => {
    expect(matchesPattern(TASK_RULE, taskEvent())).toBe(true);
    expect(matchesPattern(TASK_RULE, taskEvent({ group: 'service:web-blue' }))).toBe(true);
  });

  it.each([
    ['a value the list does not have', taskEvent({ lastStatus: 'RUNNING' })],
    ['a nested field missing', taskEvent({ group: undefined })],
    ['another source', { ...taskEvent(), source: 'aws.cloudwatch' }],
    ['no detail at all', { source: 'aws.ecs', 'detail-type': 'ECS Task State Change' }],
    ['a detail that is not an object', { ...taskEvent(), detail: 'STOPPED' }],
  ])('does not match an event with %s', (_name, event) => {
    expect(matchesPattern(TASK_RULE, event)).toBe(false);
  });

  it('does not match what is not an object', () => {
    expect(matchesPattern(TASK_RULE, undefined)).toBe(false);
    expect(matchesPattern(TASK_RULE, null)).toBe(false);
    expect(matchesPattern(TASK_RULE, 'aws.ecs')).toBe(false);
  });

  it('matches a field whose value is an array when any of its elements is listed (as EventBridge does with resources)', () => {
    const pattern = { resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx-rate'] };

    expect(
      matchesPattern(pattern, {
        resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-p99-latency', pattern.resources[0]],
      }),
    ).toBe(true);
    expect(matchesPattern(pattern, { resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-p99-latency'] })).toBe(false);
  });

  it('matches the alarm rule: an alarm of the list, in ALARM, two levels down', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['web-5xx-rate', 'web-p99-latency'], state: { value: ['ALARM'] } },
    };
    const event = (alarmName: string, value: string) => ({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName, state: { value, reason: 'Threshold Crossed' }, previousState: { value: 'OK' } },
    });

    expect(matchesPattern(pattern, event('web-p99-latency', 'ALARM'))).toBe(true);
    expect(matchesPattern(pattern, event('web-p99-latency', 'OK'))).toBe(false);
    expect(matchesPattern(pattern, event('api-5xx-rate', 'ALARM'))).toBe(false);
  });

  it.each([
    ['prefix', { group: [{ prefix: 'service:' }] }, '{"prefix":"service:"}'],
    ['anything-but', { group: [{ 'anything-but': 'service:web-blue' }] }, '{"anything-but":"service:web-blue"}'],
    ['exists', { group: [{ exists: true }] }, '{"exists":true}'],
  ])('refuses a content filter (%s) rather than match it wrongly', (_name, detail, filter) => {
    expect(() => matchesPattern({ source: ['aws.ecs'], detail }, taskEvent())).toThrow(
      `event pattern field "group": content filters are not modelled by the simulation ([${filter}])`,
    );
  });

  it('refuses a pattern field that is neither an array nor an object', () => {
    expect(() => matchesPattern({ source: 'aws.ecs' }, taskEvent())).toThrow(
      'event pattern field "source" must be an array or an object, not "aws.ecs"',
    );
  });
});
