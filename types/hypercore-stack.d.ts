// Ambient types for the Holepunch stack, which ships plain JavaScript.
// Only the surface kappa-ts uses is declared; names and shapes follow the
// libraries' own source (hypercore 11.37, corestore 7.12, protomux 3,
// hyperswarm 4, hyperdht 6). Published as @kappa-ts/holepunch-types: the packages
// whose .d.ts files name these types reference it from their index.ts.

declare module 'hypercore' {
  import { EventEmitter } from 'node:events'
  import type { Duplex } from 'node:stream'

  namespace Hypercore {
    interface GetOptions {
      wait?: boolean
      timeout?: number
      valueEncoding?: unknown
    }
    interface DownloadRange {
      start?: number
      end?: number
      blocks?: number[]
      linear?: boolean
    }
    interface Download {
      done(): Promise<void>
      destroy(): void
    }
    interface Peer {
      remotePublicKey: Uint8Array
      remoteLength: number
      remoteContiguousLength: number
      remoteFork: number
    }
    interface Proof {
      fork: number
      block: { index: number; value: Buffer | null; nodes: unknown[] } | null
      upgrade: { start: number; length: number; signature: Buffer; nodes: unknown[]; additionalNodes: unknown[] } | null
      manifest: Record<string, unknown> | null
      [k: string]: unknown
    }
    interface ReadStreamOptions {
      start?: number
      end?: number
      live?: boolean
      snapshot?: boolean
    }
  }

  class Hypercore<T = unknown> extends EventEmitter {
    constructor(storage: unknown, key?: Uint8Array | string | null, opts?: Record<string, unknown>)
    constructor(storage: unknown, opts?: Record<string, unknown>)
    static key(manifest: unknown, opts?: Record<string, unknown>): Buffer
    readonly manifest: Record<string, unknown> | null
    treeHash(length?: number): Promise<Buffer>
    proof(opts: Record<string, unknown>): Promise<Hypercore.Proof>
    applyProof(proof: Hypercore.Proof, from?: unknown): Promise<unknown>
    static discoveryKey(key: Uint8Array): Buffer
    /** Opens Corestore/hypercore storage (RocksDB) at a directory; opts reach RocksDB (e.g. writeBufferSize). */
    static defaultStorage(storage: string | object, opts?: { writeBufferSize?: number; readOnly?: boolean; [k: string]: unknown }): object
    static getProtocolMuxer(stream: unknown): import('protomux')
    static createProtocolStream(isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex & { noiseStream: unknown }

    readonly id: string | null
    readonly key: Buffer | null
    readonly discoveryKey: Buffer | null
    readonly length: number
    readonly signedLength: number
    readonly contiguousLength: number
    readonly byteLength: number
    readonly fork: number
    readonly writable: boolean
    readonly readable: boolean
    readonly opened: boolean
    readonly closed: boolean
    readonly closing: Promise<void> | null
    readonly peers: Hypercore.Peer[]

    ready(): Promise<void>
    close(opts?: { error?: Error }): Promise<void>
    append(block: T | T[]): Promise<{ length: number; byteLength: number }>
    get(index: number, opts?: Hypercore.GetOptions): Promise<T | null>
    has(start: number, end?: number): Promise<boolean>
    update(opts?: { wait?: boolean }): Promise<boolean>
    truncate(newLength?: number, opts?: { fork?: number } | number): Promise<void>
    download(range?: Hypercore.DownloadRange): Hypercore.Download
    clear(start: number, end?: number): Promise<unknown>
    info(opts?: Record<string, unknown>): Promise<Record<string, unknown>>
    findingPeers(): () => void
    /** Local key-value data of this core (never replicated); null deletes. */
    setUserData(key: string, value: Uint8Array | string | null): Promise<void>
    getUserData(key: string): Promise<Buffer | null>
    /** Whether this session counts as wanting data (keeps replication channels open). */
    setActive(active: boolean): void
    session(opts?: Record<string, unknown>): Hypercore<T>
    snapshot(opts?: Record<string, unknown>): Hypercore<T>
    createReadStream(opts?: Hypercore.ReadStreamOptions): AsyncIterable<T> & NodeJS.ReadableStream
    replicate(isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex

    on(event: 'append', listener: () => void): this
    on(event: 'truncate', listener: (ancestors: number, forkId: number) => void): this
    on(event: 'download', listener: (index: number, byteLength: number, peer: unknown) => void): this
    on(event: 'upload', listener: (index: number, byteLength: number, peer: unknown) => void): this
    on(event: 'peer-add' | 'peer-remove', listener: (peer: Hypercore.Peer) => void): this
    on(event: 'close' | 'ready', listener: () => void): this
    on(event: string, listener: (...args: any[]) => void): this
  }
  export = Hypercore
}

declare module 'corestore' {
  import type Hypercore from 'hypercore'
  import type { Duplex } from 'node:stream'

