// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { Multifeed } from './multifeed.js'
export type { Feed, FeedInfo, MultifeedOptions, MultifeedPeer, MultifeedEvents, AcceptInfo, ValueEncoding } from './multifeed.js'
export { MultifeedError } from './errors.js'
export type { MultifeedErrorCode } from './errors.js'
export { PROTOCOL, PROTOCOL_VERSION } from './wire.js'
