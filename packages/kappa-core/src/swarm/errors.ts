import { CodedError } from '../errors.js'

/** Bad input to the networking layer (a bootstrap address, an option, a destroyed swarm). */
export class SwarmError extends CodedError {}
