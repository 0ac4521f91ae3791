import { CodedError } from '@kappa-ts/kappa-core'

/** Codes of ChatError. */
export type ChatErrorCode =
  | 'ERR_INVALID_MESSAGE' // a message, nick or topic does not match its schema
  | 'ERR_INVALID_CHANNEL' // a channel name is not #[A-Za-z0-9_-]{1,64}
  | 'ERR_UNKNOWN_COMMAND'
  | 'ERR_BAD_KEY' // a chat key is not 128 hex characters
  | 'ERR_STORAGE_IN_USE' // another kappa-chat runs on this storage folder
  | 'ERR_KEY_MISMATCH' // the storage folder holds another chat
  | 'ERR_BAD_OPTION' // options that contradict each other (a KEY and a new chat)
  | 'ERR_CLOSED'

export class ChatError extends CodedError<ChatErrorCode> {}
