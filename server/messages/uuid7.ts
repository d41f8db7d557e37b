/**
 * Time-ordered UUIDs (RFC 9562 version 7), for message ids: the rows written
 * most, with an index on their id in both engines.
 *
 * A random (version 4) id lands on a random page of its index: a group commit
 * of 25 messages rewrote ~25 of that index's pages to the WAL, and once the
 * index outgrows the page cache each insert reads a page first (the same in
 * PostgreSQL's B-tree, plus a full-page image in the WAL for each page's first
 * change after a checkpoint). A version 7 id starts with the millisecond it
 * was made, so the ids of one commit share the index's last page or two
 * (docs/benchmarks.md, UUID7).
 *
 * A message's id carries its `at`, which every member sees anyway. The web
 * app's clientMsgIds stay random (version 4): the time in them would be the
 * sender's device clock when they pressed send, which the other members would
 * see (how long a message waited offline, the device's clock offset).
 *
 * Layout: 48 bits of Unix time in ms, the version (7), 12 random bits, the
 * variant (0b10), 62 random bits. 74 random bits per millisecond keep ids
 * unique across processes without coordination; ids of one millisecond are
 * not ordered among themselves, which an index does not need. It is still a
 * UUID, so every schema that takes one (`z.uuid()`) takes it.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Random bytes drawn in blocks: one `getRandomValues` per POOL_IDS ids rather than one each. */
const POOL_IDS = 256;
const pool = new Uint8Array(10 * POOL_IDS);
let used = pool.length;

/** A version 7 UUID for the time `ms` (Unix ms; now unless given: the server passes its injected clock's). */
export function uuid7(ms: number = Date.now()): string {
  if (used === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  const r = pool.subarray(used, used + 10);
  used += 10;
  // 48 bits of time: the high 16 and the low 32, as a double holds them exactly (until the year 10889).
  const t = Math.max(0, Math.min(Math.floor(ms), 0xffff_ffff_ffff));
  const high = Math.floor(t / 0x1_0000_0000);
  const low = t >>> 0;
  return (
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! +
    "-" +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    "-" +
    HEX[0x70 | (r[0]! & 0x0f)]! +
    HEX[r[1]!]! +
    "-" +
    HEX[0x80 | (r[2]! & 0x3f)]! +
    HEX[r[3]!]! +
    "-" +
    HEX[r[4]!]! +
    HEX[r[5]!]! +
    HEX[r[6]!]! +
    HEX[r[7]!]! +
    HEX[r[8]!]! +
    HEX[r[9]!]!
  );
}
