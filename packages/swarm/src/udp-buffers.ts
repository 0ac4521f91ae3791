// The kernel receive buffer of a DHT node's UDP sockets.
//
// Every connection of a HyperDHT node (UDX streams) rides on one UDP socket. With the
// kernel's default receive buffer (212,992 bytes on Linux) a peer serving hundreds of
// connections overflows it whenever its event loop is busy for a moment (hundreds of
// readers acknowledging one append at once): measured with one writer and 300 readers on
// one machine, the writer's socket dropped ~4,900 datagrams in 20 s, the readers' none.
// UDX retransmits what was lost only after its timeout (1 s, then doubling), so a
// new connection's first messages arrived after our handshake timeout and the writer
// dropped live readers. A larger buffer absorbs the burst. The kernel caps the size
// at net.core.rmem_max (raise that sysctl to go beyond it) and charges memory only for
// datagrams actually queued.

/** What we need of a UDX socket (udx-native), feature-detected. */
interface BufferedSocket { setRecvBufferSize(size: number): number; getRecvBufferSize(): number }

/** A DHT node as far as its sockets go (dht-rpc keeps them in `io`). */
interface DhtSockets { io?: { serverSocket?: unknown; clientSocket?: unknown } }

function isBuffered (s: unknown): s is BufferedSocket {
  return s !== null && typeof s === 'object' &&
    typeof (s as BufferedSocket).setRecvBufferSize === 'function' && typeof (s as BufferedSocket).getRecvBufferSize === 'function'
}

/** The node's bound UDP sockets (none before it bound them, or if dht-rpc changed its internals). */
export function dhtSockets (dht: unknown): BufferedSocket[] {
  const io = (dht as DhtSockets | null)?.io
  return [io?.serverSocket, io?.clientSocket].filter(isBuffered)
}

/**
 * Asks for a receive buffer of `bytes` on each of the node's UDP sockets; returns the
 * sizes the kernel granted (it may grant less, or report double what was set).
 */
export function setReceiveBuffers (dht: unknown, bytes: number): number[] {
  const granted: number[] = []
  for (const socket of dhtSockets(dht)) {
    try {
      socket.setRecvBufferSize(bytes)
      granted.push(socket.getRecvBufferSize())
    } catch {
      // a socket that closed meanwhile keeps what it had
    }
  }
  return granted
}
