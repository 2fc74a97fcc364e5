import assert from 'node:assert/strict'

import {describeDeleteStep, planDelete, type DeleteObservation, type DeleteRequest} from '../../src/delete/plan.js'
import type {JailRecord} from '../../src/jail/store.js'

const record = {name: 'web1', root: '/j/web1'} as JailRecord
const files = {conf: '/e/jail.conf.d/web1.conf', fstab: '/e/fstab.web1', record: '/c/web1.json'}
const seen = (extra: Partial<DeleteObservation> = {}): DeleteObservation => ({
  name: 'web1',
  record,
  files,
  conf: 'tsez',
  fstab: 'tsez',
  leftovers: [],
  running: false,
  mountsUnderRoot: [],
  root: 'directory',
  otherDevice: undefined,
  nestedJails: [],
  dependents: [],
  ...extra,
})
const request = (extra: Partial<DeleteRequest> = {}): DeleteRequest => ({
  name: 'web1',
  wipe: false,
  force: false,
  confirmed: false,
  ...extra,
})

describe('delete/plan', () => {
  it('removes fstab, conf and the record last', () => {
    assert.deepEqual(planDelete(request(), seen()), {
      steps: [
        {kind: 'remove-file', path: files.fstab},
        {kind: 'remove-file', path: files.conf},
        {kind: 'remove-file', path: files.record},
      ],
    })
  })

  it("drops the jail from its dependents' depend lists just before the record, each record whole", () => {
    const web2 = {name: 'web2', root: '/j/web2', depend: ['db1', 'web1', 'cache']} as JailRecord
    const plan = planDelete(request(), seen({dependents: [{record: web2, file: '/c/web2.json'}]}))
    assert.ok('steps' in plan)
    assert.deepEqual(plan.steps.slice(-2), [
      {kind: 'undepend', jail: {...web2, depend: ['db1', 'cache']}, dropped: 'web1', path: '/c/web2.json'},
      {kind: 'remove-file', path: files.record},
    ])
    assert.deepEqual(web2.depend, ['db1', 'web1', 'cache'], 'the observed record is not changed in place')
    assert.equal(describeDeleteStep(plan.steps.at(-2)!), 'write /c/web2.json (web2 no longer depends on web1)')
  })

  it('stops first with --force, clears every flag that blocks unlink, then removes the root', () => {
    const plan = planDelete(request({wipe: true, force: true}), seen({running: true}))
    assert.ok('steps' in plan)
    assert.deepEqual(plan.steps.slice(0, 3), [
      {kind: 'stop', argv: ['jail', '-f', files.conf, '-r', 'web1']},
      {kind: 'chflags', argv: ['chflags', '-R', 'noschg,nouchg,nosappnd,nouappnd,nosunlnk,nouunlnk', '/j/web1']},
      {kind: 'remove-tree', path: '/j/web1'},
    ])
  })

  it('refuses -w while another jail has its root at or under this root, naming it', () => {
    const nested = seen({nestedJails: [{name: 'inner', root: '/j/web1/home/inner'}]})
    const plan = planDelete(request({wipe: true, force: true}), nested) as {usage: string}
    assert.match(plan.usage, /would remove the root of jail inner \(\/j\/web1\/home\/inner\)/)
    assert.ok('steps' in planDelete(request({force: true}), nested), 'without -w the root stays: nothing to refuse')
  })

  it('refuses: running, unconfirmed wipe, mounts, another device, a symlinked root', () => {
    assert.match((planDelete(request(), seen({running: true})) as {usage: string}).usage, /running/)
    assert.match((planDelete(request({wipe: true}), seen()) as {usage: string}).usage, /--force/)
    const wipe = request({wipe: true, force: true})
    assert.match(
      (planDelete(wipe, seen({mountsUnderRoot: ['/j/web1/mnt']})) as {failure: string}).failure,
      /mnt mounted/,
    )
    assert.match(
      (planDelete(wipe, seen({otherDevice: '/j/web1/data'})) as {failure: string}).failure,
      /another file system/,
    )
    assert.match((planDelete(wipe, seen({root: 'other'})) as {failure: string}).failure, /not a directory/)
  })

  it('leaves a conf or fstab that tsez did not write, and knows no jail without any tsez file', () => {
    const plan = planDelete(request(), seen({conf: 'foreign', fstab: 'missing'}))
    assert.deepEqual(plan, {steps: [{kind: 'remove-file', path: files.record}]})
    const none = planDelete(request(), seen({record: undefined, conf: 'foreign', fstab: 'missing'}))
    assert.match((none as {usage: string}).usage, /no jail named "web1"/)
  })
})
