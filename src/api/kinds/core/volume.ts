// Pod volumes: the common sources in full, the rarer storage plug-ins as opaque maps.
import { dns1123Label, exactlyOne, int, z } from '../../schema/primitives.ts';
import { quantity } from './fields.ts';

const keyToPath = z.strictObject({
  key: z.string(),
  path: z.string(),
  mode: int(0, 0o777, 'file mode').optional(),
});
const fileMode = int(0, 0o777, 'file mode');
const opaque = z.record(z.string(), z.unknown());

const downwardAPIFile = z.strictObject({
  path: z.string(),
  fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
  resourceFieldRef: z
    .strictObject({
      containerName: z.string().optional(),
      resource: z.string(),
      divisor: quantity.optional(),
    })
    .optional(),
  mode: fileMode.optional(),
});

const projection = z.strictObject({
  configMap: z
    .strictObject({
      name: z.string().optional(),
      items: z.array(keyToPath).optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .strictObject({
      name: z.string().optional(),
      items: z.array(keyToPath).optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  downwardAPI: z.strictObject({ items: z.array(downwardAPIFile).optional() }).optional(),
  serviceAccountToken: z
    .strictObject({
      audience: z.string().optional(),
      expirationSeconds: int(600, 2 ** 32, 'expirationSeconds').optional(),
      path: z.string(),
    })
    .optional(),
  clusterTrustBundle: opaque.optional(),
  podCertificate: opaque.optional(),
});

const SOURCES = {
  emptyDir: z
    .strictObject({ medium: z.enum(['', 'Memory', 'HugePages']).optional(), sizeLimit: quantity.optional() })
    .optional(),
  configMap: z
    .strictObject({
      name: z.string().optional(),
      items: z.array(keyToPath).optional(),
      defaultMode: fileMode.optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .strictObject({
      secretName: z.string().optional(),
      items: z.array(keyToPath).optional(),
      defaultMode: fileMode.optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  hostPath: z
    .strictObject({
      path: z.string().min(1, 'hostPath.path must not be empty'),
      type: z
        .enum([
          '',
          'DirectoryOrCreate',
          'Directory',
          'FileOrCreate',
          'File',
          'Socket',
          'CharDevice',
          'BlockDevice',
        ])
        .optional(),
    })
    .optional(),
  persistentVolumeClaim: z
    .strictObject({ claimName: z.string().min(1), readOnly: z.boolean().optional() })
    .optional(),
  projected: z
    .strictObject({ sources: z.array(projection).optional(), defaultMode: fileMode.optional() })
    .optional(),
  downwardAPI: z
    .strictObject({ items: z.array(downwardAPIFile).optional(), defaultMode: fileMode.optional() })
    .optional(),
  image: z
    .strictObject({
      reference: z.string().optional(),
      pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    })
    .optional(),
  nfs: z.strictObject({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  csi: opaque.optional(),
  ephemeral: opaque.optional(),
  awsElasticBlockStore: opaque.optional(),
  azureDisk: opaque.optional(),
  azureFile: opaque.optional(),
  cephfs: opaque.optional(),
  cinder: opaque.optional(),
  fc: opaque.optional(),
  flexVolume: opaque.optional(),
  flocker: opaque.optional(),
  gcePersistentDisk: opaque.optional(),
  gitRepo: opaque.optional(),
  glusterfs: opaque.optional(),
  iscsi: opaque.optional(),
  photonPersistentDisk: opaque.optional(),
  portworxVolume: opaque.optional(),
  quobyte: opaque.optional(),
  rbd: opaque.optional(),
  scaleIO: opaque.optional(),
  storageos: opaque.optional(),
  vsphereVolume: opaque.optional(),
};

export const volume = z
  .strictObject({ name: dns1123Label('volume name'), ...SOURCES })
  .superRefine((v, ctx) => exactlyOne(v, Object.keys(SOURCES), ctx, `volume "${v.name}"`));

export type Volume = z.output<typeof volume>;
