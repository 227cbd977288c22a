import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AddressAllocator, checkBindable, listeningAddresses } from './addresses.ts';
import type { AddressUnavailableError, RuntimeStateError } from './errors.ts';
import { tempStateDir } from './testing.ts';

// Octets no other test or running mesh uses, so the check for busy addresses finds nothing.
const QUIET = { podOctet: 221, appOctet: 222 };

test('addresses are distinct per pod, paired pod/app, and stable for the same pod', () => {
  const a = AddressAllocator.inMemory(QUIET);
  const x = a.allocate('default/x');
  const y = a.allocate('default/y');
  assert.deepEqual(x, { podIP: '127.221.0.1', appAddress: '127.222.0.1' });
  assert.deepEqual(y, { podIP: '127.221.0.2', appAddress: '127.222.0.2' });
  assert.deepEqual(a.allocate('default/x'), x);
});

test('allocations survive a reload of the state directory', () => {
  using state = tempStateDir();
  const first = AddressAllocator.load(state.dir, { podOctet: 5, appOctet: 6 });
  const x = first.allocate('default/x');
  first.allocate('default/y');
  first.release('default/y');
  const again = AddressAllocator.load(state.dir, { podOctet: 5, appOctet: 6 });
  assert.deepEqual(again.lookup('default/x'), x);
  assert.equal(again.lookup('default/y'), undefined);
  // The released address is not handed out again at once; x's is never.
  const z = again.allocate('default/z');
  assert.deepEqual(z, { podIP: '127.5.0.3', appAddress: '127.6.0.3' });
  const saved = JSON.parse(readFileSync(join(state.dir, 'runtime', 'addresses.json'), 'utf8'));
  assert.equal(saved.format, 1);
  assert.deepEqual(saved.data.pods, { 'default/x': 1, 'default/z': 3 });
});

test('after x.254 the index carries into the next x, skipping .0 and .255', () => {
  const a = AddressAllocator.inMemory(QUIET);
  for (let i = 0; i < 254; i++) a.allocate(`ns/p${i}`);
  assert.deepEqual(a.allocate('ns/next'), { podIP: '127.221.1.1', appAddress: '127.222.1.1' });
});

test('a corrupt or newer addresses file is refused with the file named', () => {
  using state = tempStateDir();
  const a = AddressAllocator.load(state.dir);
  a.allocate('default/x');
  const file = join(state.dir, 'runtime', 'addresses.json');
  writeFileSync(file, '{"format": 9, "data": {}}');
  assert.throws(
    () => AddressAllocator.load(state.dir),
    (e: RuntimeStateError) => {
      assert.equal(e.code, 'RUNTIME_STATE_TOO_NEW');
      assert.match(e.message, /addresses\.json/);
      assert.match(e.hint ?? '', /--state-dir/);
      return true;
    },
  );
  writeFileSync(file, '{"format": 1, "data": {"next": 1, "pods": {"a/b": "x"}}}');
  assert.throws(() => AddressAllocator.load(state.dir), { code: 'RUNTIME_STATE_CORRUPT' });
});

test('loopback addresses bind; an address that is not local gives a clear error', async () => {
  await checkBindable('127.1.200.7');
  await assert.rejects(checkBindable('192.0.2.1'), (e: AddressUnavailableError) => {
    assert.equal(e.code, 'RUNTIME_ADDRESS_UNAVAILABLE');
    assert.match(e.message, /192\.0\.2\.1/);
    return true;
  });
});

test('a new pod skips addresses that something on this machine already listens on', async () => {
  const { createServer } = await import('node:net');
  const alloc = AddressAllocator.inMemory({ podOctet: 201, appOctet: 202 });
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.201.0.1', resolve));
  try {
    assert.ok(listeningAddresses(0).has('127.201.0.1'));
    assert.equal(alloc.allocate('default/a').podIP, '127.201.0.2');
  } finally {
    squatter.close();
  }
});

test('two meshes allocating at the same moment get different addresses; a dead mesh’s claim is taken over', () => {
  using one = tempStateDir();
  using two = tempStateDir();
  const octets = { podOctet: 231, appOctet: 232 };
  const a = AddressAllocator.load(one.dir, octets);
  const b = AddressAllocator.load(two.dir, octets);
  // Nothing listens yet on either side, as when two meshes start together.
  const first = a.allocate('default/p');
  const second = b.allocate('default/p');
  assert.notEqual(first.podIP, second.podIP);
  assert.deepEqual(a.allocate('default/p'), first, 'a mesh keeps its own claim');
  a.release('default/p');
  b.release('default/p');

  const claim = join(tmpdir(), 'caravel-address-claims', '127.231.0.1');
  writeFileSync(claim, JSON.stringify({ stateDir: '/gone', pid: 2 ** 22 + 1 }));
  using three = tempStateDir();
  const c = AddressAllocator.load(three.dir, octets);
  assert.equal(c.allocate('default/q').podIP, '127.231.0.1', 'the claim of a process that is gone');
  c.release('default/q');
});
