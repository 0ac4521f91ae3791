// Chapter 3 starter: what lies on disk, and why it can be trusted.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/03-trust/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch03-'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// The key pair of the expected output: 32 bytes of 7 as the seed. The same seed gives the
// same keys and hashes on every run (real logs use a random key pair, the default).
const keyPair = crypto.keyPair(Buffer.alloc(32, 7))
const writer = new Hypercore<Buffer>(path.join(tmp, 'writer'), { keyPair })
await writer.ready()
// The three entries of the expected output.
await writer.append(['first', 'second', 'third'].map((s) => Buffer.from(s)))

// TODO 1: print the sorted names in the writer's folder: "files in the log folder: CORESTORE, db"
// TODO 2: print the key, the signer's public key (writer.manifest.signers[0].publicKey), whether
//         it equals keyPair.publicKey, whether Hypercore.key(writer.manifest) equals the key,
//         and the discovery key (see the expected output for the exact lines)
// TODO 3: print writer.treeHash() and writer.treeHash(2)

// A reader that knows only the key.
const reader = new Hypercore<Buffer>(path.join(tmp, 'reader'), writer.key)
await reader.ready()

// A proof of entry `index` (with the signed root when `upgrade`). The reader has never seen
// the writer's manifest: send it with the proof, as replication does once per peer.
const proofOf = async (index: number, upgrade: boolean): Promise<Hypercore.Proof> => {
  const proof = await writer.proof({ block: { index, nodes: 0 }, upgrade: upgrade ? { start: 0, length: writer.length } : null })
  proof.manifest = writer.manifest
  return proof
}

// TODO 4: make a proof of entry 1 with the signed root, replace proof.block.value with
//         Buffer.from('SECOND'), give it to reader.applyProof() and print that it was rejected
//         (with err.code); print reader.length. Then the honest proof: accepted; print
//         reader.length and entry 1 (reader.get(1, { wait: false })).
// TODO 5: entry 2 without the root: tampered ('THIRD', rejected), then honest (accepted);
//         print entry 2 and whether reader.treeHash() equals writer.treeHash()
// TODO 6: try reader.append(Buffer.from('sneaky')) and print the error code

await writer.close()
await reader.close()
fs.rmSync(tmp, { recursive: true, force: true })
