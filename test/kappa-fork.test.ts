import test from 'tape'
import { connect } from '@kappa-ts/test-helpers'
import { chatPair, until, type ChatKappa } from './kappa-helpers.js'

test('concurrent edits of one key on two peers fork (both heads); an edit linking both heals it', async (t) => {
  const { ka, kb, wa, wb } = await chatPair(t)

  // a common starting point both peers have
  const base = await ka.api.profiles.put(wa, 'topic', { name: 'base' })
  let disconnect = connect(ka, kb)
  await until(kb, async () => (await kb.api.profiles.get('topic')).length === 1)
  disconnect()

  // offline, both edit the same key: each links only the base
  const ea = await ka.api.profiles.put(wa, 'topic', { name: 'from a' })
  const eb = await kb.api.profiles.put(wb, 'topic', { name: 'from b' })
  await ka.indexed()
  await kb.indexed()
  t.deepEqual((await ka.api.profiles.get('topic')).map((h) => h.id), [ea.id], 'before sync a sees only its edit')

  disconnect = connect(ka, kb, t)
  const forked = async (k: ChatKappa): Promise<boolean> => (await k.api.profiles.get('topic')).length === 2
  await Promise.all([until(ka, () => forked(ka)), until(kb, () => forked(kb))])
  const headsA = await ka.api.profiles.get('topic')
  const headsB = await kb.api.profiles.get('topic')
  t.deepEqual(headsA, headsB, 'both peers see the same fork')
  t.deepEqual(headsA.map((h) => h.value.name).sort(), ['from a', 'from b'], 'both heads, with their values')
  t.ok(headsA.every((h) => h.id !== base.id), 'the base is replaced on both branches')

  // a merge: put() links every current head
  const merged = await kb.api.profiles.put(wb, 'topic', { name: 'merged' })
  const healed = async (k: ChatKappa): Promise<boolean> => {
    const heads = await k.api.profiles.get('topic')
    return heads.length === 1 && heads[0]?.id === merged.id
  }
  await Promise.all([until(ka, () => healed(ka)), until(kb, () => healed(kb))])
  t.deepEqual(await ka.api.profiles.get('topic'), await kb.api.profiles.get('topic'), 'healed: one head on both peers')
  t.deepEqual((await w2value(ka)), 'merged')
  t.deepEqual(((await kb.entry(wb.key, merged.address))?.value as { links: string[] }).links.sort(), [ea.id, eb.id].sort(), 'the merge linked both heads')
})

async function w2value (k: ChatKappa): Promise<string | undefined> {
  return (await k.api.profiles.get('topic'))[0]?.value.name
}
