import test from 'tape'
import { connect } from '@kappa-ts/test-helpers'
import { chatPair, until, type ChatKappa } from './kappa-helpers.js'

async function everything (k: ChatKappa, keys: string[]): Promise<unknown> {
  const profiles = await Promise.all(keys.map((key) => k.api.profiles.get(key)))
  const messages = (await k.api.messages.read()).map((m) => [m.key, m.address, m.sortKey, m.value])
  return { profiles, messages }
}

test('two kappas write, replicate over a piped stream, and their kv and list views return the same', async (t) => {
  const { ka, kb, wa, wb } = await chatPair(t)

  // both write profiles and interleaved chat messages (same times on purpose: no overwrite)
  await ka.api.profiles.put(wa, 'alice', { name: 'Alice' })
  await kb.api.profiles.put(wb, 'bob', { name: 'Bob' })
  for (let i = 0; i < 20; i++) {
    await wa.append({ type: 'chat', time: 1000 + i * 2, author: 'alice', text: 'a' + i })
    await wb.append({ type: 'chat', time: 1000 + i * 3, author: 'bob', text: 'b' + i })
  }
  await ka.indexed()
  await kb.indexed()
  t.equal((await ka.api.messages.read()).length, 20, 'a sees its own 20 before sync')

  connect(ka, kb, t)
  const full = async (k: ChatKappa): Promise<boolean> =>
    (await k.api.messages.read()).length === 40 && (await k.api.profiles.get('alice')).length === 1 && (await k.api.profiles.get('bob')).length === 1
  await Promise.all([until(ka, () => full(ka)), until(kb, () => full(kb))])

  const keys = ['alice', 'bob', 'carol']
  const ea = await everything(ka, keys)
  t.deepEqual(ea, await everything(kb, keys), 'kv heads and the whole list are identical on both peers')
  const times = (await ka.api.messages.read()).map((m) => m.sortKey as number)
  t.deepEqual(times, [...times].sort((x, y) => x - y), 'list ordered by time')
  t.equal(new Set((await ka.api.messages.read()).map((m) => m.value.text)).size, 40, 'messages with equal times all kept')
  t.deepEqual((await kb.api.profiles.get('alice')).map((h) => h.value), [{ name: 'Alice' }])

  // live: a later write on one side reaches the other's views
  await kb.api.profiles.put(wb, 'alice', { name: 'Alice (edited by bob)' })
  await until(ka, async () => (await ka.api.profiles.get('alice'))[0]?.value.name === 'Alice (edited by bob)')
  t.equal((await ka.api.profiles.get('alice')).length, 1, 'an edit that saw the head replaces it: no fork')
})
