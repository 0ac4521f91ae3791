// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { Kappa } from './kappa.js'
export type { KappaOptions, KappaEvents, ViewStatus, AnyView, ViewMap, KappaDb } from './kappa.js'
export type { SyncedOptions } from './network.js'
export { Writer } from './writer.js'
export { KappaError } from './errors.js'
export type { KappaErrorCode } from './errors.js'
export { LiveQueue } from './live.js'
export type { View, ViewContext, ViewBatch, ViewBatchOptions, ViewDb, ApiDef, BoundApi, ViewApi, KappaApi, Entry } from './view.js'
export { KappaSwarm, SwarmError, parseBootstrap, resolveBootstrap, startDhtNode, BOOTSTRAP_ENV } from './swarm/index.js'
export type { JoinOptions, PeerStatus, PeerErrorInfo, SyncProgress, FeedSyncStatus, BootstrapNode, DhtNode, DhtNodeOptions } from './swarm/index.js'
export type { Feed, FeedInfo } from '@kappa-ts/multifeed'
export type { IndexState } from '@kappa-ts/multifeed-index'
