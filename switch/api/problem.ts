/**
 * Errors as RFC 9457 problem details (application/problem+json): every refusal of the API has a
 * status, a short title and a detail saying what to do.
 */
import type { FastifyReply } from 'fastify';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

export function problem(reply: FastifyReply, status: number, title: string, detail: string): Problem {
  reply.code(status).type('application/problem+json');
  return { type: 'about:blank', title, status, detail };
}
