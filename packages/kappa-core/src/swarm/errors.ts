/** Bad input to the networking layer (a bootstrap address, an option, a destroyed swarm). */
export class SwarmError extends Error {
  readonly code: string

  constructor (code: string, message: string) {
    super(message)
    this.name = 'SwarmError'
    this.code = code
  }
}
