/**
 * Rewrites the permission matrix of docs/api.md from switch/api/routes.ts and permissions.ts
 * (switch/api/matrix.ts); test/api/authorization.test.ts fails until it has been run after a change.
 *
 *   node --import tsx tools/api-matrix.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withMatrix } from '../switch/api/matrix.ts';

const file = new URL('../docs/api.md', import.meta.url);
writeFileSync(file, withMatrix(readFileSync(file, 'utf8')));
