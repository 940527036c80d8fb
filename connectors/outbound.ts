/**
 * The switch side of delivering files: every outbound message is signed with the switch's
 * certificate (detached CMS, connectors/signing/cms.ts) and handed to the connector with its
 * signature, which the connector delivers beside the file (`NAME` and `NAME.p7s`).
 *
 * Delivery is at least once (the outbox retries until the connector succeeds) and idempotent (the file
 * name is deterministic, so a retry overwrites the same file). A retry signs again: the new signature
 * differs only in its signingTime and is just as valid for the same bytes.
 */
import type { Connector } from './connector.ts';
import { signDetachedDigest } from './signing/cms.ts';
import type { KeyAndCertificate } from './signing/pki.ts';
import type { Deliver, OutboundMessage } from '../switch/engine/transport.ts';
import { systemClock, type Clock } from '../switch/clock.ts';

/** A Deliver for engine.dispatch: sign with the switch's key and certificate (signingTime from the
 * switch's clock), deliver data + signature. */
export function signingDeliver(connector: Connector, signer: KeyAndCertificate, clock: Clock = systemClock): Deliver {
  return async (message: OutboundMessage): Promise<void> => {
    // Signed over the recorded SHA-256 of the bytes (the SignedData signDetached makes of the bytes
    // themselves); the connector streams the bytes and their reading fails, before the file is made
    // final, if they are not the ones that digest stands for.
    const signature = signDetachedDigest(Buffer.from(message.content.sha256, 'hex'), { ...signer, signingTime: clock.now() });
    await connector.deliver({ recipient: message.recipient, fileName: message.fileName, content: message.content, signature });
  };
}
