// Chat: the data side of kappa-chat, without any UI. A Kappa with the chat
// views, a writer for this peer's records, nick/topic resolution, and events
// for live updates. The terminal UI and --headless mode are thin layers on it.
import { EventEmitter } from 'node:events'
import crypto from 'node:crypto'
import { Kappa, entryId, type JoinOptions, type SkippedEntry } from '@kappa-ts/kappa-core'
import type { ListItem } from '@kappa-ts/view-list'
import { ChatError } from './errors.js'
import { messageRecord, nickRecord, topicRecord, isChannel, type Envelope, type ChatMessage } from './records.js'
import { chatViews, channelRange, decodeSortKey, resolveHeads, type MetaHead } from './views.js'
import { sanitize } from './sanitize.js'
import { lockStorage, type StorageLock } from './storage.js'

/** One message as the UI shows it: sanitized, with the author's current nick. */
export interface ChatLine {
  /** `<feed key>@<block>.<index>`: unique. */
  id: string
  channel: string
  /** The author's feed key (hex). */
  author: string
  nick: string
  text: string
  /** The author's timestamp, clamped to the indexing peer's clock. */
  timestamp: number
}

export interface ChannelSummary { channel: string; messages: number; last: number; topic: string }

export interface ChatOptions {
  /** Storage folder (Corestore + views). */
  storage: string
  /** The chat to join (64 hex chars). Absent: reopen the chat in `storage`, or create a new one. */
  key?: string
  /** Clock (tests). */
  now?: () => number
}

type Views = ReturnType<typeof chatViews>
type ChatKappa = Kappa<{ messages: Views['messages']; meta: Views['meta']; channels: Views['channels'] }>

const HEX64 = /^[0-9a-f]{64}$/i

