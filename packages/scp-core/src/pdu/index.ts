export * from './types.ts';
export * from './codec.ts';
export * from './reader.ts';
export { asciiBytes, asciiString, trimPadding } from './bytes.ts';
export { concatBytes } from '@storescp/workers/bytes';
