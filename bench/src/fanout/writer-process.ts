// The fan-out writer: a process of its own holding one kappa with the kv view. It
// appends the first records, joins the swarm as the peer every reader dials, then
// appends live at the rate it is told until told to append the final marker.
import { swarmOf } from '@kappa-ts/swarm'
import { readAll, type TitleRecord } from '../generate.js'
import { BATCH, appendBatched, kvKappa } from '../setup.js'
import { now } from '../stats.js'
import { FINAL_KEY, type FinalMarker, type FromWriter, type ToWriter, type WriterConfig } from './messages.js'
import { processStats, watchHeap } from './proc.js'

function send (msg: FromWriter): Promise<void> {
  return new Promise((resolve) => { process.send?.(msg, () => resolve()) ?? resolve() })
}

async function main (cfg: WriterConfig): Promise<void> {
  watchHeap()
  const records = await readAll(cfg.dataFile, cfg.records)
  const kappa = kvKappa(cfg.dir)
  await appendBatched(kappa, records, BATCH)
  await kappa.indexed()
  const writer = await kappa.writer()

  let peersPeak = 0
  let peerAdds = 0
  let peerRemoves = 0
  // What went wrong, by message (peer keys left out, so alike problems add up).
  const problems: Record<string, number> = {}
  const note = (what: string): void => { problems[what] = (problems[what] ?? 0) + 1 }
  const swarm = swarmOf(kappa, { bootstrap: [cfg.bootstrap], maxPeers: cfg.maxPeers, ...(cfg.handshakeTimeoutMs === null ? {} : { handshakeTimeout: cfg.handshakeTimeoutMs }) })
  swarm.on('peer-add', () => { peerAdds++; peersPeak = Math.max(peersPeak, swarm.peers.length) })
  swarm.on('peer-remove', () => { peerRemoves++ })
  swarm.on('connection-error', (info: { error: Error }) => note(`connection error: ${info.error.message}`))
  kappa.on('view-error', (name: string, err: Error) => note(`view ${name}: ${err.message}`))
  await swarm.join()

  // Live appends: every `everyMs`, as many records as the rate says are due by now
  // (so a late tick catches up instead of drifting), in one append call.
  let appended = 0
  let liveStart = 0
  let timer: NodeJS.Timeout | null = null
  let behindMaxMs = 0
  let lastTick = 0
  let cpuAtLive = process.cpuUsage()
  const pending = new Set<Promise<unknown>>()
  const appendLive = (rate: number): void => {
    const due = Math.floor((now() - liveStart) * rate / 1000)
    if (due <= appended) return
    const batch: TitleRecord[] = []
    for (let i = appended; i < due; i++) batch.push({ ...records[i % records.length]!, tconst: `live${i}` })
    appended = due
    const p = writer.append(batch)
    pending.add(p)
    p.catch((err: Error) => note(`append: ${err.message}`)).finally(() => pending.delete(p))
  }

  process.on('message', (msg: ToWriter) => {
    void (async () => {
      if (msg.type === 'live') {
        liveStart = now()
        cpuAtLive = process.cpuUsage()
        let tick = 0
        const next = (): void => {
          const dueAt = liveStart + ++tick * msg.everyMs
          timer = setTimeout(() => {
            behindMaxMs = Math.max(behindMaxMs, now() - dueAt)
            appendLive(msg.rate)
            lastTick = now()
            next()
          }, Math.max(0, dueAt - now()))
        }
        next()
      } else if (msg.type === 'final') {
        if (timer !== null) clearTimeout(timer)
        // What was due is appended as of the last tick: the rate is measured up to it.
        const liveMs = lastTick === 0 ? 0 : lastTick - liveStart
        await Promise.allSettled([...pending])
        const count = records.length + appended + 1
        const marker: FinalMarker = { tconst: FINAL_KEY, final: true, count }
        await writer.append(marker)
        await send({ type: 'final', total: count, live: appended, liveMs, behindMaxMs })
      } else if (msg.type === 'report') {
        // The run is over: no more appends; what the writer saw, before the readers leave.
        if (timer !== null) clearTimeout(timer)
        const cpu = process.cpuUsage(cpuAtLive)
        await send({
          type: 'stats',
          stats: processStats(),
          cpuLiveMs: (cpu.user + cpu.system) / 1000,
          peersPeak,
          peerAdds,
          peerRemoves,
          problems,
          // Hyperswarm's and HyperDHT's own counters (connections opened and closed below kappa's swarm)
          swarmStats: JSON.parse(JSON.stringify({ swarm: (swarm.hyperswarm as unknown as { stats?: unknown } | null)?.stats, dht: (swarm.hyperswarm?.dht as unknown as { stats?: unknown } | undefined)?.stats })) as unknown
        })
      } else if (msg.type === 'stop') {
        await kappa.close()
        process.exit(0)
      }
    })().catch(async (err: Error) => {
      await send({ type: 'error', message: err.stack ?? err.message })
      process.exit(1)
    })
  })
  // The coordinator going away (killed, crashed) must not leave the writer behind.
  process.on('disconnect', () => process.exit(2))
  // The DHT node's UDP sockets, which carry every connection (the coordinator reads their drops).
  const io = (swarm.hyperswarm?.dht as unknown as { io?: { serverSocket?: { address(): { port: number } }; clientSocket?: { address(): { port: number } } } } | undefined)?.io
  const udpPorts = [io?.serverSocket, io?.clientSocket].flatMap((sock) => (sock === undefined ? [] : [sock.address().port]))
  await send({ type: 'ready', key: kappa.key.toString('hex'), udpPorts })
}

main(JSON.parse(process.argv[2] ?? '{}') as WriterConfig).catch(async (err: Error) => {
  await send({ type: 'error', message: err.stack ?? err.message })
  process.exit(1)
})
