#!/usr/bin/env node
// The `kappa-chat` command (a committed launcher: see @kappa-ts/kappa-core's bin/launch.js).
import { launch } from '@kappa-ts/kappa-core/launch'
await launch('kappa-chat', new URL('../dist/src/bin.js', import.meta.url))
