/**
 * Answers remembered by key for one list version (a new version builds a new index and screener, so
 * nothing stale is ever answered). At most `max` answers: when full, all are forgotten at once —
 * bounded memory without per-entry bookkeeping, and the everyday values fill it again within a few
 * payments. Pure: no I/O.
 */
export class BoundedMemo<V> {
  private readonly answers = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.answers.get(key);
  }

  set(key: string, value: V): void {
    if (this.answers.size >= this.max) this.answers.clear();
    this.answers.set(key, value);
  }
}
