#!/usr/bin/env node
// The `kappa-dht` command (a committed launcher: see kappa-core's bin/launch.js).
import { launch } from '@kappa-ts/kappa-core/launch'
await launch('kappa-dht', new URL('../dist/src/bin/kappa-dht.js', import.meta.url))
