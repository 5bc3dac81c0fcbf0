/**
 * Fresh `2.25.<decimal>` UIDs (PS3.5 B.2). Built digit by digit from random bytes rather than
 * through BigInt, so the same code runs in Node and in k6. 38 digits stay below 2^128 and the
 * whole UID (43 characters) well below the 64-character limit.
 */
export function freshUid(): string {
  const bytes = new Uint8Array(38);
  // k6 has Web Crypto as a global only from v0.52 on; uniqueness, not secrecy, is what matters here.
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let digits = String(1 + (bytes[0]! % 9));
  for (let i = 1; i < bytes.length; i++) digits += String(bytes[i]! % 10);
  return `2.25.${digits}`;
}
