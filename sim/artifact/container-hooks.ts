/**
 * The async hooks the containers' modules create: the X-Ray SDK's
 * continuation-local storage creates one at load, with a destroy callback. In
 * Lambda a container is a process of its own, and its hook sees the async
 * resources of its own code only. Here every container shares the process:
 * twenty enabled hooks would each see every promise of the process (the
 * simulator's, every other container's), which is neither what they see in
 * Lambda nor cheap. So one process-wide hook hands each resource to the hooks
 * of the container whose code created it, and to no other.
 */

import type { AsyncHook, HookCallbacks } from 'node:async_hooks';
import * as asyncHooks from 'node:async_hooks';

/** Which container's code runs now (its identity: one object per container), or undefined outside any. */
export type ContainerOf = () => object | undefined;

export class ContainerHooks {
  /** The enabled hooks of each container. */
  private readonly enabled = new Map<object, Set<HookCallbacks>>();
  /** The hooks each live resource was handed to at its init. */
  private readonly owners = new Map<number, Set<HookCallbacks>>();
  private hook: AsyncHook | undefined;
  private readonly containerOf: ContainerOf;

  constructor(containerOf: ContainerOf) {
    this.containerOf = containerOf;
  }

  /** async_hooks.createHook, as the code of the container running now sees it. */
  create(callbacks: HookCallbacks): AsyncHook {
    const container = this.containerOf();
    if (!container) throw new Error('a container hook is created outside any container');
    const hooks = this;
    const handle: AsyncHook = {
      enable() {
        hooks.add(container, callbacks);
        return handle;
      },
      disable() {
        hooks.remove(container, callbacks);
        return handle;
      },
    };
    return handle;
  }

  private add(container: object, callbacks: HookCallbacks): void {
    const set = this.enabled.get(container) ?? new Set<HookCallbacks>();
    set.add(callbacks);
    this.enabled.set(container, set);
    this.hook ??= this.processHook().enable();
  }

  private remove(container: object, callbacks: HookCallbacks): void {
    const set = this.enabled.get(container);
    set?.delete(callbacks);
    if (set?.size === 0) this.enabled.delete(container);
    for (const owners of this.owners.values()) owners.delete(callbacks);
    if (this.enabled.size === 0) {
      this.hook?.disable();
      this.hook = undefined;
      this.owners.clear();
    }
  }

  private processHook(): AsyncHook {
    const owners = this.owners;
    const each = (asyncId: number, call: (callbacks: HookCallbacks) => void) => {
      const set = owners.get(asyncId);
      if (set) for (const callbacks of set) call(callbacks);
    };
    return asyncHooks.createHook({
      init: (asyncId, type, triggerAsyncId, resource) => {
        const container = this.containerOf();
        const set = container ? this.enabled.get(container) : undefined;
        if (!set) return;
        const handed = new Set(set);
        owners.set(asyncId, handed);
        for (const callbacks of handed) callbacks.init?.(asyncId, type, triggerAsyncId, resource);
      },
      before: (asyncId) => each(asyncId, (callbacks) => callbacks.before?.(asyncId)),
      after: (asyncId) => each(asyncId, (callbacks) => callbacks.after?.(asyncId)),
      promiseResolve: (asyncId) => each(asyncId, (callbacks) => callbacks.promiseResolve?.(asyncId)),
      destroy: (asyncId) => {
        each(asyncId, (callbacks) => callbacks.destroy?.(asyncId));
        owners.delete(asyncId);
      },
    });
  }
}
