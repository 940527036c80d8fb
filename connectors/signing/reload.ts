/**
 * Trust material that follows its files while `serve` runs (docs/signing.md "Reloading"): a
 * certificate revoked, a CA added for a rollover, or the switch's own certificate rotated takes
 * effect without a restart, at most `limits.trustMaterialReloadMs` after the file changed (plus the
 * poll pass that is running).
 *
 * Every `trustMaterialReloadMs` the files named by the sources are read again and hashed (SHA-256 of
 * each path and its bytes; the files are a few kilobytes). Two groups change independently:
 *
 *   trust   the CA certificates and their CRLs, loaded and checked as a whole (a CRL belongs to its CA)
 *   signer  the switch's key and certificate, tried together with a probe signature
 *
 * A group whose files changed and load cleanly replaces the one in use. A group whose new files do
 * not load (half-written, not PEM, a key that is not the certificate's) is NOT used: the last good
 * group stays in force and an error is logged once for each new broken content, until the files
 * load again. So a broken file never turns verification off, and never stops the switch.
 *
 * A new CRL that revokes the switch's own certificate is still taken (the banks' revocations in it
 * must apply); the switch then logs an error on every reload until its certificate is rotated,
 * because banks will refuse what it signs.
 */
import { systemClock } from '../../switch/clock.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TrustAnchors } from '../inbound.ts';
import type { KeyAndCertificate } from './pki.ts';
import {
  caCertificateFile, checkSigner, loadSigner, loadTrust, loadTrustMaterial, type TrustMaterial, type TrustMaterialSources,
} from './material.ts';
import { limits } from '../../switch/limits.ts';
import type { Logger } from '../../switch/log.ts';

export interface TrustMaterialWatcherOptions {
  readonly sources: TrustMaterialSources;
  readonly log: Logger;
  readonly switchBic?: string;
  readonly now?: () => Date;
}

export type ReloadOutcome = 'unchanged' | 'reloaded' | 'kept';

interface Group {
  /** Fingerprint of the files last looked at (good or broken): a broken content is reported once. */
  seen: string;
}

export class TrustMaterialWatcher {
  private trust: TrustAnchors | undefined;
  private signer: KeyAndCertificate | undefined;
  private readonly trustGroup: Group;
  private readonly signerGroup: Group;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Loads and checks the material as at start (loadTrustMaterial: a broken file throws a
   * TrustMaterialError, and serve refuses to start). The files are fingerprinted before they are
   * read, so a change made while they load is seen by the first check.
   */
  static load(options: TrustMaterialWatcherOptions): TrustMaterialWatcher {
    const seen = { trust: fingerprint(trustFiles(options.sources)), signer: fingerprint(signerFiles(options.sources)) };
    const now = options.now ?? (() => systemClock.now());
    const initial = loadTrustMaterial(options.sources, now(), options.switchBic);
    return new TrustMaterialWatcher(options, initial, seen);
  }

  private constructor(private readonly options: TrustMaterialWatcherOptions, initial: TrustMaterial,
    seen: { readonly trust: string; readonly signer: string }) {
    this.trust = initial.trust;
    this.signer = initial.signer;
    this.now = options.now ?? (() => systemClock.now());
    this.trustGroup = { seen: seen.trust };
    this.signerGroup = { seen: seen.signer };
  }

  /** The material in force now: what the next file is verified and signed with. */
  current(): TrustMaterial {
    return { ...(this.trust ? { trust: this.trust } : {}), ...(this.signer ? { signer: this.signer } : {}) };
  }

  /** Looks at the files every `intervalMs` until stop(). */
  start(intervalMs: number = limits.trustMaterialReloadMs): void {
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the files: reload each group whose content changed, keep it when the new one is broken. */
  check(): ReloadOutcome {
    const outcomes = [this.checkTrust(), this.checkSigner()];
    return outcomes.includes('reloaded') ? 'reloaded' : outcomes.includes('kept') ? 'kept' : 'unchanged';
  }

  private checkTrust(): ReloadOutcome {
    const files = trustFiles(this.options.sources);
    const seen = fingerprint(files);
    if (seen === this.trustGroup.seen) return 'unchanged';
    this.trustGroup.seen = seen;
    const log = this.options.log;
    let trust: TrustAnchors | undefined;
    try {
      trust = loadTrust(this.options.sources);
    } catch (error) {
      log.error({ files, err: error }, 'trust material: the changed CA certificates or revocation lists do not load; ' +
        'still verifying with the last good ones (fix the files: they are read again when they change)');
      return 'kept';
    }
    if (!trust) return 'kept'; // cannot happen: the sources name CAs (a CA list never turns empty); never verify with nothing
    this.trust = trust;
    log.info({ files, caCertificates: trust.caCertPems.length, revocationLists: trust.crls?.length ?? 0 },
      'trust material reloaded: inbound signatures are verified with the new CA certificates and revocation lists');
    if (this.signer) this.reportSigner(this.signer);
    return 'reloaded';
  }

  private checkSigner(): ReloadOutcome {
    const files = signerFiles(this.options.sources);
    const seen = fingerprint(files);
    if (seen === this.signerGroup.seen) return 'unchanged';
    this.signerGroup.seen = seen;
    const log = this.options.log;
    let signer: KeyAndCertificate | undefined;
    try {
      signer = loadSigner(this.options.sources);
      if (signer) checkSigner(signer, this.options.sources, this.trust, this.now(), this.options.switchBic);
    } catch (error) {
      log.error({ files, err: error }, "trust material: the changed switch key or certificate does not load or does not verify; " +
        'still signing with the last good pair');
      return 'kept';
    }
    if (!signer) return 'kept';
    this.signer = signer;
    log.info({ files }, 'trust material reloaded: deliveries are signed with the new switch key and certificate');
    return 'reloaded';
  }

  /** After new CAs/CRLs: would banks still accept the switch's signatures? Loud when not. */
  private reportSigner(signer: KeyAndCertificate): void {
    try {
      checkSigner(signer, this.options.sources, this.trust, this.now(), this.options.switchBic);
    } catch (error) {
      this.options.log.error({ err: error }, "trust material: under the new revocation lists the switch's own certificate is refused; " +
        'banks will refuse every delivery until it is rotated');
    }
  }
}

function trustFiles(sources: TrustMaterialSources): string[] {
  return [...sources.ca.map(caCertificateFile), ...sources.crl];
}

function signerFiles(sources: TrustMaterialSources): string[] {
  return sources.switchKey !== undefined && sources.switchCert !== undefined ? [sources.switchKey, sources.switchCert] : [];
}

/** SHA-256 over each path and its bytes (or the reason it cannot be read). */
function fingerprint(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      hash.update(readFileSync(file));
    } catch (error) {
      hash.update(`unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}
