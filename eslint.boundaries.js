// Import boundaries of src/: verbs stand side by side over shared floors; oclif, execa and the progress libraries stay in their one place.

/** The verbs: one folder per command family. A verb imports floors, never another verb. */
export const VERBS = [
  'doctor',
  'import',
  'create',
  'delete',
  'list',
  'jailconfig',
  'run',
  'install',
  'update',
  'archive',
  'restore',
  'limits',
  'clone',
  'freeze',
  'snapshot',
]

/** The shared floors and the floors each may import (besides src/config.ts and src/errors.ts, which all may). */
export const FLOORS = {
  ui: [],
  system: ['ui'],
  jail: ['system'],
  dist: ['system'],
  base: ['system', 'dist'],
  etc: ['system', 'dist', 'base', 'jail'],
}

/** Packages only one floor may import: everyone else goes through it. */
const OWNED_PACKAGES = [
  {name: '@oclif/core', owners: ['src/cli', 'commands'], why: 'only src/cli and commands/ talk to oclif'},
  {name: 'execa', owners: ['src/system'], why: 'programs run through Deps.run (src/system/runner.ts)'},
  {name: 'listr2', owners: ['src/ui'], why: 'progress goes through Deps.progress (src/ui)'},
  {name: 'ora', owners: ['src/ui'], why: 'progress goes through Deps.progress (src/ui)'},
]

const FOLDERS = [...VERBS, ...Object.keys(FLOORS), 'cli']

/** A pattern matching a relative import of any of FOLDERS, from a file one or more levels below src/. */
function folderPattern(folders, message) {
  return {regex: `^(?:\\.\\./)+(?:${folders.join('|')})/`, message}
}

/** The owned packages FOLDER (a path such as src/jail or commands) may not import. */
function packagePaths(folder) {
  return OWNED_PACKAGES.filter(({owners}) => !owners.includes(folder)).map(({name, why}) => ({
    name,
    message: `${why}.`,
  }))
}

function block(files, folder, patterns) {
  return {files, rules: {'no-restricted-imports': ['error', {paths: packagePaths(folder), patterns}]}}
}

const verbBlocks = VERBS.map((verb) =>
  block([`src/${verb}/**/*.ts`], `src/${verb}`, [
    folderPattern(
      [...VERBS.filter((other) => other !== verb), 'cli'],
      `src/${verb} is a verb: it imports shared floors (${Object.keys(FLOORS).join(', ')}), never another verb or src/cli. Move what both need down to a floor.`,
    ),
  ]),
)

const floorBlocks = Object.entries(FLOORS).map(([floor, allowed]) =>
  block([`src/${floor}/**/*.ts`], `src/${floor}`, [
    folderPattern(
      FOLDERS.filter((other) => other !== floor && !allowed.includes(other)),
      `src/${floor} is a floor: it may import only ${allowed.length ? allowed.map((a) => `src/${a}`).join(', ') : 'no other folder'} (and src/config.ts, src/errors.ts).`,
    ),
  ]),
)

const rootBlock = block(['src/*.ts'], 'src', [
  {
    regex: '^\\./[a-z-]+/',
    message: 'src/config.ts and src/errors.ts are the ground floor: they import no folder of src/.',
  },
])

const cliBlock = block(['src/cli/**/*.ts'], 'src/cli', [])

const commandsBlock = block(['commands/**/*.ts'], 'commands', [])

export const boundaries = [...verbBlocks, ...floorBlocks, rootBlock, cliBlock, commandsBlock]