/** Normalizes a chat key given by a user: 64 hex chars, optionally with a `kappa://` prefix. */
export function parseChatKey (input: string): string {
  const key = input.trim().replace(/^kappa:\/\//, '').toLowerCase()
  if (!HEX64.test(key)) throw new ChatError('ERR_BAD_KEY', 'a chat key is 64 hex characters')
  return key
}

/**
 * Events (never 'error'):
 *  'message' (line: ChatLine)                    a message was indexed (ours or a peer's), live
 *  'nick' ({ author, nick })                     an author's resolved nick changed
 *  'topic' ({ channel, topic, author })          a channel's resolved topic changed
 *  'peers' (count: number)
 *  'problem' ({ view, error })                   a view failed (it stops at that entry; the others go on)
 *  'invalid-entry' ({ view, key, block, index, code, reason })  a peer's block or entry could not be read, or is no chat record: skipped and recorded
 */
export class Chat extends EventEmitter {
  readonly kappa: ChatKappa
  readonly storage: string
  private readonly now: () => number
  private readonly nicks = new Map<string, string>()
  private readonly topics = new Map<string, { topic: string; author: string }>()
  private lock: StorageLock | null = null
  private unsubscribe: Array<() => void> = []
  private closed = false

  private constructor (kappa: ChatKappa, storage: string, now: () => number) {
    super()
    this.kappa = kappa
    this.storage = storage
    this.now = now
  }

  /** Opens (or creates) the chat in `opts.storage`. Throws ChatError ERR_STORAGE_IN_USE / ERR_KEY_MISMATCH / ERR_BAD_KEY. */
  static async open (opts: ChatOptions): Promise<Chat> {
    const now = opts.now ?? Date.now
    const key = opts.key === undefined ? undefined : parseChatKey(opts.key)
    const lock = lockStorage(opts.storage)
    const views = chatViews(now)
    const kappa = new Kappa(opts.storage, key === undefined ? {} : { key })
      .use('messages', views.messages)
      .use('meta', views.meta)
      .use('channels', views.channels)
    const chat = new Chat(kappa, opts.storage, now)
    chat.lock = lock
    try {
      await kappa.ready()
    } catch (err) {
      await kappa.close().catch(() => {})
      lock.release()
      if ((err as { code?: string }).code === 'ERR_KEY_MISMATCH') {
        throw new ChatError('ERR_KEY_MISMATCH', `${opts.storage} holds another chat; use another --storage`)
      }
      throw err
    }
    chat.listen()
    return chat
  }

  /** A fresh random chat key, for a new chat. */
  static newKey (): string { return crypto.randomBytes(32).toString('hex') }

  /** The chat's key (share it to invite). */
  get key (): string { return this.kappa.key.toString('hex') }
  /** This peer's feed key: its identity in the chat. */
  async me (): Promise<string> { return (await this.kappa.writer()).key }

  /**
   * Remote peers (their swarm public keys, hex) with a live, verified replication
   * stream: counted from the multifeed, which sees the streams that carry data.
   */
  get peers (): string[] {
    return [...new Set(this.kappa.multifeed.peers.map((p) => p.remotePublicKey ?? 'piped'))]
  }

  get peerCount (): number { return this.peers.length }

  /**
   * The swarm peers connected now, by the nick of the feed each writes (its feed key's
   * first 8 hex digits when it has no nick, its swarm key's while its status is on the way).
   */
  async peerNames (): Promise<string[]> {
    return Promise.all(this.kappa.peers.map(async (p) => {
      if (p.writers.length === 0) return `${shortKey(p.remotePublicKey)} (connecting)`
      return (await Promise.all(p.writers.map((w) => this.nickOf(w)))).join('/')
    }))
  }

  private listen (): void {
    const api = this.kappa.api
    // Lines are emitted in the order the view indexed them (a nick lookup must not let one overtake another).
    let emitting: Promise<void> = Promise.resolve()
    this.unsubscribe.push(api.messages.onInsert((items) => {
      emitting = emitting.then(async () => {
        for (const item of items) {
          const line = await this.toLine(item).catch(() => null)
          if (line !== null && !this.closed) this.emit('message', line)
        }
      })
    }))
    this.unsubscribe.push(api.meta.onUpdate(null, (u) => this.onMeta(u.key, u.heads)))
    const peers = () => this.emit('peers', this.peerCount)
    this.kappa.multifeed.on('peer-add', peers)
    this.kappa.multifeed.on('peer-remove', peers)
    this.kappa.on('view-error', (view: string, error: Error) => this.emit('problem', { view, error }))
    // A block or entry that cannot be read at all (a peer may write raw bytes): skipped and
    // recorded by each view, reported once per view.
    this.kappa.on('skip', (view: string, skip: SkippedEntry) => {
      this.emit('invalid-entry', { view, key: skip.key, block: skip.block, index: skip.index, code: skip.code, reason: skip.reason })
    })
  }

  private onMeta (key: string, heads: MetaHead[]): void {
    const best = resolveHeads(heads)
    if (key.startsWith('nick:')) {
      const author = key.slice(5)
      const nick = best === null ? shortKey(author) : sanitize(best.value.text, 64)
      if (this.nicks.get(author) === nick) return
      this.nicks.set(author, nick)
      this.emit('nick', { author, nick })
    } else if (key.startsWith('topic:')) {
      const channel = key.slice(6)
      const topic = best === null ? '' : sanitize(best.value.text, 512)
      const prev = this.topics.get(channel)
      if (prev !== undefined && prev.topic === topic) return
      this.topics.set(channel, { topic, author: best?.key ?? '' })
      this.emit('topic', { channel, topic, author: best?.key ?? '' })
    }
  }

  /** Waits until every view has indexed every entry known now. */
  indexed (): Promise<void> { return this.kappa.indexed() }

  /** Finds peers: hyperswarm on the chat's discovery key. */
  async join (opts: JoinOptions = {}): Promise<void> {
    await this.kappa.join(opts)
  }

  async send (channel: string, text: string): Promise<string> {
    this.assertOpen()
    const record = messageRecord(channel, text, this.now())
    const writer = await this.kappa.writer()
    return entryId(writer.key, await writer.append(record))
  }

  /** Sets our nick. The record links the current heads of our nick, so it replaces them. */
  async setNick (nick: string): Promise<void> {
    this.assertOpen()
    const writer = await this.kappa.writer()
    const heads = await this.kappa.api.meta.get(`nick:${writer.key}`)
    await writer.append(nickRecord(writer.key, nick, heads.map((h) => h.id), this.now()))
  }

  /** Sets a channel's topic, replacing (merging) every current head. */
  async setTopic (channel: string, topic: string): Promise<void> {
    this.assertOpen()
    if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
    const writer = await this.kappa.writer()
    const heads = await this.kappa.api.meta.get(`topic:${channel}`)
    await writer.append(topicRecord(channel, topic, heads.map((h) => h.id), this.now()))
  }

  /** The resolved nick of an author (a short key when none is set). */
  async nickOf (author: string): Promise<string> {
    const cached = this.nicks.get(author)
    if (cached !== undefined) return cached
    const best = resolveHeads(await this.kappa.api.meta.get(`nick:${author}`))
    const nick = best === null ? shortKey(author) : sanitize(best.value.text, 64)
    // an update indexed meanwhile is newer than what we read: keep it
    if (!this.nicks.has(author)) this.nicks.set(author, nick)
    return this.nicks.get(author)!
  }

  /** Every current head of a nick (several while concurrent changes are not merged). */
  nickHeads (author: string): Promise<MetaHead[]> { return this.kappa.api.meta.get(`nick:${author}`) }

  async topicOf (channel: string): Promise<string> {
    const cached = this.topics.get(channel)
    if (cached !== undefined) return cached.topic
    const best = resolveHeads(await this.kappa.api.meta.get(`topic:${channel}`))
    const topic = best === null ? '' : sanitize(best.value.text, 512)
    if (!this.topics.has(channel)) this.topics.set(channel, { topic, author: best?.key ?? '' })
    return this.topics.get(channel)!.topic
  }

  /** The last `limit` messages of a channel, oldest first. */
  async history (channel: string, limit = 500): Promise<ChatLine[]> {
    if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
    const items = await this.kappa.api.messages.read({ ...channelRange(channel), reverse: true, limit })
    const lines: ChatLine[] = []
    for (let i = items.length - 1; i >= 0; i--) {
      const line = await this.toLine(items[i]!)
      if (line !== null) lines.push(line)
    }
    return lines
  }

  /** Channels with messages or a topic, by name. */
  async channels (): Promise<ChannelSummary[]> {
    const all = await this.kappa.api.channels.all()
    return Promise.all(all.map(async (c) => ({ ...c, topic: await this.topicOf(c.channel) })))
  }

  private async toLine (item: ListItem<Envelope<ChatMessage>>): Promise<ChatLine | null> {
    const [channel, timestamp] = decodeSortKey(item.sortKey)
    const text = item.value?.value?.text
    if (typeof text !== 'string') return null
    return {
      id: entryId(item.key, item.address),
      channel,
      author: item.key,
      nick: await this.nickOf(item.key),
      text: sanitize(text),
      timestamp
    }
  }

  private assertOpen (): void {
    if (this.closed) throw new ChatError('ERR_CLOSED', 'the chat is closed')
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const stop of this.unsubscribe) stop()
    await this.kappa.close()
    this.lock?.release()
  }
}

export function shortKey (key: string): string { return key.slice(0, 8) }
