/**
 * How much of a refused inbound file is stored: all of it while the sender's refused bytes of the
 * business day stay within the quota (limits.refusedBytesStoredPerSenderPerDayMax), the first
 * limits.refusedFilePrefixBytes past it. The message row keeps the whole file's SHA-256 and size either
 * way, and the answer is stored as for any message (docs/validation.md#memory-and-storage-bounds).
 */
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';

/**
 * Bytes of a refused file of `size` bytes to store, counting them against the sender's quota of the
 * day when it is stored whole (in the caller's transaction, under the quota row's lock).
 */
export async function refusedBytesToStore(tx: Queryable, sender: string, businessDate: string, size: number,
  quotaBytes: number = limits.refusedBytesStoredPerSenderPerDayMax): Promise<number> {
  if (size <= quotaBytes) {
    const [counted] = await tx.query<{ stored_bytes: bigint }>(
      `INSERT INTO refused_storage (participant, business_date, stored_bytes) VALUES ($1, $2::date, $3)
       ON CONFLICT (participant, business_date) DO UPDATE SET stored_bytes = refused_storage.stored_bytes + EXCLUDED.stored_bytes
        WHERE refused_storage.stored_bytes + EXCLUDED.stored_bytes <= $4
       RETURNING stored_bytes`, [sender, businessDate, size, quotaBytes]);
    if (counted) return size;
  }
  return Math.min(size, limits.refusedFilePrefixBytes);
}
