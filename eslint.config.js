import js from '@eslint/js'
import {defineConfig} from 'eslint/config'
import tseslint from 'typescript-eslint'

import {boundaries} from './eslint.boundaries.js'

export default defineConfig(
  {ignores: ['dist/', 'coverage/', 'node_modules/', 'oclif.manifest.json', 'test/fixtures/bin/']},
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*.js', 'bin/*.d.ts', 'test/*.cjs', 'test/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {files: ['**/*.js', '**/*.cjs', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked]},
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly', performance: 'readonly'}},
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {module: 'writable', process: 'readonly', require: 'readonly', __dirname: 'readonly'},
    },
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  ...boundaries,
)
