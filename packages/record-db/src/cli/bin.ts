#!/usr/bin/env node
// The kappa-db command line: see ../../README.md (CLI walkthrough).
import { run } from './program.js'

process.exitCode = await run(process.argv)
