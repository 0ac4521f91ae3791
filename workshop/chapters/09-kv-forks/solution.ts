// Chapter 9: kv with links and forks (nicknames).
// "What is alice's nickname?" needs the LATEST value of a key. With many
// writers and no central clock, "latest" is defined by links: each write names
// the writes it replaces. A write nobody replaced yet is a *head*. Two writes
// made without seeing each other both stay heads: a fork. The kv view keeps the
// heads of every key; a later write that links both heads merges the fork.
// The result never depends on the order in which writes arrive.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView, type KvHead } from '@kappa-ts/view-kv'

interface Nick { nick: string; timestamp: number }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch09-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)

// Alice uses two devices; each is a peer with a feed of its own.
const laptop = new Kappa(path.join(tmp, 'laptop')).use('nicks', kvView<Nick>())
await laptop.ready()
const phone = new Kappa(path.join(tmp, 'phone'), { key: laptop.key }).use('nicks', kvView<Nick>())
await phone.ready()
const laptopWriter = await laptop.writer()
const phoneWriter = await phone.writer()

let streams: Duplex[] = []
const connect = () => {
  const a = laptop.replicate(true)
  const b = phone.replicate(false)
  a.pipe(b).pipe(a)
  streams = [a, b]
}
const disconnect = () => { for (const s of streams) s.destroy() }

const names = (heads: KvHead<Nick>[]) => heads.map((h) => h.value.nick).sort().join(', ')

// A deterministic choice for display: the highest (timestamp, feed key). Every
// peer has the same heads, so every peer shows the same name.
const pick = (heads: KvHead<Nick>[]) => [...heads].sort((x, y) =>
  (y.value.timestamp - x.value.timestamp) || (y.key < x.key ? -1 : y.key > x.key ? 1 : 0))[0]!.value.nick

// 1. One write, synced: one head everywhere. put() links the current heads.
connect()
await laptop.api.nicks.put(laptopWriter, 'alice', { nick: 'alice', timestamp: t0 })
await phone.synced() // the phone holds what the laptop holds, indexed
console.log('phone sees:', names(await phone.api.nicks.get('alice')))
disconnect()

// 2. Offline, both devices rename her. Each write links the head it knew: 'alice'.
await laptop.api.nicks.put(laptopWriter, 'alice', { nick: 'alice_at_work', timestamp: t0 + 2000 })
await phone.api.nicks.put(phoneWriter, 'alice', { nick: 'ally', timestamp: t0 + 1000 })
await laptop.indexed()
await phone.indexed()
console.log('offline, laptop sees:', names(await laptop.api.nicks.get('alice')), '/ phone sees:', names(await phone.api.nicks.get('alice')))

// 3. Reconnect: both writes replaced 'alice', neither replaced the other. A fork.
connect()
await Promise.all([laptop.synced(), phone.synced()])
const atLaptop = await laptop.api.nicks.get('alice')
const atPhone = await phone.api.nicks.get('alice')
console.log('fork! laptop sees:', names(atLaptop), '/ phone sees:', names(atPhone))
const ids = (heads: KvHead<Nick>[]) => heads.map((h) => h.id).sort().join()
console.log('same heads (entry ids) on both peers:', ids(atLaptop) === ids(atPhone))
console.log('shown by the rule (latest timestamp, then feed key): laptop', pick(atLaptop), '/ phone', pick(atPhone))

// 4. Merge: the phone writes once more. put() links BOTH heads, so the fork closes.
await phone.api.nicks.put(phoneWriter, 'alice', { nick: 'ally', timestamp: t0 + 3000 })
await Promise.all([laptop.synced(), phone.synced()])
console.log('merged: laptop sees', names(await laptop.api.nicks.get('alice')), '/ phone sees', names(await phone.api.nicks.get('alice')))

disconnect()
await laptop.close()
await phone.close()
fs.rmSync(tmp, { recursive: true, force: true })
