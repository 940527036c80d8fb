/**
 * Progress of long work on the command line (docs/operations.md "Progress"): named steps with their
 * timings, and counters for large work (files, payments). Written to stderr, and only when stderr is
 * a terminal: stdout stays the command's result (`--json` machine-readable), and logs, pipes and CI
 * see nothing. A counter rewrites one line (carriage return), at most every `redrawMs`.
 *
 *   const progress = createProgress();
 *   const result = await progress.step('cycle 1: banks send', () => sendAll());
 *   const count = progress.counter('validating', total, 'payments');
 *   for (...) count.add(1);
 *   count.done();
 */

/** Where progress goes: a stream and whether it is a terminal (process.stderr by default). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressCounter {
  /** `n` more done. */
  add(n: number): void;
  /** Finishes the line: label, total and elapsed time. */
  done(): void;
}

export interface Progress {
  /** Whether anything is shown (stderr is a terminal). */
  readonly enabled: boolean;
  /** Runs `work`, then shows `label` and how long it took (a failed step is shown as failed). */
  step<T>(label: string, work: () => Promise<T> | T): Promise<T>;
  /** A counter towards `total` (undefined: unknown) of `unit`. */
  counter(label: string, total?: number, unit?: string): ProgressCounter;
  /** A line of its own (a hint, a summary), shown only when enabled. */
  note(text: string): void;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function createProgress(options: { readonly stream?: ProgressStream; readonly redrawMs?: number; readonly enabled?: boolean } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  const write = (text: string): void => { if (enabled) stream.write(text); };
  return {
    enabled,
    async step(label, work) {
      const started = performance.now();
      write(`… ${label}\r`);
      try {
        const result = await work();
        write(`✓ ${label} (${formatDuration(performance.now() - started)})\n`);
        return result;
      } catch (error) {
        write(`✗ ${label} (failed after ${formatDuration(performance.now() - started)})\n`);
        throw error;
      }
    },
    counter(label, total, unit = '') {
      const started = performance.now();
      let count = 0;
      let drawn = -Infinity;
      const suffix = unit ? ` ${unit}` : '';
      const line = (): string => total === undefined
        ? `${label}: ${count}${suffix}`
        : `${label}: ${count}/${total}${suffix} (${Math.floor((count * 100) / Math.max(total, 1))} %)`;
      return {
        add(n) {
          count += n;
          const now = performance.now();
          if (now - drawn >= redrawMs) {
            drawn = now;
            write(`\r${line()}\x1b[K`);
          }
        },
        done() {
          write(`\r${line()} in ${formatDuration(performance.now() - started)}\x1b[K\n`);
        },
      };
    },
    note(text) {
      write(`${text}\n`);
    },
  };
}
