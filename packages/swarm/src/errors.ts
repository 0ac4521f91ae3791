import { CodedError } from '@kappa-ts/kappa-core'

/** What a SwarmError is about; callers branch on it, never on the message. */
export type SwarmErrorCode =
  | 'ERR_BAD_OPTION' // a KappaSwarm option has the wrong type or range
  | 'ERR_BAD_BOOTSTRAP' // a bootstrap address that is not host:port
  | 'ERR_CLOSED' // join() or ready() after close()

/**
 * Bad input to the networking layer (a bootstrap address, an option, a closed swarm). What a peer
 * does wrong on a connection (a malformed status message, silence past handshakeTimeout) is
 * kappa-core's status channel's KappaError (ERR_BAD_MESSAGE, ERR_HANDSHAKE_TIMEOUT), reported by
 * 'connection-error'.
 */
export class SwarmError extends CodedError<SwarmErrorCode> {}
