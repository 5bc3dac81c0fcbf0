/** Value checks for what goes into a storage key: a bad UID is a failure status, never a path. */

/** PS3.5 9.1: components of digits separated by dots, no leading zero in a multi-digit component, at most 64 chars. */
const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function isValidUid(uid: string | undefined): uid is string {
  return uid !== undefined && uid.length > 0 && uid.length <= 64 && UID.test(uid);
}

/** A DA value (YYYYMMDD) that is a real calendar date, as "YYYY/MM/DD"; undefined otherwise. */
export function datePathFromDA(da: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da ?? '');
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1800 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}/${m[2]}/${m[3]}`;
}

export function utcDatePath(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}/${p(now.getUTCMonth() + 1)}/${p(now.getUTCDate())}`;
}
