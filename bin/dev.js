#!/usr/bin/env -S node --import tsx
// tsez from its TypeScript sources: `bin/dev.js install ...` behaves like `tsez install ...`.
import {execute} from '@oclif/core'

import {sourceConfig} from './source-config.js'

process.env.NODE_ENV ??= 'development'
await execute({development: true, dir: import.meta.url, loadOptions: await sourceConfig()})
