// Typed errors of the view suite. Callers branch on `code`, never on the message.
import { CodedError } from '@kappa-ts/kappa-core'

export type ViewSuiteErrorCode =
  | 'ERR_INVALID_OPTIONS'   // viewSuite() options that cannot work (checked when the suite is set up)
  | 'ERR_CHILD_FAILED'      // the crash check's child process could not index (it exited, or its module did not load)

export class ViewSuiteError extends CodedError<ViewSuiteErrorCode> {}
