/**
 * Watching a running `clearhouse serve` from outside, as a bank and an operator would: what the
 * switch answered a file (the admi.002 or pacs.002 in the bank's outbound/), the files sent with
 * `clearhouse bank send`, and the JSON records serve logs on stderr.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Polls `probe` every `intervalMs` until it returns something other than undefined, or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A file `bank send` put into a mailbox: its name and MsgId, from the command's output line. */
export interface SentFile {
  readonly fileName: string;
  readonly msgId: string;
}

export function sentFiles(stdout: string): SentFile[] {
  return [...stdout.matchAll(/^(\S+\.xml): pacs\.008 (\S+),/gm)].map((m) => ({ fileName: m[1]!, msgId: m[2]! }));
}

/** The switch's answer to one file, as the bank finds it in its outbound/. */
export type Answer = { readonly kind: 'refused'; readonly code: string } | { readonly kind: 'status'; readonly status: string };

export function answerTo(mailbox: string, file: SentFile): Answer | undefined {
  const outbound = join(mailbox, 'outbound');
  if (!existsSync(outbound)) return undefined;
  for (const name of readdirSync(outbound)) {
    if (name.endsWith('.p7s') || name.startsWith('.')) continue;
    const xml = readFileSync(join(outbound, name), 'utf8');
    if (name.startsWith('admi.002') && xml.includes(`<Ref>${file.fileName}</Ref>`)) {
      return { kind: 'refused', code: /<RjctgPtyRsn>([^<]+)</.exec(xml)![1]! };
    }
    if (name.startsWith('pacs.002') && xml.includes(`<OrgnlMsgId>${file.msgId}</OrgnlMsgId>`)) {
      return { kind: 'status', status: /<GrpSts>([^<]+)</.exec(xml)?.[1] ?? /<TxSts>([^<]+)</.exec(xml)![1]! };
    }
  }
  return undefined;
}

export type LogRecord = Record<string, unknown> & { readonly level: string; readonly msg: string; readonly component?: string };

/**
 * serve's stderr as JSON records. Strict (the default): a line that is not one throws, since serve
 * logs nothing else; otherwise such lines are skipped.
 */
export function logRecords(stderr: string, options: { readonly strict?: boolean } = {}): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of stderr.split('\n').filter((l) => l.length > 0)) {
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      if (options.strict ?? true) throw new Error(`serve wrote a line that is not a JSON record: ${JSON.stringify(line)}`);
    }
  }
  return records;
}
