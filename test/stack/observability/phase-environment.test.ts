/**
 * What the phase functions of the synthesized stack for the example config
 * find in their environment to publish metrics, events and outcomes, and
 * that the chat webhook URL stays out of the template. One synthesis
 * (without bundling).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASE_NAMES, type PhaseName } from '../../../lib/constructs/phases.ts';
import { ROOT } from '../../support/config.ts';
import { NOTIFYING_PHASES, synthExample, WEBHOOK_SECRET_ARN } from '../../support/example.ts';
import type { Synthesis } from '../../support/synth.ts';
import { environmentOf } from '../../support/template.ts';

/** Every phase function of the stack. */
const ALL_PHASES: readonly PhaseName[] = PHASE_NAMES;

/** The webhook URL the example account file stores in the chat webhook secret. */
function exampleWebhookUrl(): string {
  const account = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as {
    secretsManager: { secrets: Record<string, { versions: Array<{ value: { url: string } }> }> };
  };
  const url = account.secretsManager.secrets[WEBHOOK_SECRET_ARN]?.versions[0]?.value.url;
  if (!url) throw new Error('the example account has no chat webhook URL');
  return url;
}

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;
  let topic: string;

  beforeAll(() => {
    ({ synthesis, topic } = synthExample());
  });

  describe('phase environment', () => {
    it.each(ALL_PHASES)('gives %s the metrics namespace and the default event bus', (phase) => {
      // Act
      const environment = environmentOf(synthesis, phase);

      // Assert
      expect(environment).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Baton', BATON_EVENT_BUS_NAME: 'default' });
    });

    it.each(NOTIFYING_PHASES)('gives %s the topic and the ARN of the chat webhook secret', (phase) => {
      // Act
      const environment = environmentOf(synthesis, phase);

      // Assert
      expect(environment).toMatchObject({ BATON_TOPIC_ARN: { Ref: topic }, BATON_CHAT_WEBHOOK_SECRET_ARN: WEBHOOK_SECRET_ARN });
    });

    it('gives the topic and the webhook secret to no other phase', () => {
      // Act
      const others = ALL_PHASES.filter((phase) => !NOTIFYING_PHASES.includes(phase)).filter((phase) => {
        const environment = environmentOf(synthesis, phase);
        return 'BATON_TOPIC_ARN' in environment || 'BATON_CHAT_WEBHOOK_SECRET_ARN' in environment;
      });

      // Assert
      expect(others).toEqual([]);
    });

    it('gives only requestApproval the approval timeout', () => {
      // Act
      const withTimeout = ALL_PHASES.filter((phase) => 'BATON_APPROVAL_TIMEOUT_SECONDS' in environmentOf(synthesis, phase));

      // Assert
      expect(withTimeout).toEqual(['requestApproval']);
      expect(environmentOf(synthesis, 'requestApproval').BATON_APPROVAL_TIMEOUT_SECONDS).toBe('3600');
    });

    it('never puts the webhook URL into the template or the cloud assembly, only the secret ARN', () => {
      // Arrange
      const url = exampleWebhookUrl();
      const assembly = readdirSync(synthesis.outdir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
        .join('\n');

      // Act
      const template = JSON.stringify(synthesis.template.toJSON());

      // Assert
      expect(url).toContain('hooks.chat.example.com');
      expect(template).toContain(WEBHOOK_SECRET_ARN);
      expect(template).not.toContain('hooks.chat.example.com');
      expect(template).not.toContain(url);
      expect(assembly).not.toContain('hooks.chat.example.com');
    });
  });
});
