#!/usr/bin/env node
// kappa-chat: a peer-to-peer terminal chat on kappa-core.
//   kappa-chat                  reopen the chat opened last (or create one) and print its key
//   kappa-chat --new            create a new chat
//   kappa-chat KEY              join a chat
//   kappa-chat --local          start (or reuse) a DHT node on 127.0.0.1 for offline use
//   kappa-chat --headless       commands on stdin, JSON lines on stdout
import { Command, InvalidArgumentError } from 'commander'
import { joinCommand, startSession } from './session.js'
import { LOCAL_DHT_PORT } from './local-dht.js'
import { isChannel } from './chat-schemas.js'

/** Longest wait for a clean close on quit. */
const CLOSE_GRACE_MS = 3000

const program = new Command()
  .name('kappa-chat')
  .description('A peer-to-peer chat over kappa-core: every author a log, every peer the same views.')
  .argument('[key]', 'chat key to join (128 hex); without it, the chat opened last (or a new one)')
  .option('--new', 'create a new chat (a plain restart reopens the last one)')
  .option('--storage <dir>', 'storage folder (default: ~/.kappa-chat/<key>, or $KAPPA_CHAT_HOME)')
  .option('--nick <name>', 'your nickname')
  .option('--channel <#name>', 'channel to start in', (v) => {
    const c = v.startsWith('#') ? v : `#${v}`
    if (!isChannel(c)) throw new InvalidArgumentError('a channel is # and 1-64 of A-Z a-z 0-9 _ -')
    return c
  }, '#general')
  .option('--bootstrap <host:port,...>', 'DHT bootstrap nodes (default: $KAPPA_BOOTSTRAP, else the public DHT)')
  .option('--local', `run (or reuse) a DHT node on 127.0.0.1:${LOCAL_DHT_PORT}: chat between terminals with no network`)
  .option('--local-port <port>', 'port of the --local DHT node', (v) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is 1..65535')
    return n
  })
  .option('--offline', 'do not connect to anyone')
  .option('--headless', 'no UI: commands on stdin, JSON lines on stdout')
  .showHelpAfterError()

program.parse()
const opts = program.opts<{ new?: boolean; storage?: string; nick?: string; channel: string; bootstrap?: string; local?: boolean; localPort?: number; offline?: boolean; headless?: boolean }>()
const [key] = program.args
if (opts.new === true && key !== undefined) program.error('error: --new creates a chat with a new key: pass a KEY or --new, not both', { exitCode: 2 })

async function main (): Promise<void> {
  if (opts.headless !== true && (!process.stdin.isTTY || !process.stdout.isTTY)) {
    process.stderr.write('kappa-chat: the chat UI needs a terminal; use --headless for scripts (commands on stdin, JSON lines out)\n')
    process.exit(2)
  }
  const session = await startSession({
    ...(key !== undefined ? { key } : {}),
    ...(opts.new === true ? { newChat: true } : {}),
    ...(opts.storage !== undefined ? { storage: opts.storage } : {}),
    ...(opts.nick !== undefined ? { nick: opts.nick } : {}),
    ...(opts.bootstrap !== undefined ? { bootstrap: opts.bootstrap } : {}),
    ...(opts.local === true ? { local: true } : {}),
    ...(opts.localPort !== undefined ? { localPort: opts.localPort } : {}),
    ...(opts.offline === true ? { offline: true } : {})
  })
  let stopping = false
  const stop = async (code = 0): Promise<void> => {
    if (stopping) return
    stopping = true
    // Appends are on disk once acknowledged; a swarm that is slow to say goodbye must not keep us here.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())
    await Promise.race([session.close().catch(() => {}), grace])
    process.exit(code)
  }
  process.once('SIGINT', () => { void stop(130) })
  process.once('SIGTERM', () => { void stop(143) })

  if (opts.headless === true) {
    const { runHeadless } = await import('./headless.js')
    await runHeadless(session, { channel: opts.channel })
  } else {
    // Printed before the UI takes the screen, so it stays in the scrollback.
    const dht = session.dht === null ? '' : session.dht.owned ? ` · local DHT node started on ${session.dht.address}` : ` · using the local DHT node on ${session.dht.address}`
    const hint = session.dht !== null && !/--local-port/.test(joinCommand(session)) ? ` (or npm start -- ${session.chat.key})` : ''
    process.stdout.write(`kappa-chat ${session.chat.key}\njoin from another terminal: ${joinCommand(session)}${hint}\nstorage ${session.chat.storage}${dht}\n`)
    // ink renders only a final frame when CI/CONTINUOUS_INTEGRATION is set (read when ink loads);
    // a chat on a terminal needs live frames, so the UI is loaded with them cleared.
    process.env.CI = 'false'
    process.env.CONTINUOUS_INTEGRATION = 'false'
    const { runUi } = await import('./ui.js')
    await runUi(session, opts.channel)
  }
  await stop(0)
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`kappa-chat: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`)
  process.exit(1)
})
