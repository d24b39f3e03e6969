// A function's execution environments, as Lambda keeps them: an idle warm instance serves the next
// invocation, a concurrent one gets a new instance (a cold start), a dead one is dropped and replaced.
import { lambdaErrors } from './errors.js';
import { LambdaInstance, type InstanceSpec } from './instance.js';

export interface PoolStats {
  /** Instances alive (loading, idle or busy). */
  instances: number;
  idle: number;
  busy: number;
  /** Invocations waiting for an instance (only when the local instance cap is reached). */
  waiting: number;
  /** Instances started so far (each one a cold start). */
  started: number;
  /** Ids of the instances alive (`InvocationRecord.instanceId`). */
  ids: string[];
}

/** Which instance served an invocation, and whether it had to start for it. */
export interface Lease {
  instance: LambdaInstance;
  coldStart: boolean;
}

export class InstancePool {
  private readonly live = new Set<LambdaInstance>();
  /** Most recently used last: the warmest instance is reused first. */
  private readonly idle: LambdaInstance[] = [];
  private readonly waiters: Array<(instance: LambdaInstance | undefined) => void> = [];
  private started = 0;
  private closed = false;
  private readonly reclaim = new Map<LambdaInstance, NodeJS.Timeout>();

  constructor(
    private readonly spec: Omit<InstanceSpec, 'onDead'>,
    /** Most instances alive at once; more concurrent invocations wait for one (a local resource cap). */
    private readonly maxInstances: number,
    /** An instance idle this long is reclaimed, as Lambda reclaims idle environments. */
    private readonly idleMs: number,
  ) {}

  /** An idle instance, a new one if none is idle, or the next one released once the cap is reached. */
  async acquire(): Promise<Lease> {
    for (;;) {
      if (this.closed) throw lambdaErrors.shutDown();
      const warm = this.idle.pop();
      if (warm) {
        clearTimeout(this.reclaim.get(warm));
        this.reclaim.delete(warm);
        return { instance: warm, coldStart: false };
      }
      if (this.live.size < this.maxInstances) {
        const instance = this.start();
        await instance.ready; // an init error fails this invocation; the instance is already dropped
        return { instance, coldStart: true };
      }
      const handed = await new Promise<LambdaInstance | undefined>((resolve) => this.waiters.push(resolve));
      if (handed) return { instance: handed, coldStart: false };
      // A slot came free (an instance died): go round again and start one.
    }
  }

  /** Gives an instance back after an invocation; a dead one is not reused. */
  release(instance: LambdaInstance): void {
    if (instance.state !== 'idle') return;
    const waiter = this.waiters.shift();
    if (waiter) return waiter(instance);
    this.idle.push(instance);
    this.reclaim.set(instance, setTimeout(() => void instance.kill(), this.idleMs).unref());
  }

  /** Starts one instance ahead of the first invocation, unless one is alive already. */
  async warm(): Promise<void> {
    if (this.live.size > 0 || this.closed) return;
    const instance = this.start();
    await instance.ready.then(
      () => this.release(instance),
      () => undefined,
    );
  }

  stats(): PoolStats {
    let busy = 0;
    for (const i of this.live) if (i.state === 'busy') busy++;
    return { instances: this.live.size, idle: this.idle.length, busy, waiting: this.waiters.length, started: this.started, ids: [...this.live].map((i) => i.id) };
  }

  /** Kills every instance: running invocations fail with Runtime.ExitError, waiting ones are refused. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    await Promise.all([...this.live].map((i) => i.kill()));
  }

  private start(): LambdaInstance {
    this.started++;
    const instance = new LambdaInstance({ ...this.spec, onDead: (dead) => this.drop(dead) });
    this.live.add(instance);
    return instance;
  }

  private drop(instance: LambdaInstance): void {
    this.live.delete(instance);
    clearTimeout(this.reclaim.get(instance));
    this.reclaim.delete(instance);
    const at = this.idle.indexOf(instance);
    if (at !== -1) this.idle.splice(at, 1);
    this.waiters.shift()?.(undefined);
  }
}
