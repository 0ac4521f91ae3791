import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { kvCustomIds, kvRecords } from './kv-suite.js'

viewSuite(test, kvRecords)
viewSuite(test, kvCustomIds)
