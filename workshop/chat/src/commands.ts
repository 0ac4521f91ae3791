// What a line typed by the user means. Shared by the terminal UI and --headless.
import { isChannel } from './chat-schemas.js'

export type Command =
  | { kind: 'say'; text: string }
  | { kind: 'join'; channel: string }
  | { kind: 'nick'; nick: string }
  | { kind: 'topic'; topic: string }
  | { kind: 'show-topic' }
  | { kind: 'channels' }
  | { kind: 'peers' }
  | { kind: 'key' }
  | { kind: 'history' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'none' }
  | { kind: 'invalid'; message: string }

export const HELP = '/join #channel  /nick name  /topic [text]  /channels  /peers  /key  /history  /help  /quit  (PgUp/PgDn scroll)'

export function parseCommand (line: string): Command {
  const input = line.replace(/\r?\n$/, '')
  if (input.trim() === '') return { kind: 'none' }
  // '//text' sends a message starting with '/'
  if (input.startsWith('//')) return { kind: 'say', text: input.slice(1) }
  if (!input.startsWith('/')) return { kind: 'say', text: input }
  const m = /^\/(\S+)\s*(.*)$/.exec(input)!
  const name = m[1]!.toLowerCase()
  const arg = m[2]!.trim()
  switch (name) {
    case 'join':
    case 'j': {
      const channel = arg.startsWith('#') ? arg : `#${arg}`
      if (!isChannel(channel)) return { kind: 'invalid', message: 'usage: /join #channel (letters, digits, _ and -, up to 64)' }
      return { kind: 'join', channel }
    }
    case 'nick':
      if (arg === '') return { kind: 'invalid', message: 'usage: /nick name' }
      return { kind: 'nick', nick: arg }
    case 'topic':
      // No text: show the topic (setting it empty by a stray Enter would clear it for everyone).
      return arg === '' ? { kind: 'show-topic' } : { kind: 'topic', topic: arg }
    case 'channels':
    case 'list':
      return { kind: 'channels' }
    case 'peers':
      return { kind: 'peers' }
    case 'key':
      return { kind: 'key' }
    case 'history':
      return { kind: 'history' }
    case 'help':
      return { kind: 'help' }
    case 'quit':
    case 'exit':
    case 'q':
      return { kind: 'quit' }
    default:
      return { kind: 'invalid', message: `unknown command /${name}; ${HELP}` }
  }
}
