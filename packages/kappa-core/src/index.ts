// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { Kappa } from './kappa.js'
export type { KappaOptions, KappaEvents, ViewStatus, ViewMap, KappaDb } from './kappa.js'
export type { SyncedOptions, KappaTransport } from './network.js'
export { Writer } from './writer.js'
export { CodedError, KappaError } from './errors.js'
export { TypedResource, type EventSignatures } from '@kappa-ts/multifeed'
export type { KappaErrorCode } from './errors.js'
export { LiveQueue } from './live.js'
export type { View, AnyView, ViewContext, ViewBatch, ViewBatchOptions, ViewDb, ApiDef, BoundApi, ViewApi, KappaApi, Entry } from './view.js'
// The status channel every replication stream carries, for transports (@kappa-ts/swarm) to run on their connections.
export { StatusPeer, isAhead } from './status-peer.js'
export { STATUS_PROTOCOL, rawEncoding } from './status-wire.js'
export type { StatusPeerHooks, Holdings } from './status-peer.js'
export type { SwarmMultifeed, SwarmFeed, SwarmFeedState } from './multifeed-like.js'
export type { Feed, FeedInfo } from '@kappa-ts/multifeed'
export type { IndexState, IndexProgress, Address, SkippedEntry } from '@kappa-ts/multifeed-index'
export { entryId, parseEntryId, formatAddress, compareAddress } from './address.js'
