/**
 * DICOM TLS in the process, for deployments where the load balancer does not terminate TLS: the
 * BCP 195 profile of PS3.15 (RFC 9325), optional mutual TLS against a CA bundle, and an optional
 * allow-list of client certificate subjects. The files are checked when the configuration is
 * loaded (`pemFileProblem`, `keyPairProblem`), so a bad file stops start-up with one line.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls, { type TLSSocket } from 'node:tls';

export interface TlsSettings {
  /** Paths of PEM files. */
  key: string;
  cert: string;
  /** CA bundle: when given, clients must present a certificate it signed (mutual TLS). */
  ca?: string;
  /** Common names allowed (exact, case-sensitive); empty = any certificate the CA signed. */
  clientSubjects: string[];
}

/**
 * TLS 1.2 suites of BCP 195: ECDHE key exchange (forward secrecy) with AEAD ciphers only; no
 * CBC, no static RSA, no DHE. In our order of preference (honorCipherOrder): AES-GCM first, it has
 * hardware support on every server we run on.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];
/** Every TLS 1.3 suite is AEAD with forward secrecy; named so that the cipher list keeps them. */
export const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** The server's TLS options. The files were checked at start-up; a file changed since then throws here. */
export function tlsServerOptions(s: TlsSettings): tls.TlsOptions {
  return {
    key: readFileSync(s.key),
    cert: readFileSync(s.cert),
    ...(s.ca ? { ca: readFileSync(s.ca), requestCert: true, rejectUnauthorized: true } : {}),
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
  };
}

/**
 * Why a connection whose handshake succeeded is still refused, or undefined to accept it. With an
 * allow-list the client certificate's subject must hold exactly one CN, equal to an entry: several
 * CNs would make "the" name ambiguous.
 */
export function clientSubjectRefusal(socket: TLSSocket, allowed: ReadonlySet<string>): string | undefined {
  if (allowed.size === 0) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  if (typeof cn !== 'string') return cn === undefined ? 'client certificate has no subject CN' : 'client certificate has several subject CNs';
  return allowed.has(cn) ? undefined : `client certificate CN "${cn}" is not on the allow-list`;
}

export type PemKind = 'private key' | 'certificate' | 'CA bundle';

/** What is wrong with a PEM file given as an option, or undefined when it is usable. */
export function pemFileProblem(path: string, kind: PemKind): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'latin1');
  } catch (err) {
    return `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  try {
    if (kind === 'private key') createPrivateKey(pem);
    else new X509Certificate(pem); // the first certificate of a chain or bundle
  } catch (err) {
    const encrypted = kind === 'private key' && /ENCRYPTED/.test(pem) ? ' (encrypted keys are not supported)' : '';
    return `not a PEM ${kind}${encrypted}: ${(err as Error).message}`;
  }
  return undefined;
}

/** Whether the key and certificate (each usable on its own) belong together. */
export function keyPairProblem(keyPath: string, certPath: string): string | undefined {
  try {
    tls.createSecureContext({ key: readFileSync(keyPath), cert: readFileSync(certPath) });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