  namespace Corestore {
    interface GetOptions {
      name?: string
      key?: Uint8Array | string
      valueEncoding?: unknown
      encryptionKey?: Uint8Array
      /** Block encryption; hypercore derives each core's key from `key` and the core's key. */
      encryption?: { key: Uint8Array }
      exclusive?: boolean
      writable?: boolean
      createIfMissing?: boolean
      active?: boolean
      [k: string]: unknown
    }
  }

  class Corestore {
    constructor(storage: string | unknown, opts?: { primaryKey?: Uint8Array; readOnly?: boolean; [k: string]: unknown })
    readonly opened: boolean
    readonly closed: boolean
    ready(): Promise<void>
    close(): Promise<void>
    get<T = unknown>(opts: Corestore.GetOptions | Uint8Array | string): Hypercore<T>
    namespace(name: string | Uint8Array, opts?: Record<string, unknown>): Corestore
    session(opts?: Record<string, unknown>): Corestore
    replicate(isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex
    list(namespace?: Uint8Array): AsyncIterable<Buffer>
    createKeyPair(name: string): Promise<{ publicKey: Buffer; secretKey: Buffer }>
    on(event: 'core-open' | 'core-close', listener: (core: Hypercore) => void): this
    on(event: string, listener: (...args: any[]) => void): this
  }
  export = Corestore
}

declare module 'protomux' {
  namespace Protomux {
    interface Encoding<T = any> {
      preencode(state: unknown, value: T): void
      encode(state: unknown, value: T): void
      decode(state: unknown): T
    }
    interface MessageOptions<T = any> {
      encoding?: Encoding<T>
      onmessage?: (message: T, channel: Channel) => void | Promise<void>
    }
    interface Message<T = any> {
      send(message: T): boolean
      type: number
    }
    interface ChannelOptions {
      protocol: string
      id?: Uint8Array | null
      unique?: boolean
      handshake?: Encoding | null
      messages?: MessageOptions[]
      userData?: unknown
      onopen?: (handshake: any, channel: Channel) => void | Promise<void>
      onclose?: (isRemote: boolean, channel: Channel) => void | Promise<void>
      ondestroy?: (channel: Channel) => void | Promise<void>
      ondrain?: (channel: Channel) => void
    }
    interface Channel {
      readonly opened: boolean
      readonly closed: boolean
      readonly destroyed: boolean
      readonly messages: Message[]
      userData: unknown
      open(handshake?: unknown): void
      close(): void
      cork(): void
      uncork(): void
      addMessage<T>(opts: MessageOptions<T>): Message<T>
      fullyOpened(): Promise<boolean>
    }
  }
  class Protomux {
    constructor(stream: unknown, opts?: Record<string, unknown>)
    static from(stream: unknown, opts?: Record<string, unknown>): Protomux
    readonly stream: import('node:stream').Duplex & { handshakeHash?: Buffer; isInitiator?: boolean; remotePublicKey?: Buffer; publicKey?: Buffer }
    createChannel(opts: Protomux.ChannelOptions): Protomux.Channel | null
    pair(opts: { protocol: string; id?: Uint8Array | null }, notify: (id: Uint8Array | null) => void | Promise<void>): void
    unpair(opts: { protocol: string; id?: Uint8Array | null }): void
    opened(opts: { protocol: string; id?: Uint8Array | null }): boolean
    destroy(err?: Error): void
    cork(): void
    uncork(): void
  }
  export = Protomux
}

declare module 'hypercore-crypto' {
  const crypto: {
    randomBytes(n: number): Buffer
    discoveryKey(key: Uint8Array): Buffer
    hash(data: Uint8Array | Uint8Array[], out?: Uint8Array): Buffer
    keyPair(seed?: Uint8Array): { publicKey: Buffer; secretKey: Buffer }
  }
  export = crypto
}

declare module 'sodium-universal' {
  const sodium: {
    crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    crypto_generichash_batch(out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array): void
    crypto_generichash_BYTES: number
    crypto_generichash_KEYBYTES: number
    sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean
    randombytes_buf(buf: Uint8Array): void
  }
  export = sodium
}

declare module 'hyperdht' {
  import { EventEmitter } from 'node:events'
  namespace HyperDHT {
    interface Options {
      bootstrap?: Array<string | { host: string; port: number }>
      host?: string
      port?: number
      ephemeral?: boolean
      firewalled?: boolean
      [k: string]: unknown
    }
  }
  class HyperDHT extends EventEmitter {
    constructor(opts?: HyperDHT.Options)
    static bootstrapper(port: number, host: string, opts?: Record<string, unknown>): HyperDHT
    static keyPair(seed?: Uint8Array): { publicKey: Buffer; secretKey: Buffer }
    readonly host: string | null
    readonly port: number
    readonly destroyed: boolean
    ready(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
    address(): { host: string; port: number }
  }
  export = HyperDHT
}

declare module 'hyperdht/testnet.js' {
  import HyperDHT from 'hyperdht'
  interface Testnet {
    nodes: HyperDHT[]
    bootstrap: Array<{ host: string; port: number }>
    createNode(opts?: HyperDHT.Options): HyperDHT
    destroy(): Promise<void>
  }
  function createTestnet(size?: number, opts?: { host?: string; port?: number; teardown?: unknown; bootstrap?: unknown }): Promise<Testnet>
  export = createTestnet
}

declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events'
  import type HyperDHT from 'hyperdht'
  import type { Duplex } from 'node:stream'

