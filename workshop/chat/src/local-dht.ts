// --local: a DHT bootstrap node on this machine, so two terminals can chat
// with no network. The first kappa-chat --local starts the node on a fixed
// loopback port; the next ones find the port taken and use that node.
import dgram from 'node:dgram'
import createTestnet from 'hyperdht/testnet.js'

/** The loopback port kappa-chat --local (and kappa-dht) use by default. */
export const LOCAL_DHT_PORT = 49737

export interface LocalDht {
  /** `127.0.0.1:<port>`: the bootstrap address. */
  address: string
  /** True when this process runs the node (it stops when we quit). */
  owned: boolean
  close(): Promise<void>
}

/** Is the UDP port on 127.0.0.1 free? (Probed with a plain socket: a failed DHT bind leaves a native handle open.) */
function udpPortFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4')
    socket.once('error', () => { socket.close(); resolve(false) })
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)))
  })
}

export async function localDht (port = LOCAL_DHT_PORT): Promise<LocalDht> {
  if (!(await udpPortFree(port))) {
    // Another kappa-chat --local (or kappa-dht) holds the port: join its DHT.
    return { address: `127.0.0.1:${port}`, owned: false, close: async () => {} }
  }
  // A bootstrap node on the port plus two more full nodes: with a lone
  // bootstrap node, peers on this machine found each other only about half
  // the time here; with three, every time.
  const net = await createTestnet(3, { host: '127.0.0.1', port })
  const first = net.bootstrap[0]!
  return { address: `${first.host}:${first.port}`, owned: true, close: () => net.destroy() }
}
