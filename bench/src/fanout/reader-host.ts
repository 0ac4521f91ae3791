// A reader host: one OS process running many fan-out readers. Each reader is a
// distinct peer: its own kappa (its own Corestore and LevelDB, with the kv view),
// its own swarm identity, DHT node and connection to the writer. A reader is done
// once its kv view has indexed every entry up to the writer's final marker; it
// fails on an error or when not done within the timeout, and reports every
// disconnect or extra connection (a reconnect).
import path from 'node:path'
import { Level } from 'level'
import { Kappa, type KappaDb } from '@kappa-ts/kappa-core'
import type { Entry } from '@kappa-ts/kappa-core'
import { swarmOf } from '@kappa-ts/swarm'
import { titleKv } from '../setup.js'
import { now } from '../stats.js'
import { FINAL_KEY, type FinalMarker, type FromReaderHost, type ReaderHostConfig, type ToReaderHost } from './messages.js'
import { processStats, watchHeap } from './proc.js'

function send (msg: FromReaderHost): Promise<void> {
  return new Promise((resolve) => { process.send?.(msg, () => resolve()) ?? resolve() })
}

interface Reader { kappa: Kappa<Record<string, never>>; db: KappaDb }

const readers: Reader[] = []
let stopping = false

function isMarker (v: unknown): v is FinalMarker {
  return v !== null && typeof v === 'object' && (v as { tconst?: unknown }).tconst === FINAL_KEY && (v as { final?: unknown }).final === true
}

async function startReader (cfg: ReaderHostConfig, id: number): Promise<void> {
  const start = now()
  const dir = path.join(cfg.dir, `r${id}`)
  const db = new Level(path.join(dir, 'views'), {
    writeBufferSize: cfg.memory.viewWriteBufferBytes,
    cacheSize: cfg.memory.viewCacheBytes
  }) as unknown as KappaDb
  const kappa = new Kappa(dir, {
    key: cfg.key,
    db,
    cacheBytes: cfg.memory.entryCacheBytes,
    writeBufferSize: cfg.memory.coreWriteBufferBytes,
    views: { kv: titleKv() }
  })
  readers.push({ kappa: kappa as unknown as Kappa<Record<string, never>>, db })
  let finished = false
  let connections = 0
  let expected: number | null = null
  let caughtUp = false
  const indexed = (): number => kappa.status().kv?.indexed ?? 0
  const finish = (msg: FromReaderHost): void => {
    if (finished || stopping) return
    finished = true
    clearTimeout(timer)
    void send(msg)
  }
  const fail = (kind: 'error' | 'timeout', reason: string): void =>
    finish({ type: 'failed', id, ms: now() - start, reason, kind, indexed: indexed() })
  const timer = setTimeout(() => fail('timeout', `not done within ${cfg.timeoutMs} ms (${indexed()} of ${expected ?? '?'} entries indexed)`), cfg.timeoutMs)
  const reconnect = (reason: string): void => {
    if (!finished && !stopping) void send({ type: 'reconnect', id, reason })
  }

  // A client only: it dials the writer, which announces; readers never find each other.
  const swarm = swarmOf(kappa, { bootstrap: [cfg.bootstrap], server: false, ...(cfg.handshakeTimeoutMs === null ? {} : { handshakeTimeout: cfg.handshakeTimeoutMs }) })
  swarm.on('peer-add', () => {
    if (++connections === 1) void send({ type: 'connected', id, ms: now() - start })
    else reconnect('connected again')
  })
  swarm.on('peer-remove', () => reconnect('disconnected'))
  swarm.on('connection-error', (info: { error: Error }) => reconnect(`connection error: ${info.error.message}`))
  kappa.on('peer-error', (err: Error) => fail('error', `peer dropped: ${err.message}`))
  kappa.on('view-error', (name: string, err: Error) => fail('error', `view ${name}: ${err.message}`))
  kappa.on('indexed', (_name: string, entries: Entry[]) => {
    if (finished) return
    if (!caughtUp && indexed() >= cfg.initial) {
      caughtUp = true
      void send({ type: 'caught-up', id, ms: now() - start })
    }
    if (expected === null) {
      for (const e of entries) if (isMarker(e.value)) expected = e.value.count
    }
    if (expected !== null && indexed() >= expected) finish({ type: 'done', id, ms: now() - start, entries: indexed() })
  })
  try {
    await kappa.ready()
    if (stopping) return
    await swarm.join()
  } catch (err) {
    fail('error', `open/join: ${(err as Error).message}`)
  }
}

/**
 * Errors thrown from inside the libraries while the readers close. hypercore 11.37.1 can
 * verify a block that was in flight after its storage closed and then read from the
 * closed RocksDB outside any promise chain (Replicator._resolveBlocksLocally): an
 * unhandled rejection that would kill the process with every other reader's figures.
 * While stopping, such errors are counted (closeErrors) instead; before, they crash the
 * host and its readers count as failed.
 */
let closeErrors = 0
function countWhileStopping (): void { closeErrors++ }

async function stop (): Promise<void> {
  stopping = true
  process.on('unhandledRejection', countWhileStopping)
  process.on('uncaughtException', countWhileStopping)
  const stats = processStats()
  await Promise.allSettled(readers.map(async (r) => {
    await r.kappa.close()
    await r.db.close()
  }))
  await send({ type: 'stats', stats, closeErrors })
  process.exit(0)
}

function main (cfg: ReaderHostConfig): void {
  watchHeap()
  process.on('message', (msg: ToReaderHost) => {
    if (msg.type === 'start') {
      for (const id of msg.ids) {
        startReader(cfg, id).catch(() => {})
      }
    } else if (msg.type === 'stop') {
      stop().catch(async (err: Error) => {
        await send({ type: 'error', message: err.stack ?? err.message })
        process.exit(1)
      })
    }
  })
  // The coordinator going away (killed, crashed) must not leave readers behind.
  process.on('disconnect', () => process.exit(2))
  void send({ type: 'hello', rssMB: process.memoryUsage.rss() / 1e6 })
}

main(JSON.parse(process.argv[2] ?? '{}') as ReaderHostConfig)
