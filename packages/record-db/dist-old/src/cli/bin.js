#!/usr/bin/env node
// The kappa-db command line: see ../../CLI.md (walkthrough and commands).
import { run } from './program.js';
process.exitCode = await run(process.argv);
//# sourceMappingURL=bin.js.map