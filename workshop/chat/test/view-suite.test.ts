import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { chat } from './chat-suite.js'

viewSuite(test, chat)
