// `proxy-config secret`: istioctl's RESOURCE NAME, TYPE, STATUS, VALID CERT, SERIAL NUMBER, NOT AFTER
// and NOT BEFORE. The proxy's dump carries names and versions only (key material never leaves it),
// so the certificate columns stay empty until the proxy reports certificate details.
import { renderTable } from '../render/table.ts';
import type { Json } from './json.ts';
import { dumpSection, list, obj, str } from './json.ts';

function secretType(secret: Json | undefined): string {
  if (obj(secret, 'tls_certificate')) return 'Cert Chain';
  if (obj(secret, 'validation_context')) return 'CA';
  return '';
}

export function secretTable(dump: unknown, options: { typePrefix?: boolean } = {}): string[] {
  const section = dumpSection(dump, 'SecretsConfigDump');
  const entries = [
    ...list(section, 'dynamic_active_secrets').map((s) => ({ s, status: 'ACTIVE' })),
    ...list(section, 'dynamic_warming_secrets').map((s) => ({ s, status: 'WARMING' })),
  ];
  if (entries.length === 0) return ['No active or warming secrets found.'];
  const rows = entries.map(({ s, status }) => {
    const name = str(s, 'name') ?? '';
    return [
      options.typePrefix ? `secret/${name}` : name,
      secretType(obj(s, 'secret')),
      status,
      '',
      '',
      '',
      '',
    ];
  });
  return renderTable(
    [['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'], ...rows],
    5,
  );
}
