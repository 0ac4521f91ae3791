import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { listItems } from './list-suite.js'

viewSuite(test, listItems)
