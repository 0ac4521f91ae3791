// Starting kappa-chat from its command-line options: pick the storage, open the
// chat, start or find the local DHT, join the swarm, set the nick. Shared by
// the terminal UI and --headless.
import fs from 'node:fs'
import path from 'node:path'
import { Chat, parseChatKey } from './chat.js'
import { ChatError } from './errors.js'
import { localDht, LOCAL_DHT_PORT, type LocalDht } from './local-dht.js'
import { chatHome, defaultStorage, lastChat, rememberChat } from './storage.js'

export interface SessionOptions {
  /**
   * Chat key to join. Absent: the chat in `storage`, else the chat opened last with the
   * default storage (`<home>/last-chat`), else a new one.
   */
  key?: string
  storage?: string
  /** A new chat even though one was opened before (not with `key`). */
  newChat?: boolean
  nick?: string
  /** host:port list (else KAPPA_BOOTSTRAP, else the public DHT). */
  bootstrap?: string
  /** Run (or reuse) a DHT node on 127.0.0.1:localPort. */
  local?: boolean
  localPort?: number
  /** Do not join the swarm at all. */
  offline?: boolean
}

export interface Session {
  chat: Chat
  me: string
  /** The DHT bootstrap used ('' when offline, 'public' for the default). */
  bootstrap: string
  /** --offline: join() does nothing. */
  offline: boolean
  dht: LocalDht | null
  /** Joins the swarm (resolves after the first announce and lookup). */
  join(): Promise<void>
  close(): Promise<void>
}

/**
 * A new chat in the default home: its key is made when its database is (it starts with the
 * creator's feed key), so the chat is created in a scratch folder, then moved to the folder
 * its key names, where a plain restart finds it.
 */
async function newChatStorage (): Promise<string> {
  const home = chatHome()
  fs.mkdirSync(home, { recursive: true })
  const scratch = fs.mkdtempSync(path.join(home, '.new-'))
  try {
    const chat = await Chat.open({ storage: scratch })
    const key = chat.key
    await chat.close()
    const dir = defaultStorage(key)
    fs.renameSync(scratch, dir)
    return dir
  } catch (err) {
    fs.rmSync(scratch, { recursive: true, force: true })
    throw err
  }
}

export async function startSession (opts: SessionOptions): Promise<Session> {
  if (opts.newChat === true && opts.key !== undefined) throw new ChatError('ERR_BAD_OPTION', 'a new chat has a new key: pass a KEY or --new, not both')
  let key = opts.key === undefined ? undefined : parseChatKey(opts.key)
  let storage = opts.storage
  if (opts.newChat === true && storage !== undefined && fs.existsSync(storage) && fs.readdirSync(storage).length > 0) {
    throw new ChatError('ERR_BAD_OPTION', `${storage} is not empty: a new chat needs a new folder`)
  }
  const byDefault = storage === undefined
  if (storage === undefined) {
    if (opts.newChat !== true) key ??= lastChat() ?? undefined
    storage = key === undefined ? await newChatStorage() : defaultStorage(key)
  }
  const chat = await Chat.open(key === undefined ? { storage } : { storage, key })
  if (byDefault) {
    try {
      rememberChat(chat.key)
    } catch (err) {
      await chat.close()
      throw err
    }
  }
  const me = await chat.me()
  let dht: LocalDht | null = null
  let bootstrap: string[] | undefined
  try {
    if (opts.local === true) {
      dht = await localDht(opts.localPort ?? LOCAL_DHT_PORT)
      bootstrap = [dht.address]
    } else if (opts.bootstrap !== undefined && opts.bootstrap !== '') {
      bootstrap = [opts.bootstrap]
    }
    if (opts.nick !== undefined && opts.nick !== '' && (await chat.nickOf(me)) !== opts.nick) await chat.setNick(opts.nick)
  } catch (err) {
    await chat.close()
    await dht?.close()
    throw err
  }
  const where = opts.offline === true ? '' : bootstrap !== undefined ? bootstrap.join(',') : (process.env.KAPPA_BOOTSTRAP || 'public')
  return {
    chat,
    me,
    bootstrap: where,
    offline: opts.offline === true,
    dht,
    join: () => (opts.offline === true ? Promise.resolve() : chat.join(bootstrap === undefined ? {} : { bootstrap })),
    async close () {
      await chat.close()
      await dht?.close()
    }
  }
}

/** The command another terminal (or machine) runs to join this session's chat, as the READMEs write it. */
export function joinCommand (session: Pick<Session, 'chat' | 'dht' | 'bootstrap' | 'offline'>): string {
  const key = session.chat.key
  if (session.dht !== null) {
    const port = Number(session.dht.address.split(':').pop())
    return `npx kappa-chat ${key} --local${port === LOCAL_DHT_PORT ? '' : ` --local-port ${port}`}`
  }
  const viaBootstrap = !session.offline && session.bootstrap !== 'public' && session.bootstrap !== ''
  return `npx kappa-chat ${key}${viaBootstrap ? ` --bootstrap ${session.bootstrap}` : ''}`
}
