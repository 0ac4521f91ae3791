// The Holepunch stack ships JavaScript only: its declarations come with @kappa-ts/holepunch-types.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { join, swarmOf } from './join.js'
export { KappaSwarm } from './kappa-swarm.js'
export type { JoinOptions, KeyPair, PeerErrorInfo, KappaSwarmEvents } from './kappa-swarm.js'
export type { PeerStatus } from './swarm-peer.js'
export type { FeedSyncStatus, SyncProgress } from './sync-tracker.js'
export { parseBootstrap, resolveBootstrap, isLoopbackHost, defaultBindHost, BOOTSTRAP_ENV } from './bootstrap.js'
export type { BootstrapNode } from './bootstrap.js'
export { startDhtNode, lanAddress, lanAddresses } from './dht-node.js'
export type { DhtNode, DhtNodeOptions } from './dht-node.js'
export { SwarmError, type SwarmErrorCode } from './errors.js'
