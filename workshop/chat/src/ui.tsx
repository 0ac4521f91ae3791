// The terminal UI (ink): channel list, message pane with timestamps and nicks,
// header with topic and peer count, status line and input line. All data comes
// from the Chat; this file only draws and routes keys.
import { useEffect, useMemo, useReducer, useRef, useState, useCallback } from 'react'
import { Box, Text, useApp, useInput, useStdout, render } from 'ink'
import type { ChatLine } from './chat.js'
import { parseCommand, HELP } from './commands.js'
import { paneRows, wrapText } from './layout.js'
import { MessageStore } from './message-store.js'
import { joinCommand, type Session } from './session.js'
import { sanitize } from './sanitize.js'
import { guardedStdin } from './input-guard.js'
import { nickLabels } from './nick-labels.js'

export { clock } from './layout.js'

/** Width of the channel list, borders included; it never gives way to the message pane. */
const SIDEBAR = 20
/** Rows the status line may wrap onto (a /key reply takes two on a narrow terminal). */
const MAX_STATUS_ROWS = 4

interface AppProps { session: Session; channel: string; onQuit(): void }

function App ({ session, channel: firstChannel, onQuit }: AppProps) {
  const { chat, me } = session
  const { exit } = useApp()
  const { stdout } = useStdout()
  const [size, setSize] = useState({ rows: stdout.rows || 24, columns: stdout.columns || 80 })
  const store = useMemo(() => new MessageStore(), [])
  const [, redraw] = useReducer((n: number) => n + 1, 0)
  const [channel, setChannelState] = useState(firstChannel)
  // Commands typed faster than a render (or pasted) must see the channel the previous one chose.
  const channelRef = useRef(firstChannel)
  const setChannel = (c: string) => { channelRef.current = c; setChannelState(c) }
  const [input, setInput] = useState('')
  const [scroll, setScroll] = useState(0) // lines up from the bottom
  const [status, setStatus] = useState(`chat key ${chat.key} · /help for commands`)
  const [peers, setPeers] = useState(chat.peerCount)
  const [topics, setTopics] = useState<Record<string, string>>({})
  const [known, setKnown] = useState<string[]>([])
  const [myNick, setMyNick] = useState(me.slice(0, 8))

  const quit = useCallback(() => { exit(); onQuit() }, [exit, onQuit])

  useEffect(() => {
    const onResize = () => setSize({ rows: stdout.rows || 24, columns: stdout.columns || 80 })
    stdout.on('resize', onResize)
    return () => { stdout.off('resize', onResize) }
  }, [stdout])

  const refreshChannels = useCallback(async () => {
    const list = await chat.channels()
    setKnown(list.map((c) => c.channel))
    setTopics((t) => { const next = { ...t }; for (const c of list) next[c.channel] = c.topic; return next })
  }, [chat])

  useEffect(() => {
    let live = false
    const early: ChatLine[] = []
    const onMessage = (line: ChatLine) => {
      if (!live) { early.push(line); return }
      if (store.add(line)) { redraw(); if (!known.includes(line.channel)) void refreshChannels() }
    }
    const onNick = (e: { author: string; nick: string }) => { store.renick(e.author, e.nick); if (e.author === me) setMyNick(e.nick); redraw() }
    const onTopic = (e: { channel: string; topic: string }) => { setTopics((t) => ({ ...t, [e.channel]: e.topic })); void refreshChannels() }
    const onPeers = (n: number) => setPeers(n)
    const onProblem = (p: { view: string; error: unknown }) => setStatus(`view ${p.view} stopped: ${sanitize(String((p.error as Error)?.message ?? p.error), 200)}`)
    chat.on('message', onMessage)
    chat.on('nick', onNick)
    chat.on('topic', onTopic)
    chat.on('peers', onPeers)
    chat.on('problem', onProblem)
    void (async () => {
      await chat.indexed()
      for (const c of await chat.channels()) for (const line of await chat.history(c.channel)) store.add(line)
      for (const line of early) store.add(line)
      live = true
      setMyNick(await chat.nickOf(me))
      await refreshChannels()
      redraw()
      if (session.offline) { setStatus(`offline · key ${chat.key}`); return }
      try {
        await session.join()
        setStatus(`joined the swarm via ${session.bootstrap} · key ${chat.key}`)
      } catch (err) {
        setStatus(`could not join the swarm: ${(err as Error).message}`)
      }
    })()
    return () => {
      chat.off('message', onMessage)
      chat.off('nick', onNick)
      chat.off('topic', onTopic)
      chat.off('peers', onPeers)
      chat.off('problem', onProblem)
    }
  }, [chat])

  // ink redraws in place only while its output is shorter than the terminal: keep one row spare
  const height = Math.max(8, size.rows - 1)
  const statusRows = wrapText(status, size.columns).slice(0, MAX_STATUS_ROWS)
  // header, the pane's two borders, the status rows and the input line
  const paneHeight = Math.max(1, height - 4 - statusRows.length)
  // the pane's borders and padding take four columns
  const paneWidth = Math.max(10, size.columns - SIDEBAR - 4)
  // Authors sharing a nick are told apart by a key suffix (nick-labels.ts).
  const label = nickLabels([...store.channels().flatMap((c) => store.lines(c)), { author: me, nick: myNick }])
  const rows = paneRows(store.lines(channel).map((l) => ({ ...l, nick: label(l.author, l.nick) })), paneWidth)
  const maxScroll = Math.max(0, rows.length - paneHeight)

  // ink calls the newest handler only after a render's effects have run, so a key
  // that arrives right after a redraw can reach the previous one: everything the
  // handler reads is in refs, never in a render's closure.
  const view = useRef({ maxScroll, paneHeight })
  view.current = { maxScroll, paneHeight }
  const inputRef = useRef('')
  const queue = useRef<Promise<void>>(Promise.resolve())
  const edit = (next: string) => { inputRef.current = next; setInput(next) }
  // Lines run one after another, in the order typed or pasted.
  const enqueue = (line: string) => { queue.current = queue.current.then(() => submit(line)) }

  useInput((ch, key) => {
    const { maxScroll, paneHeight } = view.current
    if (key.ctrl && ch === 'c') quit()
    else if (key.pageUp) setScroll((s) => Math.min(maxScroll, s + paneHeight - 1))
    else if (key.pageDown) setScroll((s) => Math.max(0, s - paneHeight + 1))
    else if (key.upArrow) setScroll((s) => Math.min(maxScroll, s + 1))
    else if (key.downArrow) setScroll((s) => Math.max(0, s - 1))
    else if (key.return) { const line = inputRef.current; edit(''); enqueue(line) } else if (key.backspace || key.delete) edit(inputRef.current.slice(0, -1))
    else if (key.ctrl && ch === 'u') edit('')
    else if (!key.ctrl && !key.meta && ch.length > 0) {
      // Pasted text can carry line breaks: each complete line is submitted.
      const parts = (inputRef.current + ch).split(/\r\n|\r|\n/)
      const rest = parts.pop() ?? ''
      for (const line of parts) enqueue(line)
      edit(rest)
    }
  })

  const submit = async (value: string) => {
    const channel = channelRef.current
    const cmd = parseCommand(value)
    try {
      switch (cmd.kind) {
        case 'none': return
        case 'say': await chat.send(channel, cmd.text); setScroll(0); return
        case 'join': setChannel(cmd.channel); setScroll(0); setStatus(`joined ${cmd.channel}`); void chat.topicOf(cmd.channel).then((t) => setTopics((x) => ({ ...x, [cmd.channel]: t }))); return
        case 'nick': await chat.setNick(cmd.nick); setStatus(`nick set to ${sanitize(cmd.nick, 64)}`); return
        case 'topic': await chat.setTopic(channel, cmd.topic); setStatus(`topic of ${channel} set`); return
        case 'show-topic': {
          const topic = await chat.topicOf(channel)
          setStatus(topic === '' ? `${channel} has no topic; /topic text sets one` : `topic of ${channel}: ${topic}`)
          return
        }
        case 'channels': {
          const list = await chat.channels()
          setStatus(list.length === 0 ? 'no channels yet' : list.map((c) => `${c.channel} (${c.messages})`).join('  '))
          return
        }
        case 'peers': {
          const names = await chat.peerNames()
          setStatus(names.length === 0 ? 'no peers connected yet' : `${names.length} peer${names.length === 1 ? '' : 's'}: ${names.join(', ')}`)
          return
        }
        case 'key': setStatus(`chat key ${chat.key} · others join with: ${joinCommand(session)}`); return
        case 'history': setScroll(view.current.maxScroll); return
        case 'help': setStatus(HELP); return
        case 'invalid': setStatus(cmd.message); return
        case 'quit': quit()
      }
    } catch (err) {
      setStatus(`error: ${(err as Error).message}`)
    }
  }

  const end = rows.length - Math.min(scroll, maxScroll)
  const visible = rows.slice(Math.max(0, end - paneHeight), end)
  const channelList = [...new Set([...known, ...store.channels(), channel])].sort()
  const topic = topics[channel] ?? ''

  return (
    <Box flexDirection='column' height={height} width={size.columns}>
      <Box>
        <Text inverse wrap='truncate-end'>
          {` kappa-chat │ ${channel}${topic ? ` — ${topic}` : ''} │ peers: ${peers} │ you: ${label(me, myNick)}${scroll > 0 ? ` │ scrolled ↑${scroll}` : ''} `.padEnd(size.columns)}
        </Text>
      </Box>
      <Box flexGrow={1}>
        <Box flexDirection='column' width={SIDEBAR} flexShrink={0} borderStyle='single' paddingX={1}>
          {channelList.map((c) => (
            <Text key={c} wrap='truncate-end' bold={c === channel} color={c === channel ? 'cyan' : undefined}>{c === channel ? '▸' : ' '}{c}</Text>
          ))}
        </Box>
        <Box flexDirection='column' flexGrow={1} borderStyle='single' paddingX={1}>
          {visible.length === 0
            ? <Text dimColor>no messages in {channel} yet</Text>
            : visible.map((r) => (
              <Text key={r.key} wrap='truncate-end'>
                {r.head === '' ? null : <><Text dimColor>{r.head.slice(0, 11)}</Text><Text color={r.author === me ? 'green' : 'yellow'}>{r.head.slice(11)}</Text></>}{r.text}
              </Text>
            ))}
        </Box>
      </Box>
      <Box flexDirection='column'>
        {statusRows.map((row, i) => <Text key={i} dimColor wrap='truncate-end'>{row}</Text>)}
      </Box>
      <Box>
        <Text color='cyan'>{channel}&gt; </Text>
        <Text>{sanitize(input)}</Text><Text inverse> </Text>
      </Box>
    </Box>
  )
}

/** Draws the UI until /quit or Ctrl-C; resolves then. */
export function runUi (session: Session, channel = '#general'): Promise<void> {
  return new Promise((resolve) => {
    // stdin through a filter: ink's input handler throws on some escape sequences (input-guard.ts)
    const app = render(<App session={session} channel={channel} onQuit={() => resolve()} />, { exitOnCtrlC: false, stdin: guardedStdin(process.stdin) })
    void app.waitUntilExit().then(() => resolve())
  })
}
