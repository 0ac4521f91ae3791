import { CodedError } from '../errors.js'

/** What a SwarmError is about; callers branch on it, never on the message. */
export type SwarmErrorCode =
  | 'ERR_BAD_OPTION' // a KappaSwarm option has the wrong type or range
  | 'ERR_BAD_BOOTSTRAP' // a bootstrap address that is not host:port
  | 'ERR_BAD_MESSAGE' // a peer sent a malformed status message (its connection is dropped)
  | 'ERR_HANDSHAKE_TIMEOUT' // a peer stayed silent past handshakeTimeout (its connection is dropped)
  | 'ERR_CLOSED' // join() or ready() after close()

/** Bad input to the networking layer (a bootstrap address, an option, a closed swarm). */
export class SwarmError extends CodedError<SwarmErrorCode> {}
