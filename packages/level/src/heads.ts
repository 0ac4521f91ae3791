// The heads of a key and the conflict rule.
//
// Every write of a key names (links) the writes of that key it replaces: all the
// heads its writer had seen. A key's heads are its writes that no write of the same
// key links. One head is the normal case; several mean writers wrote the key without
// seeing each other's writes (a conflict). Which writes are heads depends only on the
// set of writes, not on the order they arrived in.
//
// The conflict rule picks the head a read returns (the winner), from the heads alone:
//   1. the highest clock wins (a write's clock is 1 + the highest clock of the writes
//      it replaced: the write that has seen the longest history of the key);
//   2. on equal clocks, the greater writer key (bytewise) wins;
//   3. on the same writer, the later write in that writer's log wins.
// A delete is a write like any other: if it wins, the key reads as absent.
// So every peer that has the same writes reads the same value, whatever the order
// they arrived in (the same idea as CouchDB's deterministic winning revision).
import { compareOpIds } from './positions.js'
import type { Stored } from './keys.js'

export interface Head {
  /** The op id of the write (see positions.ts). */
  id: string
  clock: number
  del: boolean
  /**
   * The value of a put. Kept in the heads record only for heads that do not win
   * (the winner's value lives in the value table, where range reads find it);
   * undefined for the winner as read from storage, and for deletes.
   */
  value: Stored | undefined
}

/** Positive if head `a` ranks above head `b` under the conflict rule. */
export function compareHeads (a: Head, b: Head): number {
  if (a.clock !== b.clock) return a.clock - b.clock
  return compareOpIds(a.id, b.id)
}

/** The winning head, or null if there are no heads. */
export function winnerOf (heads: Iterable<Head>): Head | null {
  let best: Head | null = null
  for (const h of heads) if (best === null || compareHeads(h, best) > 0) best = h
  return best
}

// The heads record of a key, a string. The common case, one head (whose value, as
// the winner's, is in the value table), is `<clock> <flags> <id>`; any other set of
// heads is JSON: [[id, clock, flags, value?], ...], the winner first, then the others
// in id order, only the heads that do not win carrying their value. flags: 1 = delete, 4 = value is base64 bytes.
const FLAG_DEL = 1
const FLAG_VALUE_BYTES = 4

type EncodedHead = [string, number, number] | [string, number, number, string]

/** The record of `heads` (winner first, only the losers' values), as stored. */
export function encodeHeads (heads: Head[], winner: Head | null): string {
  if (heads.length === 1 && winner === heads[0]) return String(winner.clock) + (winner.del ? ' 1 ' : ' 0 ') + winner.id
  const out: EncodedHead[] = []
  if (winner !== null) out.push([winner.id, winner.clock, winner.del ? FLAG_DEL : 0])
  // the rest in id order: the record is a function of the set of heads, not of arrival order
  const rest = heads.length > 2 ? [...heads].sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0) : heads
  for (const h of rest) {
    if (h === winner) continue
    if (h.del) out.push([h.id, h.clock, FLAG_DEL])
    else if (typeof h.value === 'string') out.push([h.id, h.clock, 0, h.value])
    else if (h.value !== undefined) out.push([h.id, h.clock, FLAG_VALUE_BYTES, Buffer.from(h.value.buffer, h.value.byteOffset, h.value.byteLength).toString('base64')])
    else throw new Error(`heads record: the value of ${h.id} is not loaded`)
  }
  return JSON.stringify(out)
}

/** The heads of a stored record; the winner (first) without its value. */
export function decodeHeads (text: string): Head[] {
  if (text.charCodeAt(0) !== 0x5b /* [ */) {
    const a = text.indexOf(' ')
    return [{ id: text.slice(a + 3), clock: Number(text.slice(0, a)), del: text.charCodeAt(a + 1) === 0x31 /* 1 */, value: undefined }]
  }
  const raw = JSON.parse(text) as EncodedHead[]
  const heads = new Array<Head>(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const [id, clock, flags, value] = raw[i]!
    let v: Stored | undefined
    if (value !== undefined) {
      if ((flags & FLAG_VALUE_BYTES) !== 0) {
        const buf = Buffer.from(value, 'base64')
        v = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      } else {
        v = value
      }
    }
    heads[i] = { id, clock, del: (flags & FLAG_DEL) !== 0, value: v }
  }
  return heads
}
