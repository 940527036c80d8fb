/**
 * The permission matrix of docs/api.md, as Markdown, from the route table and the grants: one source,
 * printed by `node --import tsx tools/api-matrix.ts` (which rewrites it in docs/api.md) and compared with
 * the docs by test/api/authorization.test.ts.
 */
import { allows, ROLES } from './permissions.ts';
import { routes as defaultRoutes, type ApiRoute } from './routes.ts';

export const MATRIX_START = /<!-- permission matrix[^\n]*-->\n/;
export const MATRIX_END = '\n<!-- end of permission matrix -->';

export function permissionMatrix(table: readonly ApiRoute[] = defaultRoutes): string {
  return [
    `| route | permission | ${ROLES.join(' | ')} |`, `|---|---|${ROLES.map(() => '---').join('|')}|`,
    ...table.map((r) => `| \`${r.method} ${r.url}\` | ${r.permission} | ${ROLES.map((x) => (r.permission === 'public' ? 'public' : allows(r.permission, x) ? 'yes' : '—')).join(' | ')} |`),
  ].join('\n');
}

/** `docs` with its matrix replaced by the current one. */
export function withMatrix(docs: string): string {
  const start = MATRIX_START.exec(docs);
  const end = docs.indexOf(MATRIX_END);
  if (!start || end < start.index) throw new Error('docs/api.md has no permission matrix markers');
  return docs.slice(0, start.index + start[0].length) + permissionMatrix() + docs.slice(end);
}
