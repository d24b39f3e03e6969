/**
 * Asynchronous detach propagation: for how long a just-detached thing still counts as attached to a
 * certificate for TransferCertificate. Owns the delay (fixed or seeded jitter) and the lingering detaches.
 */
import { seededRandom } from '../shared/prng.js';

/** A fixed delay, or a uniform range drawn from a seeded PRNG. */
export type PropagationSpec = number | { min: number; max: number };

/**
 * What `npm start` uses: the API reference says DetachThingPrincipal "is
 * asynchronous. It might take several seconds for the detachment to
 * propagate" (API_DetachThingPrincipal). One to three seconds keeps every
 * transfer's first TransferCertificate in conflict, as in AWS, without
 * slowing demos down.
 */
export const AWS_DETACH_PROPAGATION_MS: Readonly<{ min: number; max: number }> = Object.freeze({ min: 1000, max: 3000 });

/** Parses a flag value: `N` or `MIN-MAX` milliseconds (`0` turns propagation off). */
export function parsePropagation(raw: string): PropagationSpec {
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw.trim());
  if (!m) throw new Error(`detach propagation takes N or MIN-MAX milliseconds (e.g. 1000-3000, or 0 for none), not "${raw}"`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new Error(`detach propagation range ${raw}: MAX must be at least MIN`);
  return min === max ? min : { min, max };
}

/** Human wording of a spec, for banners and logs. */
export function describePropagation(spec: PropagationSpec | undefined): string {
  if (spec === undefined || spec === 0 || (typeof spec === 'object' && spec.max === 0)) return 'at once';
  return typeof spec === 'number' ? `${spec} ms` : `${spec.min}–${spec.max} ms`;
}

/**
 * Lingering detaches, per account and region ("scope"), principal and
 * thing. A detach registers a deadline; attaching the thing again, or the
 * principal leaving the account, clears it.
 */
export class DetachPropagation {
  /** scope → principal → thing → time until which the detach has not propagated */
  private readonly lingering = new Map<string, Map<string, Map<string, number>>>();
  private readonly random: () => number;

  constructor(
    private readonly spec: PropagationSpec | undefined,
    private readonly now: () => number,
    seed = 1,
  ) {
    this.random = seededRandom(seed ^ 0x2c1b3c6d);
  }

  /** Milliseconds the next detach takes to propagate. */
  delay(): number {
    const s = this.spec;
    if (s === undefined) return 0;
    if (typeof s === 'number') return Math.max(0, s);
    return Math.max(0, s.min + this.random() * Math.max(0, s.max - s.min));
  }

  detached(scope: string, principal: string, thing: string): void {
    const ms = this.delay();
    if (ms <= 0) return;
    let byPrincipal = this.lingering.get(scope);
    if (!byPrincipal) this.lingering.set(scope, (byPrincipal = new Map()));
    let things = byPrincipal.get(principal);
    if (!things) byPrincipal.set(principal, (things = new Map()));
    things.set(thing, this.now() + ms);
  }

  /** The thing is attached again: its earlier detach no longer matters. */
  attached(scope: string, principal: string, thing: string): void {
    this.lingering.get(scope)?.get(principal)?.delete(thing);
  }

  /** The principal is gone from this account (deleted, or transferred away). */
  forget(scope: string, principal: string): void {
    this.lingering.get(scope)?.delete(principal);
  }

  /** True while a detach of `principal` in `scope` has not propagated yet. */
  isLingering(scope: string, principal: string): boolean {
    const byPrincipal = this.lingering.get(scope);
    const things = byPrincipal?.get(principal);
    if (!byPrincipal || !things) return false;
    const now = this.now();
    for (const [thing, until] of things) if (until <= now) things.delete(thing);
    if (things.size === 0) byPrincipal.delete(principal);
    return things.size > 0;
  }

  clear(): void {
    this.lingering.clear();
  }
}
