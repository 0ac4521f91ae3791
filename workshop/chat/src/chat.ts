// Chat: the data side of kappa-chat, without any UI. A record-db database in open mode
// (anyone with the chat key may write) holding the chat's records (chat-schemas.ts):
// record-db validates, stores, indexes and replicates them, lists a channel's messages in
// time order, and resolves a forked nick or topic by its fork rule. The Chat adds what a
// chat screen needs on top: sanitized lines with the author's nick, clamped clocks, and
// events for live updates. The terminal UI and --headless mode are thin layers on it.
import { EventEmitter } from 'node:events'
import type { SkippedEntry } from '@kappa-ts/kappa-core'
import type { JoinOptions } from '@kappa-ts/swarm'
import { RecordDB, RecordDbError, winner, type RecordChange, type RecordVersion } from '@kappa-ts/record-db'
import { ChatError } from './errors.js'
import { CHAT_SCHEMAS, MAX_RECORD_SIZE, MESSAGE, NICK, TOPIC, isChannel, type ChatMessage, type ChatNick, type ChatTopic } from './chat-schemas.js'
import { compareLines } from './message-store.js'
import { sanitize } from './sanitize.js'
import { lockStorage, type StorageLock } from './storage.js'

/** One message as the UI shows it: sanitized, with the author's current nick. */
export interface ChatLine {
  /** The version's ref, `<feed key>@<block>.<index>`: unique. */
  id: string
  channel: string
  /** The author's feed key (hex). */
  author: string
  nick: string
  text: string
  /** The author's timestamp; one from the future is clamped to when this peer first read it. */
  timestamp: number
}

export interface ChannelSummary { channel: string; messages: number; last: number; topic: string }

export interface ChatOptions {
  /** Storage folder (the record-db database: its logs and views). */
  storage: string
  /** The chat to join (128 hex chars: a record-db key). Absent: reopen the chat in `storage`, or create a new one. */
  key?: string
  /** Clock (tests). */
  now?: () => number
}

/** A version of a nick or topic record: several are current while concurrent changes are not merged. */
export type NickVersion = RecordVersion<ChatNick>
export type TopicVersion = RecordVersion<ChatTopic>

const CHAT_KEY = /^[0-9a-f]{128}$/
/** Future-dated messages whose first reading is remembered (the oldest go beyond). */
const MAX_CLAMPED = 10_000

