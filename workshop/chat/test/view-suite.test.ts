import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { channels, messages, meta } from './chat-suite.js'

viewSuite(test, messages)
viewSuite(test, meta)
viewSuite(test, channels)
