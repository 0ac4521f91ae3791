import test from 'tape'
import { viewSuite } from '@kappa-ts/view-suite'
import { level } from './level-suite.js'

viewSuite(test, level)