/** Normalizes a chat key given by a user: 128 hex chars, optionally with a `kappa://` prefix. */
export function parseChatKey (input: string): string {
  const key = input.trim().replace(/^kappa:\/\//, '').toLowerCase()
  if (!CHAT_KEY.test(key)) throw new ChatError('ERR_BAD_KEY', 'a chat key is 128 hex characters')
  return key
}

/** A refused write, as the chat says it: what the schemas refuse is an invalid message. */
function chatError (err: unknown): unknown {
  if (!(err instanceof RecordDbError)) return err
  if (err.code === 'ERR_CLOSED') return new ChatError('ERR_CLOSED', 'the chat is closed', { cause: err })
  if (['ERR_VALIDATION', 'ERR_TOO_BIG', 'ERR_BAD_ID', 'ERR_APPEND_ONLY'].includes(err.code)) {
    return new ChatError('ERR_INVALID_MESSAGE', err.message, { cause: err })
  }
  return err
}

/**
 * Events (never 'error'):
 *  'message' (line: ChatLine)                    a message was indexed (ours or a peer's), live
 *  'nick' ({ author, nick })                     an author's resolved nick changed
 *  'topic' ({ channel, topic, author })          a channel's resolved topic changed
 *  'peers' (count: number)
 *  'problem' ({ view, error })                   the records view failed
 *  'invalid-entry' ({ view, key, block, index, code, reason })  a peer's block or entry could not be read, or is no valid chat record: skipped and recorded
 */
export class Chat extends EventEmitter {
  readonly db: RecordDB
  readonly storage: string
  private readonly now: () => number
  private readonly nicks = new Map<string, string>()
  private readonly topics = new Map<string, { topic: string; author: string }>()
  /** ref -> when this peer first read a message dated in its future. */
  private readonly firstRead = new Map<string, number>()
  private lock: StorageLock | null = null
  private unsubscribe: Array<() => void> = []
  private emitting: Promise<void> = Promise.resolve()
  private closed = false

  private constructor (db: RecordDB, storage: string, now: () => number) {
    super()
    this.db = db
    this.storage = storage
    this.now = now
  }

  /** Opens (or creates) the chat in `opts.storage`. Throws ChatError ERR_STORAGE_IN_USE / ERR_KEY_MISMATCH / ERR_BAD_KEY. */
  static async open (opts: ChatOptions): Promise<Chat> {
    const now = opts.now ?? Date.now
    const key = opts.key === undefined ? undefined : parseChatKey(opts.key)
    const lock = lockStorage(opts.storage)
    const db = new RecordDB(opts.storage, {
      mode: 'open', schemas: CHAT_SCHEMAS, maxRecordSize: MAX_RECORD_SIZE, now, ...(key === undefined ? {} : { key })
    })
    try {
      await db.ready()
    } catch (err) {
      await db.close().catch(() => {})
      lock.release()
      const code = (err as { code?: string }).code
      if (code === 'ERR_KEY_MISMATCH' || code === 'ERR_BAD_KEY' || code === 'ERR_MODE_MISMATCH') {
        throw new ChatError('ERR_KEY_MISMATCH', `${opts.storage} holds another chat; use another --storage`, { cause: err })
      }
      throw err
    }
    const chat = new Chat(db, opts.storage, now)
    chat.lock = lock
    chat.listen()
    return chat
  }

  /** The chat's key (share it to invite): the database key. */
  get key (): string { return this.db.key }
  /** The underlying Kappa (e.g. to replicate over a stream of your own). */
  get kappa (): RecordDB['kappa'] { return this.db.kappa }
  /** This peer's feed key: its identity in the chat. */
  async me (): Promise<string> { return this.db.writerKey }

  /**
   * Remote peers (their swarm public keys, hex) with a live, verified replication
   * stream: counted from the multifeed, which sees the streams that carry data.
   */
  get peers (): string[] {
    return [...new Set(this.db.kappa.multifeed.peers.map((p) => p.remotePublicKey ?? 'piped'))]
  }

  get peerCount (): number { return this.peers.length }

  /**
   * The swarm peers connected now, by the nick of the feed each writes (its feed key's
   * first 8 hex digits when it has no nick, its swarm key's while its status is on the way).
   */
  async peerNames (): Promise<string[]> {
    return Promise.all(this.db.peers.map(async (p) => {
      if (p.writers.length === 0) return `${shortKey(p.remotePublicKey)} (connecting)`
      return (await Promise.all(p.writers.map((w) => this.nickOf(w)))).join('/')
    }))
  }

  private listen (): void {
    // Record-db reports each indexed version, in index order, with its value. Lines go out in
    // that order too: a nick lookup must not let one overtake another.
    const onChange = (c: RecordChange): void => {
      this.emitting = this.emitting.then(async () => {
        if (this.closed) return
        if (c.schema === MESSAGE && c.op === 'put') {
          const line = this.toLine(c.ref, c.feed, c.value as ChatMessage, await this.nickOf(c.feed))
          if (!this.closed) this.emit('message', line)
        } else if (c.schema === NICK) {
          await this.resolveNick(c.id)
        } else if (c.schema === TOPIC) {
          await this.resolveTopic(c.id)
        }
      }).catch(() => {}) // closed meanwhile
    }
    this.db.on('change', onChange)
    const peers = (): void => { this.emit('peers', this.peerCount) }
    const multifeed = this.db.kappa.multifeed
    multifeed.on('peer-add', peers)
    multifeed.on('peer-remove', peers)
    const problem = (view: string, error: Error): void => { this.emit('problem', { view, error }) }
    this.db.on('view-error', problem)
    // A block or entry that cannot be read, or is no valid chat record (a peer may write
    // anything): record-db skips and records it.
    const skip = (s: SkippedEntry): void => {
      this.emit('invalid-entry', { view: 'records', key: s.key, block: s.block, index: s.index, code: s.code, reason: s.reason })
    }
    this.db.on('skip', skip)
    this.unsubscribe.push(() => {
      this.db.off('change', onChange)
      multifeed.off('peer-add', peers)
      multifeed.off('peer-remove', peers)
      this.db.off('view-error', problem)
      this.db.off('skip', skip)
    })
  }

  /** Re-reads an author's nick; emits 'nick' when what is shown changes. */
  private async resolveNick (author: string): Promise<string> {
    const best = winner(await this.db.get<ChatNick>(NICK, author))
    const nick = best === null ? shortKey(author) : sanitize((best.value as ChatNick).nick, 64)
    if (this.nicks.get(author) !== nick) {
      this.nicks.set(author, nick)
      if (!this.closed) this.emit('nick', { author, nick })
    }
    return nick
  }

  /** Re-reads a channel's topic; emits 'topic' when what is shown changes. */
  private async resolveTopic (channel: string): Promise<string> {
    const best = winner(await this.db.get<ChatTopic>(TOPIC, channel))
    const topic = best === null ? '' : sanitize((best.value as ChatTopic).topic, 512)
    const author = best?.feed ?? ''
    const prev = this.topics.get(channel)
    if (prev === undefined || prev.topic !== topic) {
      this.topics.set(channel, { topic, author })
      if (!this.closed) this.emit('topic', { channel, topic, author })
    }
    return topic
  }

  /** Waits until every entry known now is indexed. */
  indexed (): Promise<void> { return this.db.indexed() }

  /** Finds peers: hyperswarm on the chat's discovery key. */
  async join (opts: JoinOptions = {}): Promise<void> {
    await this.db.join(opts)
  }

  /** Sends a message; returns its id (the version's ref, as its ChatLine has it). */
  async send (channel: string, text: string): Promise<string> {
    this.assertOpen()
    if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
    try {
      return (await this.db.putVersion<ChatMessage>(MESSAGE, { channel, text, timestamp: this.now() })).ref
    } catch (err) {
      throw chatError(err)
    }
  }

  /** Sets our nick: a chat/nick record under our feed key, replacing (merging) every current version. */
  async setNick (nick: string): Promise<void> {
    this.assertOpen()
    try {
      await this.db.put(NICK, { nick, timestamp: this.now() })
    } catch (err) {
      throw chatError(err)
    }
  }

  /** Sets a channel's topic, replacing (merging) every current version. */
  async setTopic (channel: string, topic: string): Promise<void> {
    this.assertOpen()
    if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
    try {
      await this.db.put(TOPIC, { channel, topic, timestamp: this.now() })
    } catch (err) {
      throw chatError(err)
    }
  }

  /** The nick an author's lines show: record-db's winner among its current versions (a short key when none is set). */
  async nickOf (author: string): Promise<string> {
    return this.nicks.get(author) ?? await this.resolveNick(author)
  }

  /** Every current version of a nick (several while concurrent changes are not merged), the winner last. */
  nickHeads (author: string): Promise<NickVersion[]> { return this.db.get<ChatNick>(NICK, author) }

  /** A channel's topic: record-db's winner among its current versions ('' when none is set). */
  async topicOf (channel: string): Promise<string> {
    return this.topics.get(channel)?.topic ?? await this.resolveTopic(channel)
  }

  /** Every current version of a channel's topic, the winner last. */
  topicHeads (channel: string): Promise<TopicVersion[]> { return this.db.get<ChatTopic>(TOPIC, channel) }

  /** The last `limit` messages of a channel, oldest first: one ordered read of record-db's [channel, timestamp] index. */
  async history (channel: string, limit = 500): Promise<ChatLine[]> {
    if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
    const lines: ChatLine[] = []
    for await (const v of this.db.query<ChatMessage>(MESSAGE, { where: { channel }, order: 'timestamp', reverse: true, limit })) {
      lines.push(this.toLine(v.ref, v.feed, v.value as ChatMessage, await this.nickOf(v.feed)))
    }
    return lines.sort(compareLines)
  }

  /** Channels with messages or a topic, by name. */
  async channels (): Promise<ChannelSummary[]> {
    const names = new Set<string>()
    for (const schema of [MESSAGE, TOPIC]) {
      for await (const c of this.db.values(schema, 'channel')) if (isChannel(c)) names.add(c)
    }
    return Promise.all([...names].sort().map(async (channel) => {
      const [latest] = await collect(this.db.query<ChatMessage>(MESSAGE, { where: { channel }, order: 'timestamp', reverse: true, limit: 1 }))
      return {
        channel,
        messages: await this.db.count(MESSAGE, { where: { channel } }),
        last: latest === undefined ? 0 : this.clamp(latest.ref, (latest.value as ChatMessage).timestamp),
        topic: await this.topicOf(channel)
      }
    }))
  }

  private toLine (ref: string, author: string, value: ChatMessage, nick: string): ChatLine {
    return { id: ref, channel: value.channel, author, nick, text: sanitize(value.text), timestamp: this.clamp(ref, value.timestamp) }
  }

  /**
   * A timestamp from this peer's future is clamped to when this peer first read the message,
   * so a peer whose clock runs ahead cannot pin its messages below every later one. Kept for
   * this Chat's life (a restart reads them again), so it is no part of any stored state.
   */
  private clamp (ref: string, timestamp: number): number {
    const first = this.firstRead.get(ref)
    if (first !== undefined) return first
    const now = this.now()
    if (timestamp <= now) return timestamp
    this.firstRead.set(ref, now)
    if (this.firstRead.size > MAX_CLAMPED) this.firstRead.delete(this.firstRead.keys().next().value as string)
    return now
  }

  private assertOpen (): void {
    if (this.closed) throw new ChatError('ERR_CLOSED', 'the chat is closed')
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const stop of this.unsubscribe) stop()
    await this.emitting
    await this.db.close()
    this.lock?.release()
  }
}

async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export function shortKey (key: string): string { return key.slice(0, 8) }
