// The map runs of one execution: which Distributed Map states have been entered, and the children
// each run started, so that a parent that ends stops them (generic over the child record).

/** One map run: its ARN and the children it started, so a stopped parent stops them. */
export interface MapRun<Child> {
  mapRunArn: string;
  children: Set<Child>;
}

/**
 * The map runs of one execution. The hidden Task's handler and the library's StateEntered of the Map
 * meet here (whichever comes second starts the run), so MapRunStarted follows MapStateEntered.
 */
export class MapRuns<Child extends { status: string }> {
  private readonly credits = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  readonly open = new Set<MapRun<Child>>();

  /** StateEntered (or StateRetried) of a distributed Map, from the library's event log. */
  entered(stateName: string): void {
    const next = this.waiting.get(stateName)?.shift();
    if (next) next();
    else this.credits.set(stateName, (this.credits.get(stateName) ?? 0) + 1);
  }

  /** Resolves once the Map's StateEntered has been written. */
  arrive(stateName: string): Promise<void> {
    const n = this.credits.get(stateName) ?? 0;
    if (n > 0) {
      this.credits.set(stateName, n - 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.waiting.get(stateName) ?? [];
      list.push(resolve);
      this.waiting.set(stateName, list);
    });
  }

  /** The parent ended: every child still running is stopped, as AWS stops a map run's children. */
  close(stop: (child: Child) => void): void {
    for (const w of this.waiting.values()) for (const resolve of w.splice(0)) resolve();
    for (const mapRun of this.open) for (const child of mapRun.children) if (child.status === 'RUNNING') stop(child);
    this.open.clear();
  }
}
