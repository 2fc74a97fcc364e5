// What bin/run.js takes from the release bundle: oclif's entry point, bundled once with the commands it runs.
export {execute} from '@oclif/core'
