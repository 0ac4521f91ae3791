// Entry addresses as text, for ids that name an entry (`<feed>@<block>.<index>`),
// and the checks on what callers pass in.
import type { Address } from '@kappa-ts/multifeed-index'

const HEX_KEY = /^[0-9a-f]{64}$/i
const ENTRY_ID = /^([0-9a-f]{64})@(\d{1,16})\.(\d{1,5})$/

/** A feed key as lowercase hex, or null when it is not 64 hex characters. */
export function parseFeedKey (key: unknown): string | null {
  return typeof key === 'string' && HEX_KEY.test(key) ? key.toLowerCase() : null
}

export function isAddress (a: unknown): a is Address {
  if (a === null || typeof a !== 'object') return false
  const { block, index } = a as Partial<Address>
  return Number.isSafeInteger(block) && (block as number) >= 0 && Number.isSafeInteger(index) && (index as number) >= 0
}

/** `<block>.<index>`: an address as text. */
export function formatAddress (address: Address): string {
  return `${address.block}.${address.index}`
}

/** `<feed>@<block>.<index>`: names one entry of one feed (the default id of kv docs, record refs). */
export function entryId (feedKey: string, address: Address): string {
  return `${feedKey}@${address.block}.${address.index}`
}

/** The feed and address an entry id names, or null when `id` is not one. */
export function parseEntryId (id: string): { key: string; address: Address } | null {
  const m = ENTRY_ID.exec(id)
  if (m === null) return null
  const block = Number(m[2])
  const index = Number(m[3])
  if (!Number.isSafeInteger(block)) return null
  return { key: m[1]!.toLowerCase(), address: { block, index } }
}

/** Log order of two addresses of one feed. */
export function compareAddress (a: Address, b: Address): number {
  return a.block - b.block || a.index - b.index
}
