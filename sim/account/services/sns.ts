/** SNS: Publish onto the account's notification log. */
import { PublishCommand, SNSClient, InvalidParameterException as SnsInvalidParameterException } from '@aws-sdk/client-sns';
import { publishViolation } from '../limits.ts';
import type { AccountModel } from '../model.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

interface PublishInput {
  TopicArn?: string;
  Subject?: string;
  Message?: string;
}

function publish(m: AccountModel, input: PublishInput) {
  if (!input.TopicArn || !input.Message) throw new Error('Publish needs TopicArn and Message');
  const invalid = publishViolation(input);
  if (invalid) throw new SnsInvalidParameterException({ message: invalid.message, ...errorMeta(400) });
  m.notifications.push({
    at: new Date(m.now).toISOString(),
    topicArn: input.TopicArn,
    subject: input.Subject ?? '',
    message: input.Message,
  });
  return { ...META, MessageId: `message-${m.notifications.length}` };
}

export function installSns({ model: m, stubs, route }: ServiceSetup): void {
  const sns = stubs.stub(SNSClient);
  sns.on(PublishCommand).callsFake(route('sns', 'Publish', (input: PublishInput) => publish(m, input)));
}
