/**
 * The AWS APIs the handlers call, answered from the in-memory account with
 * the shapes and error classes of the real services (one module per service
 * in services/, as moto keeps one per service). Installed by replacing the
 * SDK v3 client classes' send (services/common.ts), so handler code is unchanged.
 */
import type { AccountModel } from './model.ts';
import { installApplicationAutoScaling } from './services/application-auto-scaling.ts';
import { installCloudWatch } from './services/cloudwatch.ts';
import { accessDeniedError, ClientStubs, type ServiceSetup } from './services/common.ts';
import { installDynamoDb } from './services/dynamodb.ts';
import { installEcr } from './services/ecr.ts';
import { installEcs } from './services/ecs.ts';
import { installElastiCache } from './services/elasticache.ts';
import { installElbv2 } from './services/elbv2.ts';
import { installEventBridge } from './services/eventbridge.ts';
import { installSecretsManager } from './services/secrets-manager.ts';
import { installSns } from './services/sns.ts';
import { installStepFunctions, type SfnBackend } from './services/step-functions.ts';
import { installSts } from './services/sts.ts';
import { type AccountSnapshot, type AccountWrite, snapshotAccount, writeOf } from './writes.ts';

/** Called before every API call: advances the model and may inject a fault. */
export type CallInterceptor = (service: string, operation: string, input: unknown) => void;

export interface ApiCall {
  readonly at: number;
  readonly service: string;
  readonly operation: string;
  readonly input: unknown;
  readonly error?: string;
  /** The state machine state whose handler made the call. */
  readonly state?: string;
  /** The deployed function (its phase) that made the call; none for the operator's CLI. */
  readonly caller?: string;
}

/** IAM's answer for a call: undefined when allowed, else AWS's message. */
export type Authorize = (service: string, operation: string, input: unknown) => Promise<{ message: string; action: string } | undefined>;

export class SimulatedApis {
  readonly calls: ApiCall[] = [];
  /** The client stubs of this installation; uninstall() puts the clients back. */
  private stubs: ClientStubs | undefined;
  interceptors: CallInterceptor[] = [];
  sfn: SfnBackend | undefined;
  /** Which state is running, for the call log (set by the simulation). */
  currentState: () => string | undefined = () => undefined;
  /** Which function is calling, for the call log (set by the simulation). */
  currentCaller: () => string | undefined = () => undefined;
  /** IAM, evaluated before the service acts (set by the simulation; none: everything allowed). */
  authorize: Authorize | undefined;
  /** The account as the first call found it, and the writes the invariants watch, in order (writes.ts). */
  start: AccountSnapshot | undefined;
  readonly writes: AccountWrite[] = [];
  private readonly model: AccountModel;

  constructor(model: AccountModel) {
    this.model = model;
  }

  install(): void {
    const stubs = new ClientStubs();
    this.stubs = stubs;
    const setup: ServiceSetup = {
      model: this.model,
      stubs,
      route:
        <I, O>(service: string, operation: string, fn: (input: I) => O) =>
        (input: I) =>
          this.call(service, operation, input, () => fn(input)),
    };
    installEcs(setup);
    installElbv2(setup);
    installEcr(setup);
    installSecretsManager(setup);
    installElastiCache(setup);
    installCloudWatch(setup);
    installDynamoDb(setup);
    installEventBridge(setup);
    installSns(setup);
    installSts(setup);
    installApplicationAutoScaling(setup);
    installStepFunctions(setup, () => {
      if (!this.sfn) throw new Error('no Step Functions backend in this simulation');
      return this.sfn;
    });
  }

  private stateField(): { state?: string; caller?: string } {
    const state = this.currentState();
    const caller = this.currentCaller();
    return { ...(state ? { state } : {}), ...(caller ? { caller } : {}) };
  }

  /** Restores the SDK clients and lets go of the stubs (and of this account, which they route to). */
  uninstall(): void {
    this.stubs?.restore();
    this.stubs = undefined;
  }

  private async call<O>(service: string, operation: string, input: unknown, run: () => O): Promise<O> {
    const denial = await this.authorize?.(service, operation, input);
    this.model.advanceTo(Date.now());
    this.start ??= snapshotAccount(this.model);
    try {
      if (denial) throw accessDeniedError(service, denial.message, denial.action);
      for (const interceptor of this.interceptors) interceptor(service, operation, input);
      const out = run();
      this.calls.push({ at: this.model.now, service, operation, input, ...this.stateField() });
      const write = writeOf(this.model, operation, input, this.stateField().state);
      if (write) this.writes.push(write);
      return out;
    } catch (error) {
      this.calls.push({
        at: this.model.now,
        service,
        operation,
        input,
        error: error instanceof Error ? error.name : String(error),
        ...this.stateField(),
      });
      throw error;
    }
  }
}
