// caravel demo: `up` with Bookinfo, its gateway and its destination rules, ready for the tour.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.ts';
import { runUp, UP_USAGE_FLAGS } from './up.ts';

const BOOKINFO_FILES = [
  'samples/bookinfo/platform/bookinfo.yaml',
  'samples/bookinfo/networking/bookinfo-gateway.yaml',
  'samples/bookinfo/networking/destination-rule-all.yaml',
];

const INJECTED_DEFAULT = `apiVersion: v1
kind: Namespace
metadata:
  name: default
  labels:
    istio-injection: enabled
`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the local mesh with Bookinfo behind the ingress gateway',
  usage: `caravel demo [--gateway-port 8080] [--state-dir DIR]

Labels the default namespace istio-injection=enabled, applies Bookinfo, its Gateway and
VirtualService and its DestinationRules, then runs the mesh as "caravel up" does. Open
http://127.0.0.1:8080/productpage and refresh: the reviews alternate between v1, v2 and v3.

${UP_USAGE_FLAGS}`,
  run: (args, io) =>
    runUp(args, io, {
      extraSources: [
        { file: '<demo: namespace default>', text: INJECTED_DEFAULT },
        ...BOOKINFO_FILES.map((f) => ({
          file: f,
          text: readFileSync(fileURLToPath(new URL(`../../../${f}`, import.meta.url)), 'utf8'),
        })),
      ],
      readyMessage: (mesh) => `Bookinfo is at ${mesh.info.gatewayUrl}/productpage`,
    }),
};
