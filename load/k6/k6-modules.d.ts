// The parts of k6's modules and of xk6-net that the scripts use, so tsc checks them here
// (k6 itself does not run on these machines).
declare module 'k6' {
  export function check<T>(value: T, checks: Record<string, (v: T) => boolean>): boolean;
  export function sleep(seconds: number): void;
}
declare module 'k6/metrics' {
  export class Trend {
    constructor(name: string, isTime?: boolean);
    add(value: number, tags?: Record<string, string>): void;
  }
  export class Counter {
    constructor(name: string);
    add(value: number, tags?: Record<string, string>): void;
  }
  export class Rate {
    constructor(name: string);
    add(value: boolean | number, tags?: Record<string, string>): void;
  }
}
declare module 'k6/x/net' {
  import type { NetSocket } from '../src/protocol/xk6-net-transport.ts';
  const net: { Socket: new () => NetSocket };
  export default net;
}
declare const __ENV: Record<string, string | undefined>;
