/**
 * The switch's process of a simulated day with the `crash` fault (docs/simulation.md): the engine runs
 * here, in a child of `clearhouse simulate`, so that it can die by SIGKILL at one of its crash points
 * (switch/engine/crash.ts, CLEARHOUSE_CRASH_AT / CLEARHOUSE_CRASH_AFTER) while the banks, the settlement
 * agent, the connector and the judge — the parent, remote-engine.ts — live on, as they would: they are
 * other institutions. The parent starts it again on the same store and the day continues.
 *
 * Protocol (IPC, advanced serialization, so bigint, Uint8Array and Date cross as they are):
 *   parent → child  { type: 'call', id, method, args, nowMs }   one engine call at the parent's clock
 *                   { type: 'delivered', id, error? }            the connector's answer to a delivery
 *                   { type: 'close' }                            close the engine and exit
 *   child → parent  { type: 'ready' } once Engine.open returned (recovery included)
 *                   { type: 'result', id, value } | { type: 'error', id, message }
 *                   { type: 'deliver', id, message }             during dispatch: deliver through the parent
 * The child's options (config, store, the clock's time) come first: { type: 'init', options }.
 */
import { Engine } from '../engine/engine.ts';
import { ManualClock } from '../clock.ts';
import type { SchemeConfig } from '../config.ts';
import { contentBytes, type OutboundMessage } from '../engine/transport.ts';
import { waitForSessionsGone } from '../store/scratch.ts';

/** What the parent gives the child (the first message). */
export interface ChildOptions {
  readonly config: SchemeConfig;
  readonly databaseUrl?: string;
  readonly dataDirectory?: string;
  readonly nowMs: number;
  /** PostgreSQL: this process's connections are named so (application_name), so that the next one can wait for them. */
  readonly applicationName?: string;
  /** PostgreSQL: the killed process's connections, which the server ends once it notices; their locks last until then. */
  readonly waitForGone?: string;
}

/** `url` with its sessions named `name`. */
function named(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** The engine methods the simulated day calls across the process boundary. */
export const REMOTE_METHODS = ['submit', 'dispatch', 'sweep', 'closeCycle', 'cycles', 'resolveSettlement', 'suspendParticipant', 'resumeParticipant'] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number];

export type ParentMessage =
  | { readonly type: 'init'; readonly options: ChildOptions }
  | { readonly type: 'call'; readonly id: number; readonly method: RemoteMethod; readonly args: readonly unknown[]; readonly nowMs: number }
  | { readonly type: 'delivered'; readonly id: number; readonly error?: string }
  | { readonly type: 'close' };

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly value: unknown }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  | { readonly type: 'deliver'; readonly id: number; readonly message: RelayedMessage };

/** An outbound message as it crosses to the parent: its bytes whole (content, being functions, cannot cross). */
export type RelayedMessage = Omit<OutboundMessage, 'content'> & { readonly bytes: Uint8Array; readonly sha256: string };

function send(message: ChildMessage): void {
  process.send!(message);
}

async function main(options: ChildOptions): Promise<void> {
  const clock = new ManualClock(options.nowMs);
  if (options.databaseUrl && options.waitForGone) await waitForSessionsGone(options.databaseUrl, options.waitForGone);
  const databaseUrl = options.databaseUrl && options.applicationName ? named(options.databaseUrl, options.applicationName) : options.databaseUrl;
  const engine = await Engine.open({ config: options.config, clock, databaseUrl, dataDirectory: options.dataDirectory, log: () => {} });
  let deliveryNumber = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  // The connector is the parent's: a delivery is done when the parent says so (the mailbox file written, logged).
  const deliver = async (message: OutboundMessage): Promise<void> => {
    const { content, ...rest } = message;
    const relayed: RelayedMessage = { ...rest, bytes: await contentBytes(content), sha256: content.sha256 };
    return new Promise((resolve, reject) => {
      const id = ++deliveryNumber;
      waiting.set(id, { resolve, reject });
      send({ type: 'deliver', id, message: relayed });
    });
  };
  const call = async (method: RemoteMethod, args: readonly unknown[]): Promise<unknown> => {
    switch (method) {
      case 'submit': return engine.submit(args[0] as Parameters<Engine['submit']>[0]);
      case 'dispatch': return engine.dispatch(deliver, args[0] as number | undefined);
      case 'sweep': return engine.sweep();
      case 'closeCycle': return engine.closeCycle();
      case 'cycles': return engine.cycles();
      case 'resolveSettlement': return engine.resolveSettlement(...(args as Parameters<Engine['resolveSettlement']>));
      case 'suspendParticipant': return engine.suspendParticipant(...(args as Parameters<Engine['suspendParticipant']>));
      case 'resumeParticipant': return engine.resumeParticipant(...(args as Parameters<Engine['resumeParticipant']>));
    }
  };
  // One call at a time, in order: the parent waits for each answer before it sends the next call.
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'init') return;
    if (message.type === 'delivered') {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error === undefined) w?.resolve();
      else w?.reject(new Error(message.error));
      return;
    }
    if (message.type === 'close') {
      queue = queue.then(async () => { await engine.close(); process.disconnect(); });
      return;
    }
    queue = queue.then(async () => {
      clock.set(message.nowMs);
      try {
        send({ type: 'result', id: message.id, value: await call(message.method, message.args) });
      } catch (error) {
        send({ type: 'error', id: message.id, message: (error as Error).stack ?? String(error) });
      }
    });
  });
  send({ type: 'ready' });
}

process.once('message', (message: ParentMessage) => {
  if (message.type !== 'init') throw new Error(`engine child: expected init, got ${message.type}`);
  void main(message.options).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
});
