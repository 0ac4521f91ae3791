#!/usr/bin/env node
// The `kappa-dht` command (a committed launcher: see launch.js).
import { launch } from './launch.js'
await launch('kappa-dht', new URL('../dist/src/bin/kappa-dht.js', import.meta.url))
