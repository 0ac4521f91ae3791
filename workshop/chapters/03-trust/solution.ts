// Chapter 3: what lies on disk, and why a copy from a stranger can be trusted.
// A hypercore's key names the author's signing key. Every append updates a
// Merkle tree over all entries and the author signs the tree's root hash. A
// reader who knows only the key can check any entry it is given, from anyone.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch03-'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// A fixed seed gives the same key pair on every run, so this output is stable.
// Real logs use a random key pair (the default).
const keyPair = crypto.keyPair(Buffer.alloc(32, 7))
const writer = new Hypercore<Buffer>(path.join(tmp, 'writer'), { keyPair })
await writer.ready()
await writer.append(['first', 'second', 'third'].map((s) => Buffer.from(s)))

// 1. On disk: one folder per log, a RocksDB database ('db') with the entries,
//    the Merkle tree nodes, the latest signed head, and the key pair.
console.log('files in the log folder:', fs.readdirSync(path.join(tmp, 'writer')).sort().join(', '))

// 2. The key. In hypercore 11 a log is described by a manifest naming its signer;
//    the key is the hash of that manifest, so the key pins the signer.
const manifest = writer.manifest as { signers: Array<{ publicKey: Buffer }> }
console.log('log key      ', hex(writer.key!))
console.log('signer key   ', hex(manifest.signers[0]!.publicKey))
console.log('signer is our public key:', manifest.signers[0]!.publicKey.equals(keyPair.publicKey))
console.log('key == hash(manifest):', Hypercore.key(writer.manifest).equals(writer.key!))
console.log('discovery key', hex(writer.discoveryKey!), '(hash of the key: safe to announce)')

// 3. The Merkle tree. Its root hash covers every entry; changing one byte anywhere changes it.
console.log('tree hash at length 3', hex(await writer.treeHash()))
console.log('tree hash at length 2', hex(await writer.treeHash(2)))

// 4. A reader that knows only the key. Peers send each other proofs: a block,
//    the tree nodes that tie it to a root, and the author's signature on that root.
const reader = new Hypercore<Buffer>(path.join(tmp, 'reader'), writer.key)
await reader.ready()
const proofOf = async (index: number, upgrade: boolean) => {
  const proof = await writer.proof({ block: { index, nodes: 0 }, upgrade: upgrade ? { start: 0, length: writer.length } : null })
  proof.manifest = writer.manifest // sent once, checked against the key
  return proof
}
const tryApply = async (label: string, proof: Hypercore.Proof) => {
  try {
    await reader.applyProof(proof)
    console.log(`${label}: accepted`)
  } catch (err) {
    console.log(`${label}: rejected (${(err as { code?: string }).code})`)
  }
}

// A forged entry 1 with a signed root: the hashes no longer match the signature.
const forged = await proofOf(1, true)
forged.block!.value = Buffer.from('SECOND')
await tryApply('forged entry 1 + signed root', forged)
console.log('reader length after the forgery', reader.length)

// The honest proof verifies: the reader now trusts the root for length 3.
await tryApply('honest entry 1 + signed root', await proofOf(1, true))
console.log('reader length', reader.length, '- entry 1 =', String(await reader.get(1, { wait: false })))

// Once the root is known, each further entry is checked against it.
const tampered = await proofOf(2, false)
tampered.block!.value = Buffer.from('THIRD')
await tryApply('tampered entry 2', tampered)
await tryApply('honest entry 2', await proofOf(2, false))
console.log('entry 2 =', String(await reader.get(2, { wait: false })))
console.log('reader (entries 1-2 only) tree hash matches writer:', (await reader.treeHash()).equals(await writer.treeHash()))

// 5. Only the holder of the secret key can extend the log.
try {
  await reader.append(Buffer.from('sneaky'))
} catch (err) {
  console.log('reader append:', (err as { code?: string }).code)
}

await writer.close()
await reader.close()
fs.rmSync(tmp, { recursive: true, force: true })
