/**
 * The account's state changes others may react to, as the events AWS puts on
 * EventBridge for them: a CloudWatch "Alarm State Change" and an ECS "Task
 * State Change" to STOPPED. The model calls `emit*` from the one place where
 * each change happens (AccountModel.setAlarmState, AccountModel.stop); a
 * listener sees every change exactly once, in the order they happen.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmStateChange {
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly previous: AlarmState;
  readonly state: AlarmState;
  readonly reason: string;
  /** When the alarm entered the state (epoch ms, the virtual clock). */
  readonly at: number;
}

export interface TaskStopped {
  readonly clusterArn: string;
  /** As ECS reports a service's tasks: `service:<service name>`. */
  readonly group: string;
  readonly taskArn: string;
  readonly stoppedReason: string;
  readonly stopCode: string;
  /** When the task stopped (epoch ms, the virtual clock). */
  readonly at: number;
}

type Listener<T> = (change: T) => void;

export class StateChangeListeners {
  private readonly alarm: Array<Listener<AlarmStateChange>> = [];
  private readonly taskStopped: Array<Listener<TaskStopped>> = [];

  /** Registers a listener; the function returned removes it. */
  onAlarmStateChange(listener: Listener<AlarmStateChange>): () => void {
    return subscribe(this.alarm, listener);
  }

  /** Registers a listener; the function returned removes it. */
  onTaskStopped(listener: Listener<TaskStopped>): () => void {
    return subscribe(this.taskStopped, listener);
  }

  emitAlarmStateChange(change: AlarmStateChange): void {
    for (const listener of [...this.alarm]) listener(change);
  }

  emitTaskStopped(change: TaskStopped): void {
    for (const listener of [...this.taskStopped]) listener(change);
  }
}

function subscribe<T>(listeners: Array<Listener<T>>, listener: Listener<T>): () => void {
  listeners.push(listener);
  return () => {
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  };
}
