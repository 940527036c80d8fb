/**
 * The directory connector (connectors/registry.ts DirectoryConnector over connectors/directory.ts):
 * only regular files are taken. A subdirectory (even a pair named like a file and its signature), a
 * symbolic link to a file outside the mailbox, a FIFO (which would block a reader forever) and a
 * file that cannot be read are left where they are, the unreadable one reported once, and none of
 * them keeps the mailbox's regular files from being taken.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryConnector } from '../../connectors/registry.ts';

describe('directory connector: odd entries in a mailbox', () => {
  it('takes the regular files and leaves subdirectories, links, FIFOs and unreadable files alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'clearhouse-directory-'));
    const box = join(root, 'BANKDEFFXXX');
    const inbound = join(box, 'inbound');
    mkdirSync(inbound, { recursive: true });
    writeFileSync(join(root, 'secret.txt'), 'outside the mailbox');
    mkdirSync(join(inbound, 'sub.xml'));
    mkdirSync(join(inbound, 'sub.xml.p7s'));
    symlinkSync(join(root, 'secret.txt'), join(inbound, 'link.xml'));
    assert.equal(spawnSync('mkfifo', [join(inbound, 'fifo.xml')]).status, 0);
    writeFileSync(Buffer.concat([Buffer.from(`${inbound}/`), Buffer.from([0x62, 0xff, 0x2e, 0x78, 0x6d, 0x6c])]), 'x'); // not UTF-8
    writeFileSync(join(inbound, 'good.xml'), '<Document/>');
    writeFileSync(join(inbound, 'good.xml.p7s'), 'signature');
    const lines: string[] = [];
    const connector = new DirectoryConnector(new Map([['BANKDEFFXXX', box]]), { log: (line) => lines.push(line) });

    for (let poll = 0; poll < 2; poll++) {
      const files = await connector.receive('BANKDEFFXXX');
      assert.deepEqual(files.map((f) => [f.fileName, Buffer.from(f.bytes).toString(), Buffer.from(f.signature ?? []).toString()]),
        [['good.xml', '<Document/>', 'signature']]);
    }
    assert.equal(lines.filter((line) => /not readable/.test(line)).length, 1, `reported once: ${lines.join('\n')}`);
    await connector.acknowledge((await connector.receive('BANKDEFFXXX'))[0]!);
    assert.deepEqual(readdirSync(join(box, 'archive')).sort(), ['good.xml', 'good.xml.p7s']);
    assert.deepEqual(readdirSync(inbound).filter((n) => !n.includes('\ufffd')).sort(), ['fifo.xml', 'link.xml', 'sub.xml', 'sub.xml.p7s']);
  });
});
