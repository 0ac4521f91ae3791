#!/usr/bin/env node
// The `kappa-db` command (a committed launcher: see @kappa-ts/kappa-core's bin/launch.js).
import { launch } from '@kappa-ts/kappa-core/launch'
await launch('kappa-db', new URL('../dist/src/cli/bin.js', import.meta.url))
