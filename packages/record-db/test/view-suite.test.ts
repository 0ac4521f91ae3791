import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { records } from './records-suite.js'

viewSuite(test, records)
