import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { kvRecords } from './kv-suite.js'

viewSuite(test, kvRecords)
