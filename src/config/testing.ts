// Helpers for the store's tests: manifests from inline YAML, and fixture paths.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readManifests } from './manifest.ts';
import type { Manifest, ReadOptions } from './manifest.ts';

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Manifests from YAML that must be valid. */
export function manifests(text: string, options: ReadOptions = {}, file = 'test.yaml'): readonly Manifest[] {
  const set = readManifests([{ file, text }], options);
  assert.deepEqual(set.issues, []);
  return set.manifests;
}

/** A valid Gateway; labels and annotations are YAML flow maps such as `{app: x}`. */
export function gatewayYaml(
  name: string,
  extra: { namespace?: string; host?: string; labels?: string; annotations?: string } = {},
): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
${extra.namespace ? `  namespace: ${extra.namespace}\n` : ''}${extra.labels ? `  labels: ${extra.labels}\n` : ''}${extra.annotations ? `  annotations: ${extra.annotations}\n` : ''}spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["${extra.host ?? '*'}"]
`;
}
