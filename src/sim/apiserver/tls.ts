/**
 * The playground's certificates: one CA and one server certificate for 127.0.0.1 and
 * localhost, made once per process (EC P-256 keeps it fast) and shared by every
 * simulated cluster; kubeconfigs carry the CA as certificate-authority-data.
 */
import { generate } from 'selfsigned';

export interface PlaygroundCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let cached: Promise<PlaygroundCertificates> | undefined;

async function create(): Promise<PlaygroundCertificates> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 10 * 365 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'aviary-playground-ca' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
}

/** The process-wide playground certificates (generated on first use). */
export function playgroundCertificates(): Promise<PlaygroundCertificates> {
  cached ??= create().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
