#!/usr/bin/env node
// The installed CLI: the release bundle built by bin/build.js (npm run build).
import {execute} from '../dist/src/cli/oclif.js'

await execute({dir: import.meta.url})
