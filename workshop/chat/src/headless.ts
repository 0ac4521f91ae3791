// --headless: commands on stdin (one per line, as typed in the UI), JSON lines
// on stdout. For scripts, bots and tests.
import readline from 'node:readline'
import type { Writable, Readable } from 'node:stream'
import type { ChatLine } from './chat.js'
import { parseCommand, HELP } from './commands.js'
import { MessageStore } from './message-store.js'
import { joinCommand, type Session } from './session.js'

export interface HeadlessOptions {
  channel?: string
  input?: Readable
  output?: Writable
}

/** Runs until /quit or the end of input. */
export async function runHeadless (session: Session, opts: HeadlessOptions = {}): Promise<void> {
  const { chat, me } = session
  const out = opts.output ?? process.stdout
  const emit = (obj: Record<string, unknown>): void => { out.write(JSON.stringify(obj) + '\n') }
  const store = new MessageStore()
  let channel = opts.channel ?? '#general'
  const print = (line: ChatLine, history: boolean) => { if (store.add(line)) emit({ type: 'message', history, ...line }) }

  // Listen first, read history second: the store drops what both deliver.
  let live = false
  const early: ChatLine[] = []
  chat.on('message', (line: ChatLine) => { if (live) print(line, false); else early.push(line) })
  chat.on('nick', (e: { author: string; nick: string }) => emit({ type: 'nick', ...e }))
  chat.on('topic', (e: { channel: string; topic: string; author: string }) => emit({ type: 'topic', ...e }))
  chat.on('peers', (count: number) => emit({ type: 'peers', count }))
  chat.on('problem', (p: { view: string; error: unknown }) => emit({ type: 'problem', view: p.view, message: String((p.error as Error)?.message ?? p.error) }))
  chat.on('invalid-entry', (e: { view: string; key: string; block: number; index: number | null; code: string; reason: string }) => emit({ type: 'invalid-entry', ...e }))

  await chat.indexed()
  for (const c of await chat.channels()) for (const line of await chat.history(c.channel)) print(line, true)
  for (const line of early) print(line, false)
  live = true
  emit({ type: 'ready', key: chat.key, me, nick: await chat.nickOf(me), channel, storage: chat.storage, bootstrap: session.bootstrap, local: session.dht?.owned ?? null })

  if (!session.offline) {
    await session.join()
    emit({ type: 'joined-swarm', peers: chat.peerCount })
  }

  const rl = readline.createInterface({ input: opts.input ?? process.stdin, terminal: false })
  for await (const raw of rl) {
    const cmd = parseCommand(raw)
    try {
      switch (cmd.kind) {
        case 'none': break
        case 'say': emit({ type: 'sent', id: await chat.send(channel, cmd.text), channel }); break
        case 'join':
          channel = cmd.channel
          emit({ type: 'joined', channel, topic: await chat.topicOf(channel) })
          break
        case 'nick': await chat.setNick(cmd.nick); emit({ type: 'ok', command: 'nick' }); break
        case 'topic': await chat.setTopic(channel, cmd.topic); emit({ type: 'ok', command: 'topic' }); break
        case 'show-topic': emit({ type: 'topic', channel, topic: await chat.topicOf(channel) }); break
        case 'channels': emit({ type: 'channels', channels: await chat.channels() }); break
        case 'peers': emit({ type: 'peers', count: chat.peerCount, peers: chat.peers, names: await chat.peerNames() }); break
        case 'key': emit({ type: 'key', key: chat.key, join: joinCommand(session) }); break
        case 'history': emit({ type: 'history', channel, lines: await chat.history(channel) }); break
        case 'help': emit({ type: 'help', text: HELP }); break
        case 'invalid': emit({ type: 'error', code: 'ERR_BAD_COMMAND', message: cmd.message }); break
        case 'quit': rl.close(); break
      }
    } catch (err) {
      emit({ type: 'error', code: (err as { code?: string }).code ?? 'ERR_UNKNOWN', message: (err as Error).message })
    }
    if (cmd.kind === 'quit') break
  }
  emit({ type: 'bye' })
}
