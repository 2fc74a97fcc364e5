// Types for source-config.js (plain JS so bin/ needs no build step).
import type {Config} from '@oclif/core'

export declare const packageRoot: string
export declare function sourceConfig(): Promise<Config>
