/** Step Functions: the SFN API over the simulation's backend (sim/stepfunctions/backend.ts: it runs the executions). */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { LIVE_ALIAS } from '../../../lambdas/shared/names.ts';
import { executionArnOf } from '../execution-names.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

/** An execution as the simulated Step Functions service reports it. */
export interface SfnExecutionView {
  readonly name: string;
  readonly arn: string;
  readonly status: string;
  readonly input: unknown;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** The execution history in the shape of GetExecutionHistory. */
  readonly history?: () => Array<Record<string, unknown>>;
}

/** The Step Functions service behind the SFN client (sim/stepfunctions/backend.ts). */
export interface SfnBackend {
  readonly stateMachineArn: string;
  readonly executions: ReadonlyMap<string, SfnExecutionView>;
  startExecution(name: string, input: unknown): SfnExecutionView;
  stopExecution(name: string, reason?: { readonly error?: string; readonly cause?: string }): boolean;
  sendTaskSuccess(token: string, output: unknown): void;
  sendTaskFailure(token: string, error: string, cause: string): void;
}

function executionNamed(sfn: SfnBackend, arn: string | undefined): SfnExecutionView {
  const name = arn?.split(':').pop() ?? '';
  const execution = sfn.executions.get(name);
  if (!execution || arn !== execution.arn)
    throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, ...errorMeta(400) });
  return execution;
}

function startExecution(sfn: SfnBackend, input: { stateMachineArn?: string; name?: string; input?: string }) {
  // The alias (names.ts) points at the newest version, which is the latest revision: both run what was deployed last.
  if (input.stateMachineArn !== sfn.stateMachineArn && input.stateMachineArn !== `${sfn.stateMachineArn}:${LIVE_ALIAS}`) {
    throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${input.stateMachineArn}'`, ...errorMeta(400) });
  }
  const name = input.name ?? `sim-${sfn.executions.size + 1}`;
  // Step Functions names the execution by its ARN.
  if (sfn.executions.has(name)) {
    throw new ExecutionAlreadyExists({
      message: `Execution Already Exists: '${executionArnOf(sfn.stateMachineArn, name)}'`,
      ...errorMeta(400),
    });
  }
  const execution = sfn.startExecution(name, JSON.parse(input.input ?? '{}'));
  return { ...META, executionArn: execution.arn, startDate: new Date(execution.startDate) };
}

function view(execution: SfnExecutionView, stateMachineArn: string) {
  return {
    executionArn: execution.arn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    ...(execution.stopDate ? { stopDate: new Date(execution.stopDate) } : {}),
  };
}

function describeExecution(sfn: SfnBackend, input: { executionArn?: string }) {
  const execution = executionNamed(sfn, input.executionArn);
  return {
    ...META,
    ...view(execution, sfn.stateMachineArn),
    input: JSON.stringify(execution.input),
    ...(execution.output !== undefined ? { output: JSON.stringify(execution.output) } : {}),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
}

function listExecutions(sfn: SfnBackend, input: { statusFilter?: string; maxResults?: number }) {
  const executions = [...sfn.executions.values()]
    .filter((e) => !input.statusFilter || e.status === input.statusFilter)
    .sort((a, b) => b.startDate - a.startDate)
    .slice(0, input.maxResults ?? 100)
    .map((e) => view(e, sfn.stateMachineArn));
  return { ...META, executions };
}

function stopExecution(sfn: SfnBackend, input: { executionArn?: string; error?: string; cause?: string }) {
  const execution = executionNamed(sfn, input.executionArn);
  sfn.stopExecution(execution.name, { ...(input.error ? { error: input.error } : {}), ...(input.cause ? { cause: input.cause } : {}) });
  return { ...META, stopDate: new Date() };
}

function taskAnswer(answer: () => void) {
  try {
    answer();
  } catch (error) {
    if (error instanceof Error && error.name === 'TaskDoesNotExist')
      throw new TaskDoesNotExist({ message: 'Task Does Not Exist', ...errorMeta(400) });
    throw error;
  }
  return { ...META };
}

export function installStepFunctions({ stubs, route }: ServiceSetup, backend: () => SfnBackend): void {
  const sfn = stubs.stub(SFNClient);
  sfn
    .on(StartExecutionCommand)
    .callsFake(
      route('sfn', 'StartExecution', (input: { stateMachineArn?: string; name?: string; input?: string }) =>
        startExecution(backend(), input),
      ),
    );
  sfn
    .on(DescribeExecutionCommand)
    .callsFake(route('sfn', 'DescribeExecution', (input: { executionArn?: string }) => describeExecution(backend(), input)));
  sfn.on(GetExecutionHistoryCommand).callsFake(
    route('sfn', 'GetExecutionHistory', (input: { executionArn?: string; reverseOrder?: boolean }) => {
      const events = executionNamed(backend(), input.executionArn).history?.() ?? [];
      return { ...META, events: input.reverseOrder ? [...events].reverse() : events };
    }),
  );
  sfn
    .on(ListExecutionsCommand)
    .callsFake(route('sfn', 'ListExecutions', (input: { statusFilter?: string; maxResults?: number }) => listExecutions(backend(), input)));
  sfn
    .on(StopExecutionCommand)
    .callsFake(
      route('sfn', 'StopExecution', (input: { executionArn?: string; error?: string; cause?: string }) => stopExecution(backend(), input)),
    );
  sfn
    .on(SendTaskSuccessCommand)
    .callsFake(
      route('sfn', 'SendTaskSuccess', (input: { taskToken?: string; output?: string }) =>
        taskAnswer(() => backend().sendTaskSuccess(input.taskToken ?? '', JSON.parse(input.output ?? '{}'))),
      ),
    );
  sfn
    .on(SendTaskFailureCommand)
    .callsFake(
      route('sfn', 'SendTaskFailure', (input: { taskToken?: string; error?: string; cause?: string }) =>
        taskAnswer(() => backend().sendTaskFailure(input.taskToken ?? '', input.error ?? 'TaskFailed', input.cause ?? '')),
      ),
    );
}
