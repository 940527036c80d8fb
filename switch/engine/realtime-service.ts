/**
 * The scheme's real-time service, if it has one (configuration: services).
 */
import type { RealtimeServiceConfig } from '../config.ts';
import type { EngineContext } from './context.ts';

export function realtimeService(ctx: EngineContext): RealtimeServiceConfig | undefined {
  return ctx.config.services.find((s): s is RealtimeServiceConfig => s.messageType === 'pacs.008' && s.mode === 'realtime');
}