  namespace Hyperswarm {
    interface PeerInfo {
      publicKey: Buffer
      topics: Buffer[]
      prioritized: boolean
      client: boolean
      ban(banStatus?: boolean): void
    }
    interface PeerDiscovery {
      flushed(): Promise<void>
      refresh(opts?: { server?: boolean; client?: boolean }): Promise<void>
      destroy(): Promise<void>
    }
    interface Options {
      bootstrap?: Array<string | { host: string; port: number }>
      dht?: HyperDHT
      maxPeers?: number
      firewall?: (remotePublicKey: Buffer) => boolean
      keyPair?: { publicKey: Buffer; secretKey: Buffer }
      [k: string]: unknown
    }
    type Connection = Duplex & { remotePublicKey: Buffer; publicKey: Buffer; handshakeHash: Buffer }
  }
  class Hyperswarm extends EventEmitter {
    constructor(opts?: Hyperswarm.Options)
    readonly connections: Set<Hyperswarm.Connection>
    readonly peers: Map<string, Hyperswarm.PeerInfo>
    readonly dht: HyperDHT
    readonly keyPair: { publicKey: Buffer; secretKey: Buffer }
    readonly destroyed: boolean
    readonly stats: {
      updates: number
      connects: {
        client: { opened: number; closed: number; attempted: number }
        server: { opened: number; closed: number }
      }
    }
    join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): Hyperswarm.PeerDiscovery
    leave(topic: Uint8Array): Promise<void>
    flush(): Promise<void>
    listen(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', listener: (socket: Hyperswarm.Connection, info: Hyperswarm.PeerInfo) => void): this
    on(event: 'update', listener: () => void): this
    on(event: string, listener: (...args: any[]) => void): this
  }
  export = Hyperswarm
}

declare module 'hyperbee' {
  import type Hypercore from 'hypercore'

  namespace Hyperbee {
    interface Options { keyEncoding?: string; valueEncoding?: string; [k: string]: unknown }
    interface Node<K, V> { seq: number; key: K; value: V }
    interface RangeOptions<K> { gt?: K; gte?: K; lt?: K; lte?: K; reverse?: boolean; limit?: number }
    interface Batch<K, V> {
      put(key: K, value: V): Promise<void>
      del(key: K): Promise<void>
      flush(): Promise<void>
    }
  }

  class Hyperbee<K = Buffer, V = Buffer> {
    constructor(core: Hypercore<any>, opts?: Hyperbee.Options)
    readonly core: Hypercore<any>
    ready(): Promise<void>
    close(): Promise<void>
    get(key: K): Promise<Hyperbee.Node<K, V> | null>
    put(key: K, value: V): Promise<void>
    batch(): Hyperbee.Batch<K, V>
    createReadStream(range?: Hyperbee.RangeOptions<K>): AsyncIterable<Hyperbee.Node<K, V>>
  }
  export = Hyperbee
}

// hypercore internals used by multifeed's bulk path (bulk-proof.ts), pinned to hypercore@11.37.1
declare module 'hypercore/lib/messages.js' {
  import type { Encoder } from 'compact-encoding'
  const messages: { wire: { data: Encoder<unknown> } }
  export default messages
}
declare module 'hypercore/lib/merkle-tree.js' {
  interface Batch { length: number; signature: Buffer | null }
  const merkle: { MerkleTree: { verifyFullyRemote(session: unknown, proof: unknown): Batch } }
  export default merkle
}
declare module 'hypercore/lib/verifier.js' {
  export default class Verifier {
    constructor (manifestHash: Buffer, manifest: unknown)
    verify (batch: unknown, signature: unknown): boolean
    static createManifest (inp: unknown): unknown
    static isValidManifest (key: Buffer, manifest: unknown): boolean
  }
}
