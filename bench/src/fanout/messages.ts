// The messages between the fan-out coordinator (the scenario process) and the
// processes it starts: one writer, and reader hosts that each run many readers.
// They travel over Node's IPC channel (child_process.fork), as JSON.

/** The kv key of the marker the writer appends last; its value says how many entries the log holds. */
export const FINAL_KEY = 'final'

export interface FinalMarker { tconst: typeof FINAL_KEY; final: true; count: number }

/** How a reader kappa is sized (see bench/README.md, scenario 4: memory per reader). */
export interface ReaderMemory {
  /** RocksDB write buffer of the reader's Corestore (hypercore storage), bytes. */
  coreWriteBufferBytes: number
  /** LevelDB write buffer of the reader's views, bytes. */
  viewWriteBufferBytes: number
  /** LevelDB block cache of the reader's views, bytes. */
  viewCacheBytes: number
  /** kappa's shared entry cache (cacheBytes), bytes. */
  entryCacheBytes: number
}

export interface WriterConfig {
  dir: string
  dataFile: string
  /** Records appended before any reader joins. */
  records: number
  bootstrap: string
  /** Connections the writer accepts (its swarm maxPeers). */
  maxPeers: number
  /** join({ handshakeTimeout }); null: kappa's default. */
  handshakeTimeoutMs: number | null
}

export interface ReaderHostConfig {
  /** This host's index (its readers' folders go under dir/h<index>). */
  index: number
  dir: string
  key: string
  bootstrap: string
  /** A reader not done this long after it started counts as failed (timeout). */
  timeoutMs: number
  /** Entries the writer held before any reader joined: a reader that indexed them reports 'caught-up'. */
  initial: number
  memory: ReaderMemory
  /** join({ handshakeTimeout }); null: kappa's default. */
  handshakeTimeoutMs: number | null
}

/** Process-level figures every child reports when told to stop. */
export interface ProcessStats {
  cpuUserMs: number
  cpuSystemMs: number
  /** Kernel high-water mark of the process's RSS, MB. */
  maxRssMB: number
  /** Highest V8 heap in use seen (sampled each second), MB: the JS share of the RSS. */
  heapPeakMB: number
  /** Highest memory in Buffers / ArrayBuffers seen (outside the heap: blocks read, queued to send), MB. */
  buffersPeakMB: number
  /** How late the event loop ran timers (p99 and worst), ms: how starved the process was. */
  loopDelayP99Ms: number | null
  loopDelayMaxMs: number | null
}

export type ToWriter =
  | { type: 'live'; rate: number; everyMs: number }
  | { type: 'final' }
  | { type: 'report' }
  | { type: 'stop' }

export type FromWriter =
  | { type: 'ready'; key: string; udpPorts: number[] }
  | { type: 'final'; total: number; live: number; liveMs: number; behindMaxMs: number }
  | { type: 'stats'; stats: ProcessStats; cpuLiveMs: number; peersPeak: number; peerAdds: number; peerRemoves: number; problems: Record<string, number>; swarmStats: unknown }
  | { type: 'error'; message: string }

export type ToReaderHost =
  | { type: 'start'; ids: number[] }
  | { type: 'stop' }

export type FromReaderHost =
  | { type: 'hello'; rssMB: number }
  | { type: 'connected'; id: number; ms: number }
  | { type: 'caught-up'; id: number; ms: number }
  | { type: 'reconnect'; id: number; reason: string }
  | { type: 'done'; id: number; ms: number; entries: number }
  | { type: 'failed'; id: number; ms: number; reason: string; kind: 'error' | 'timeout'; indexed: number }
  | { type: 'stats'; stats: ProcessStats; closeErrors: number }
  | { type: 'error'; message: string }
