/**
 * Delivery faults injected on request (duplicates, random delays, reordering), drawn from a
 * seeded PRNG so that the same seed and the same calls give the same faults; off unless given.
 */
import { seededRandom } from '../shared/prng.js';

export interface FaultOptions {
  /** Probability that a delivery is made twice. */
  duplicateRate?: number;
  /** Probability that a delivery is held back by a random delay in `delayMs`. */
  delayRate?: number;
  delayMs?: { min: number; max: number };
  /** Buffer deliveries for `reorderWindowMs` and release them in a shuffled order. */
  reorder?: boolean;
  reorderWindowMs?: number;
  /** Seed of the fault PRNG: the same seed and the same calls give the same faults. */
  seed?: number;
}

export class DeliveryFaults {
  private readonly random: () => number;
  private readonly counts = { duplicates: 0, delays: 0, reorders: 0 };

  constructor(private readonly options?: FaultOptions) {
    this.random = seededRandom(options?.seed ?? 1);
  }

  get enabled(): boolean {
    return this.options !== undefined;
  }

  /** Whether a delivery is to be made twice (counted when it is). */
  duplicate(): boolean {
    const f = this.options;
    if (!f || !((f.duplicateRate ?? 0) > 0 && this.random() < f.duplicateRate!)) return false;
    this.counts.duplicates++;
    return true;
  }

  /** The delay, in ms, that holds a delivery back, or undefined for none. */
  delay(): number | undefined {
    const f = this.options;
    if (!f || !((f.delayRate ?? 0) > 0 && this.random() < f.delayRate!)) return undefined;
    const { min, max } = f.delayMs ?? { min: 50, max: 500 };
    const delayMs = Math.round(min + this.random() * Math.max(0, max - min));
    this.counts.delays++;
    return delayMs;
  }

  /** How long deliveries are buffered before being released shuffled, or undefined when they are not. */
  get reorderWindowMs(): number | undefined {
    return this.options?.reorder ? (this.options.reorderWindowMs ?? 20) : undefined;
  }

  /** The buffered deliveries in a random order (each one moved counts as a reorder). */
  shuffle<T>(batch: T[]): T[] {
    const shuffled = [...batch];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    this.counts.reorders += shuffled.filter((job, i) => job !== batch[i]).length;
    return shuffled;
  }

  /** Faults injected so far (duplicates + delays + reordered deliveries). */
  get injected(): number {
    return this.counts.duplicates + this.counts.delays + this.counts.reorders;
  }

  get byKind(): { duplicates: number; delays: number; reorders: number } {
    return { ...this.counts };
  }
}
