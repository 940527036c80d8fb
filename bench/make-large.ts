/**
 * Writes a pacs.008 bulk file of N transactions (argv: N PATH). Built in chunks of 10,000 generated
 * transactions whose bodies are concatenated under one group header, so generating 100 MB does not
 * need a 100,000-transaction model in memory at once.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { bulkCreditTransfer, DEMO_BANKS } from '../switch/demo/generate.ts';
import { build } from '../switch/iso/messages/pacs.008.001.08/index.ts';
import { formatAmount, parseAmount } from '../switch/iso/amount.ts';

const count = Number(process.argv[2]);
const path = process.argv[3]!;
const chunk = 10_000;
let total = 0n;
let head = '';
let tail = '';
const bodies: string[] = [];
for (let from = 0; from < count; from += chunk) {
  const model = bulkCreditTransfer({
    seed: from + 1, sender: DEMO_BANKS[0]!, receivers: DEMO_BANKS.slice(1), transactionCount: Math.min(chunk, count - from),
    settlementDate: '2026-11-27', createdAt: '2026-11-26T10:00:00Z', messageId: `LARGE-${count}-${from}`,
  });
  const sum = parseAmount(model.groupHeader.controlSum!, 'EUR');
  if (!sum.ok) throw new Error('generated control sum is not an amount');
  total += sum.minor;
  const xml = build(model);
  const first = xml.indexOf('<CdtTrfTxInf>');
  const last = xml.lastIndexOf('</CdtTrfTxInf>') + '</CdtTrfTxInf>'.length;
  if (from === 0) {
    head = xml.slice(0, first);
    tail = xml.slice(last);
  }
  bodies.push(xml.slice(first, last));
}
const sum = formatAmount(total, 'EUR');
head = head.replace(/<NbOfTxs>\d+<\/NbOfTxs>/, `<NbOfTxs>${count}</NbOfTxs>`)
  .replace(/<CtrlSum>[^<]+<\/CtrlSum>/, `<CtrlSum>${sum}</CtrlSum>`)
  .replace(/(<TtlIntrBkSttlmAmt Ccy="EUR">)[^<]+/, `$1${sum}`);
const fd = openSync(path, 'w');
writeSync(fd, head);
for (const body of bodies) writeSync(fd, body);
writeSync(fd, tail);
closeSync(fd);
